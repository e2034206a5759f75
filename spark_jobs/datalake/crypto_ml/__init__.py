"""crypto_ml: daily crypto prices -> per-symbol features -> models compared on a time-ordered split."""
