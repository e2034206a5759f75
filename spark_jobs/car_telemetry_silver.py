"""Glue job car_telemetry_silver: the bronze hours of one window -> silver, one row per car and event day.

    car_telemetry_silver.py --bronze_path P --silver_path P
                            --window_start 2025-10-29T14:00:00Z --window_end 2025-10-29T15:00:00Z
                            [--full_rebuild false]

Reads only the bronze partitions `ingest_year=/ingest_month=/ingest_day=/ingest_hour=` of the window
and only the silver days (`event_year=/event_month=/event_day=`) its rows fall on, so an hourly run
costs what its new data and those days cost, not the whole table. With `--full_rebuild true` the
touched days are rebuilt from the window's bronze alone (for rebuilding a date range).

The merged rows are written to `silver_path/_staging/<window>/` first and the silver days are then
overwritten from there: the days are never overwritten by a plan that is still reading them.
Counts, with the catalog manifest under "table", go to `silver_path/_counts/`.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession

from datalake import storage
from datalake.car_telemetry import bronze, silver
from datalake.car_telemetry.schema import BRONZE_SCHEMA, EVENT_PARTITIONS, SILVER_SCHEMA, partition_path
from datalake.cli import JobError, parse_job_args, parse_window, run_job
from datalake.counts import window_run_name, write_counts
from datalake.manifest import table_manifest
from datalake.session import get_spark

JOB = "car_telemetry_silver"
REQUIRED = ["bronze_path", "silver_path", "window_start", "window_end"]
OPTIONAL = {"full_rebuild": "false"}
STAGING_DIR = "_staging"


def parse_flag(name: str, value: str) -> bool:
    if value.strip().lower() not in ("true", "false"):
        raise JobError(f"--{name} must be true or false, not {value!r}")
    return value.strip().lower() == "true"


def read_partitions(spark: SparkSession, base: str, partitions: list[dict], schema) -> DataFrame:
    """The rows of exactly these partitions of the table at `base` (missing ones are skipped)."""
    paths = [partition_path(base, partition) for partition in partitions]
    present = [path for path in paths if storage.exists(spark, path)]
    if not present:
        return spark.createDataFrame([], schema)
    return spark.read.schema(schema).option("basePath", base).parquet(*present)


def overwrite_days(rows: DataFrame, path: str) -> None:
    """Replace exactly the event days present in `rows` (one file per day); other days are not touched."""
    (
        rows.repartition(*EVENT_PARTITIONS)
        .sortWithinPartitions("carChassis")
        .write.mode("overwrite")
        .option("partitionOverwriteMode", "dynamic")
        .partitionBy(*EVENT_PARTITIONS)
        .parquet(path)
    )


def stage(spark: SparkSession, rows: DataFrame, staging: str) -> DataFrame:
    """Materialise `rows` in a staging folder (overwritten by a rerun) and read them back from there."""
    rows.write.mode("overwrite").parquet(staging)
    return spark.read.schema(SILVER_SCHEMA).parquet(staging)


def main(argv: list[str] | None = None) -> dict:
    args = parse_job_args(JOB, REQUIRED, OPTIONAL, argv=argv)
    window = parse_window(args.window_start, args.window_end)
    full_rebuild = parse_flag("full_rebuild", args.full_rebuild)
    spark = get_spark(JOB)

    hours = [bronze.hour_partition(hour) for hour in bronze.window_hours(*window)]
    incoming = silver.to_silver(read_partitions(spark, args.bronze_path, hours, BRONZE_SCHEMA)).persist()
    day_counts = incoming.groupBy(*EVENT_PARTITIONS).count().collect()
    days = silver.touched_days(day_counts)
    existing = (
        spark.createDataFrame([], SILVER_SCHEMA)
        if full_rebuild or not days
        else read_partitions(spark, args.silver_path, days, SILVER_SCHEMA)
    )
    read_existing = existing.count()

    written_rows = incoming.limit(0)
    if days:
        staging = f"{args.silver_path.rstrip('/')}/{STAGING_DIR}/{window_run_name(*window)}"
        written_rows = stage(spark, silver.consolidate(incoming, existing), staging)
        overwrite_days(written_rows, args.silver_path)
    written = written_rows.count()
    incoming.unpersist()
    if days:
        storage.delete(spark, staging)

    read = sum(row["count"] for row in day_counts) + read_existing
    counts = {
        "job": JOB,
        "window_start": window[0].isoformat(),
        "window_end": window[1].isoformat(),
        "full_rebuild": full_rebuild,
        "read": read,
        "read_existing": read_existing,
        "written": written,
        "quarantined": 0,
        "superseded": read - written,
        "table": table_manifest(written_rows, EVENT_PARTITIONS, days),
    }
    write_counts(spark, args.silver_path, window_run_name(*window), counts)
    return counts


if __name__ == "__main__":
    run_job(main)
