"""The columns of crypto_ml: the prices CSV, the features table and what the models learn from."""

from __future__ import annotations

INPUT_COLUMNS = ("symbol", "date", "open", "high", "low", "close", "volume")
PRICES = ("open", "high", "low", "close")
# The model inputs, in the order the models' feature vector assembles them.
FEATURE_COLUMNS = (
    "return_1d", "log_return_1d", "return_7d", "sma_7", "sma_21", "volatility_7", "rsi_14",
    "volume_change_1d", "high_low_range",
)  # fmt: skip
TARGET = "target_up_next_day"
# The features table, column for column (the `select` that ends the transform).
OUTPUT_COLUMNS = ("symbol", "date", *PRICES, "volume", *FEATURE_COLUMNS, TARGET)
