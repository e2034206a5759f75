"""
### car_telemetry: landing JSON -> bronze Parquet -> consolidated silver, hourly

Each hour: wait for landing files modified in the hour (`S3KeySensor`; an hour without files
is skipped) -> Glue job `car_telemetry_bronze` (parse with the declared schema, quarantine bad
records with a reason) -> Glue job `car_telemetry_silver` (flatten, cleanse, enrich, and
consolidate one row per car and day into only the silver partitions the hour touches) ->
register the written partitions in the Glue Data Catalog -> publish the run's counts.

**Manual runs**: give `window_start`/`window_end` to reprocess an explicit window, and
`full_rebuild` to rebuild it instead of merging. **Backfill**:
`airflow backfill create --dag-id car_telemetry --from-date A --to-date B`.
Silver writes are serialised across all runs (`max_active_tis_per_dag=1`).
"""

from datetime import datetime, timedelta, timezone

from airflow.providers.amazon.aws.operators.glue import GlueJobOperator
from airflow.providers.amazon.aws.sensors.s3 import S3KeySensor
from airflow.sdk import DAG, task
from airflow.timetables.interval import CronDataIntervalTimetable

from dataplatform.catalog import GlueCatalogPartitionsOperator
from dataplatform.config import setting
from dataplatform.glue import glue_stage
from dataplatform.run_counts import publish_counts
from dataplatform.sensors import landing_sensor
from dataplatform.windows import FULL_REBUILD, RUN_NAME, WINDOW_END, WINDOW_START, resolve_window, window_params

LANDING = f"s3://{setting('landing_bucket')}/car_telemetry"
LAKE = f"s3://{setting('lake_bucket')}"
BRONZE = f"{LAKE}/bronze/car_telemetry"
SILVER = f"{LAKE}/silver/car_telemetry"
QUARANTINE = f"{LAKE}/quarantine/car_telemetry"
WINDOW_ARGS = {"--window_start": WINDOW_START, "--window_end": WINDOW_END}

with DAG(
    dag_id="car_telemetry",
    doc_md=__doc__,
    start_date=datetime(2025, 10, 1, tzinfo=timezone.utc),
    schedule=CronDataIntervalTimetable("0 * * * *", timezone="UTC"),
    catchup=False,
    max_active_runs=1,
    params=window_params(),
    default_args={
        "owner": "data-platform",
        "retries": 2,
        "retry_delay": timedelta(minutes=5),
        "retry_exponential_backoff": True,
        "execution_timeout": timedelta(hours=1),
    },
    tags=["car_telemetry", "medallion", "glue"],
) as dag:
    window = task(task_id="resolve_window")(resolve_window)()

    landing_files: S3KeySensor = landing_sensor(
        task_id="wait_for_landing_files",
        bucket=setting("landing_bucket"),
        prefix="car_telemetry/",
    )

    bronze: GlueJobOperator = glue_stage(
        task_id="bronze",
        job="car_telemetry_bronze",
        script_args={
            "--landing_path": f"{LANDING}/",
            "--bronze_path": BRONZE,
            "--quarantine_path": QUARANTINE,
            **WINDOW_ARGS,
        },
    )

    silver: GlueJobOperator = glue_stage(
        task_id="silver",
        job="car_telemetry_silver",
        script_args={"--bronze_path": BRONZE, "--silver_path": SILVER, "--full_rebuild": FULL_REBUILD, **WINDOW_ARGS},
        max_active_tis_per_dag=1,
    )

    register_partitions = GlueCatalogPartitionsOperator(
        task_id="register_silver_partitions",
        database=setting("glue_database"),
        table="silver_car_telemetry",
        table_location=SILVER,
        manifest_path=f"{SILVER}/_counts/{RUN_NAME}.json",
        max_active_tis_per_dag=1,
    )

    counts = task(task_id="publish_counts")(publish_counts)(
        counts_paths={
            "bronze": f"{BRONZE}/_counts/{RUN_NAME}.json",
            "silver": f"{SILVER}/_counts/{RUN_NAME}.json",
        }
    )

    window >> landing_files >> bronze >> silver >> register_partitions >> counts
