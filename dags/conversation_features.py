"""
### conversation_features: MongoDB agent sessions -> the daily training CSV (and Parquet), daily

Each UTC day D, after it ends: extract the sessions created in [D, D+1) from MongoDB
(`mongo_default`, database `conversations`, collection `sessions`) to
`s3://<lake>/raw/conversation_features/dt=D/` as gzip Extended JSON Lines, streamed by multipart
upload, with `_manifest.json` written last -> wait for that manifest (`S3KeySensor`) -> Glue job
`conversation_features` (quarantine what cannot be a row, one row per session, the features) ->
`s3://<lake>/gold/conversation_features/dt=D/csv/conversation_features.csv` and `.../parquet/` ->
register the Parquet partition `dt=D` in the Glue Data Catalog (table `conversation_features`) ->
publish the extract's and the job's counts. An empty day is a success with a header-only CSV.

**Manual runs**: `window_start`/`window_end` (one whole UTC day, with a time zone) reprocess that
day; `database`/`collection` read another source for this run. **Backfill**: `airflow backfill
create --dag-id conversation_features --from-date A --to-date B` (one run per day; a rerun of a day
overwrites that day's keys).
"""

from datetime import timedelta

from airflow.providers.amazon.aws.sensors.s3 import S3KeySensor
from airflow.sdk import DAG, Param

from dataplatform import paths
from dataplatform.catalog import GlueCatalogPartitionsOperator
from dataplatform.config import setting
from dataplatform.dag_defaults import DAY, DEFAULT_ARGS, START_DATE, daily
from dataplatform.glue import glue_stage
from dataplatform.mongo_extract import MANIFEST, MongoWindowToS3Operator
from dataplatform.run_counts import publish_counts_task
from dataplatform.windows import WINDOW_ARGS, WINDOW_DATE, WINDOW_END, WINDOW_START, resolve_window, window_params

DATASET = "conversation_features"
RAW = paths.table(DATASET, "raw", job="conversation_features_extract")
FEATURES = paths.table(DATASET, "gold", job="conversation_features")
EXTRACT_PATH = f"{paths.location(RAW)}/dt={WINDOW_DATE}/"
OUTPUT_PATH = f"{paths.location(FEATURES)}/dt={WINDOW_DATE}/"
SOURCE_PARAMS = {
    "database": Param(None, type=["null", "string"], title="MongoDB database",
                      description="Optional: another database for this run (default: conversations)."),
    "collection": Param(None, type=["null", "string"], title="MongoDB collection",
                        description="Optional: another collection for this run (default: sessions)."),
}  # fmt: skip

with DAG(
    dag_id="conversation_features",
    doc_md=__doc__,
    start_date=START_DATE,
    schedule=daily(),
    catchup=False,
    max_active_runs=4,  # days write disjoint keys; a day's own outputs are swapped under its lock
    params={**window_params("a UTC midnight"), **SOURCE_PARAMS},
    default_args=DEFAULT_ARGS,
    tags=["conversation_features", "mongodb", "glue", "ml-features"],
) as dag:
    window = resolve_window(align=DAY, align_label="a UTC midnight", span=DAY)

    extract = MongoWindowToS3Operator(
        task_id="extract_sessions",
        mongo_conn_id="mongo_default",
        database=setting("conversation_features_database", param="database"),
        collection=setting("conversation_features_collection", param="collection"),
        window_start=WINDOW_START,
        window_end=WINDOW_END,
        s3_prefix=EXTRACT_PATH,
        batch_size=1000,
        part_bytes=8 << 20,
        file_bytes=256 << 20,
        execution_timeout=timedelta(hours=2),
    )

    extract_manifest = S3KeySensor(
        task_id="wait_for_extract_manifest",
        bucket_key=EXTRACT_PATH + MANIFEST,
        poke_interval=30,
        timeout=int(timedelta(minutes=30).total_seconds()),
        mode="reschedule",
    )

    features = glue_stage(
        task_id="features",
        job=FEATURES.name,
        script_args={
            "--input_path": EXTRACT_PATH,
            "--output_path": OUTPUT_PATH,
            **WINDOW_ARGS,
            "--counts_path": paths.counts(FEATURES),
            "--manifest_path": paths.manifest(FEATURES),
        },
        concurrent_runs=4,
    )

    register_partition = GlueCatalogPartitionsOperator(
        task_id="register_parquet_partition",
        database=setting("glue_database"),
        table=FEATURES.name,
        table_location=paths.location(FEATURES),
        manifest_path=paths.manifest(FEATURES),
        partition_folder="parquet",
    )

    counts = publish_counts_task({"extract": EXTRACT_PATH + MANIFEST, "features": paths.counts(FEATURES)})

    window >> extract >> extract_manifest >> features >> register_partition >> counts
