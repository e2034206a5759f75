"""The Airflow Assets the DAGs share (a DAG file never imports another DAG file)."""

from __future__ import annotations

from airflow.sdk import Asset

# crypto_ml's input: a new version of the landing bucket's `crypto/raw.csv` (announced by
# the `crypto_ml_raw_watch` DAG). Named, not addressed: the bucket is a per-environment setting.
CRYPTO_RAW_PRICES = Asset(name="crypto_ml_raw_prices", uri="dataplatform://landing/crypto/raw.csv")
