"""
### car_telemetry: landing JSON -> bronze Parquet -> consolidated silver, hourly

Each hour: wait for the landing files modified in the hour (an hour without files is skipped) ->
Glue job `car_telemetry_bronze` (parse with the declared schema, quarantine bad records with a
reason) -> Glue job `car_telemetry_silver` (flatten, cleanse, enrich, and consolidate one row per
car and day into only the silver days the hour touches) -> register the written partitions in
the Glue Data Catalog (table `car_telemetry_silver`) -> publish the run's counts.

**Manual runs**: `window_start`/`window_end` (on the hour, with a time zone) reprocess an explicit
window; `full_rebuild` with a window of whole UTC days rebuilds those event days from all of
their bronze rows. **Backfill**: `airflow backfill create --dag-id car_telemetry --from-date A
--to-date B --max-active-runs 1` (see the README: the jobs lock their tables, so concurrent
runs are safe, but one at a time is faster on a small machine).
"""

from airflow.sdk import DAG

from dataplatform import paths
from dataplatform.catalog import GlueCatalogPartitionsOperator
from dataplatform.config import setting
from dataplatform.dag_defaults import DEFAULT_ARGS, HOUR, START_DATE, hourly
from dataplatform.glue import glue_stage
from dataplatform.run_counts import publish_counts_task
from dataplatform.sensors import LandingFilesSensor
from dataplatform.windows import FULL_REBUILD, WINDOW_ARGS, resolve_window, window_params

DATASET = "car_telemetry"
BRONZE = paths.table(DATASET, "bronze")
SILVER = paths.table(DATASET, "silver")
QUARANTINE = paths.table(DATASET, "quarantine")

with DAG(
    dag_id="car_telemetry",
    doc_md=__doc__,
    start_date=START_DATE,
    schedule=hourly(),
    catchup=False,
    max_active_runs=1,
    params=window_params("an hour", rebuild=True),
    default_args=DEFAULT_ARGS,
    tags=["car_telemetry", "medallion", "glue"],
) as dag:
    window = resolve_window(align=HOUR, align_label="an hour")

    landing_files = LandingFilesSensor(
        task_id="wait_for_landing_files",
        bucket_name=setting("landing_bucket"),
        prefix=f"{DATASET}/",
        ledger_table=paths.location(BRONZE),
    )

    bronze = glue_stage(
        task_id="bronze",
        job=BRONZE.name,
        script_args={
            "--landing_path": paths.landing(DATASET),
            "--bronze_path": paths.location(BRONZE),
            "--quarantine_path": paths.location(QUARANTINE),
            **WINDOW_ARGS,
            "--counts_path": paths.counts(BRONZE),
            "--manifest_path": paths.manifest(BRONZE),
        },
        concurrent_runs=4,  # different hours write different partitions; one hour's swap is locked
    )

    silver = glue_stage(
        task_id="silver",
        job=SILVER.name,
        script_args={
            "--bronze_path": paths.location(BRONZE),
            "--silver_path": paths.location(SILVER),
            "--full_rebuild": FULL_REBUILD,
            **WINDOW_ARGS,
            "--counts_path": paths.counts(SILVER),
            "--manifest_path": paths.manifest(SILVER),
        },
        max_active_tis_per_dag=1,  # silver runs take the table's lock anyway; no point queueing in Glue
    )

    register_partitions = GlueCatalogPartitionsOperator(
        task_id="register_silver_partitions",
        database=setting("glue_database"),
        table=SILVER.name,
        table_location=paths.location(SILVER),
        manifest_path=paths.manifest(SILVER),
    )

    counts = publish_counts_task({"bronze": paths.counts(BRONZE), "silver": paths.counts(SILVER)})

    window >> landing_files >> bronze >> silver >> register_partitions >> counts
