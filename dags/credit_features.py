"""
### credit_features: the day's credit CSV -> cleansed, banded, one-hot features in Parquet, daily

Each UTC day D: wait for `transient/credit/anomesdia=D/*.csv` in the landing bucket (a missing
file is an incident: the sensor waits up to 6 hours, then fails saying what is missing) -> Glue
job `credit_features` (reads only day D; cleanses, imputes the reference rate, bands, one-hot
encodes with fixed vocabularies; bad records to quarantine with the reason; one row per client,
the last in file order) -> register partition `anomesdia=D` of table `credit_features` in the
Glue Data Catalog -> publish the run's counts.

**Manual runs**: `window_start`/`window_end` name one UTC day (`2025-10-29T00:00:00Z` to
`2025-10-30T00:00:00Z`). **Backfill**: `airflow backfill create --dag-id credit_features
--from-date A --to-date B` fills exactly those days, each replaced as a whole (reruns are safe).
"""

from datetime import timedelta

from airflow.sdk import DAG

from dataplatform import paths
from dataplatform.catalog import GlueCatalogPartitionsOperator
from dataplatform.config import setting
from dataplatform.dag_defaults import DAY, DEFAULT_ARGS, START_DATE, daily
from dataplatform.glue import glue_stage
from dataplatform.run_counts import publish_counts_task
from dataplatform.sensors import RequiredInputSensor
from dataplatform.windows import WINDOW_DAY, resolve_window, window_params

DATASET = "credit_features"
TRANSIENT = paths.landing("transient/credit")
FEATURES = paths.table(DATASET, "gold", job=DATASET)
QUARANTINE = paths.table(DATASET, "quarantine")

with DAG(
    dag_id="credit_features",
    doc_md=__doc__,
    start_date=START_DATE,
    schedule=daily(),
    catchup=False,
    max_active_runs=3,  # each day replaces its own partition; the swap itself is locked
    params=window_params("a UTC midnight"),
    default_args=DEFAULT_ARGS,
    tags=["credit_features", "features", "glue"],
) as dag:
    window = resolve_window(align=DAY, align_label="a UTC midnight", span=DAY)

    credit_file = RequiredInputSensor(
        task_id="wait_for_credit_file",
        bucket_key=f"{TRANSIENT}anomesdia={WINDOW_DAY}/*.csv",
        wildcard_match=True,
        mode="reschedule",  # frees the worker slot between pokes
        poke_interval=timedelta(minutes=5),
        timeout=timedelta(hours=6),
    )

    features = glue_stage(
        task_id="credit_features",
        job=FEATURES.name,
        script_args={
            "--input_path": TRANSIENT,
            "--output_path": paths.location(FEATURES),
            "--anomesdia": WINDOW_DAY,
            "--quarantine_path": paths.location(QUARANTINE),
            "--counts_path": paths.counts(FEATURES),
            "--manifest_path": paths.manifest(FEATURES),
        },
        concurrent_runs=3,
    )

    register_partition = GlueCatalogPartitionsOperator(
        task_id="register_partition",
        database=setting("glue_database"),
        table=FEATURES.name,
        table_location=paths.location(FEATURES),
        manifest_path=paths.manifest(FEATURES),
    )

    counts = publish_counts_task({"credit_features": paths.counts(FEATURES)})

    window >> credit_file >> features >> register_partition >> counts
