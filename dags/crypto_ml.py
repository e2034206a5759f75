"""
### crypto_ml: daily crypto prices -> features -> models compared -> versioned artifacts and a chart

Runs daily at 06:00 UTC, and at once when `crypto_ml_raw_watch` announces a new version of
`s3://<landing bucket>/crypto/raw.csv`:

1. `pin_raw_prices`: copies the file's current version to `s3://<lake>/raw/crypto_prices/<run id>/raw.csv`
   and names the run after that version (`<last modified>_<ETag prefix>`), so every kind of run
   (daily, Asset-triggered, manual) has one well-defined input, and a rerun reads the same bytes.
2. Glue job `crypto_features`: per-symbol window features (returns, moving averages, volatility,
   RSI, volume change, the next day's direction); bad rows to quarantine with the reason. It
   rebuilds the whole table `crypto_features` (the file is a whole history).
3. `register_partitions`: the table's `symbol` partitions in the Glue Data Catalog.
4. Glue job `crypto_training`: logistic regression, random forest and gradient-boosted trees
   (Spark ML pipelines) and a majority-class baseline, on a time-ordered split (the last 20% of
   dates are the test set). Writes `s3://<artifacts>/crypto_ml/<run id>/` (metrics.json, the
   models, model_comparison.png), then `latest.json`.
5. `publish_counts` and `publish_models`: both stages' counts, and each model's test metrics, the
   best model and the chart's location (in the task's log and XCom).

Runs of the same file version share a run id: the second replaces the first's artifacts.
"""

from datetime import timedelta

from airflow.sdk import DAG, AssetOrTimeSchedule, CronTriggerTimetable

from datalake.conventions import counts_path, manifest_path
from dataplatform import paths
from dataplatform.assets import CRYPTO_RAW_PRICES
from dataplatform.catalog import GlueCatalogPartitionsOperator
from dataplatform.config import setting
from dataplatform.dag_defaults import DEFAULT_ARGS, START_DATE
from dataplatform.glue import glue_stage
from dataplatform.model_report import publish_models_task
from dataplatform.object_versions import pin_object_task
from dataplatform.run_counts import publish_counts_task

FEATURES = paths.table("crypto_features", "gold", job="crypto_features")
QUARANTINE = paths.table("crypto_features", "quarantine")
SNAPSHOTS = f"s3://{setting('lake_bucket')}/raw/crypto_prices"
ARTIFACTS = f"s3://{setting('artifacts_bucket')}/crypto_ml"
PINNED = "ti.xcom_pull(task_ids='pin_raw_prices')"
RUN_ID = "{{ %s['run_id'] }}" % PINNED
# Not in Glue's Python runtime; the version the tests draw the chart with (requirements-dev.lock).
GLUE_PYTHON_MODULES = "matplotlib==3.11.2"

with DAG(
    dag_id="crypto_ml",
    doc_md=__doc__,
    start_date=START_DATE,
    schedule=AssetOrTimeSchedule(timetable=CronTriggerTimetable("0 6 * * *", timezone="UTC"), assets=CRYPTO_RAW_PRICES),
    catchup=False,  # every run reads the whole current file: there is no past interval to fill
    max_active_runs=1,  # features are one table, rebuilt whole; training reads what the run just built
    default_args=DEFAULT_ARGS,
    tags=["crypto_ml", "ml", "glue"],
) as dag:
    pinned = pin_object_task(
        "pin_raw_prices", bucket=setting("landing_bucket"), key="crypto/raw.csv", snapshot_prefix=SNAPSHOTS
    )

    features = glue_stage(
        task_id="crypto_features",
        job=FEATURES.name,
        script_args={
            "--input_path": "{{ %s['input_path'] }}" % PINNED,
            "--output_path": paths.location(FEATURES),
            "--quarantine_path": paths.location(QUARANTINE),
            "--counts_path": counts_path(paths.location(FEATURES), RUN_ID),
            "--manifest_path": manifest_path(paths.location(FEATURES), RUN_ID),
        },
    )

    register_partitions = GlueCatalogPartitionsOperator(
        task_id="register_partitions",
        database=setting("glue_database"),
        table=FEATURES.name,
        table_location=paths.location(FEATURES),
        manifest_path=manifest_path(paths.location(FEATURES), RUN_ID),
    )

    training = glue_stage(
        task_id="crypto_training",
        job="crypto_training",
        script_args={
            "--features_path": paths.location(FEATURES),
            "--artifacts_path": ARTIFACTS,
            "--run_id": RUN_ID,
            "--counts_path": counts_path(ARTIFACTS, RUN_ID),
        },
        extra_arguments={"--additional-python-modules": GLUE_PYTHON_MODULES},
        timeout_minutes=90,
        execution_timeout=timedelta(hours=2),
    )

    counts = publish_counts_task(
        {
            "crypto_features": counts_path(paths.location(FEATURES), RUN_ID),
            "crypto_training": counts_path(ARTIFACTS, RUN_ID),
        }
    )
    models = publish_models_task(ARTIFACTS, RUN_ID)

    pinned >> features >> register_partitions >> training >> [counts, models]
