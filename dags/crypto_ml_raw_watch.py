"""
### crypto_ml_raw_watch: announce each new version of the crypto prices file

Every 5 minutes: is `s3://<landing bucket>/crypto/raw.csv` a version (version id, ETag,
last-modified time) that was not announced yet? If so, emit an event of the Asset
`crypto_ml_raw_prices` with that version, which starts a `crypto_ml` run at once. If not (or
the file does not exist), the check is skipped: nothing to do is not a failure.

Why an Asset fed by a sensor, not a sensor inside `crypto_ml`: `crypto_ml` also runs daily, and
its runs must not sit on a worker waiting for a file; the Asset's events also record which
version started which run (the Asset's page in the UI lists them).
"""

from datetime import timedelta

from airflow.sdk import DAG

from dataplatform.assets import CRYPTO_RAW_PRICES
from dataplatform.config import setting
from dataplatform.dag_defaults import DEFAULT_ARGS, START_DATE
from dataplatform.object_versions import NewObjectVersionSensor

RAW_PRICES_KEY = "crypto/raw.csv"

with DAG(
    dag_id="crypto_ml_raw_watch",
    doc_md=__doc__,
    start_date=START_DATE,
    schedule=timedelta(minutes=5),
    catchup=False,  # a check is about now: missed checks are not worth running later
    max_active_runs=1,
    default_args={**DEFAULT_ARGS, "execution_timeout": timedelta(minutes=10)},
    tags=["crypto_ml", "watch"],
) as dag:
    NewObjectVersionSensor(
        task_id="announce_new_raw_prices",
        asset=CRYPTO_RAW_PRICES,
        bucket_name=setting("landing_bucket"),
        bucket_key=RAW_PRICES_KEY,
        mode="reschedule",
        poke_interval=timedelta(minutes=1),
        timeout=timedelta(minutes=4),  # before the next check starts
        soft_fail=True,  # no new version: skipped, not failed
    )
