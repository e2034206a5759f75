"""Glue job car_telemetry_bronze: the landing JSON files of one window -> bronze Parquet + quarantine.

    car_telemetry_bronze.py --landing_path P --bronze_path P --quarantine_path P
                            --window_start 2025-10-29T14:00:00Z --window_end 2025-10-29T15:00:00Z

Reads the files (sub-folders included) last modified in [window_start, window_end); writes
`bronze_path/ingest_year=/ingest_month=/ingest_day=/ingest_hour=` (Parquet) and the refused
records, with their reason, under the same partitions of `quarantine_path` (JSON Lines).
A rerun replaces the window's hour partitions in both; counts go to `bronze_path/_counts/`.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from datalake import storage
from datalake.car_telemetry import bronze
from datalake.car_telemetry.schema import INGEST_PARTITIONS, partition_path
from datalake.cli import JobError, parse_job_args, parse_window, run_job
from datalake.counts import window_run_name, write_counts
from datalake.manifest import table_manifest
from datalake.session import get_spark

JOB = "car_telemetry_bronze"
REQUIRED = ["landing_path", "bronze_path", "quarantine_path", "window_start", "window_end"]


def read_landed(spark: SparkSession, files: list[storage.FileStatus]) -> DataFrame:
    """One (source_file, ingest_ts, text) row per file.

    Spark yields no row for an empty file, so those rows come from the listing.
    """
    empty = spark.createDataFrame(
        [(file.path, file.modified_ms) for file in files if file.size == 0], "source_file string, modified_ms long"
    ).select("source_file", F.timestamp_millis("modified_ms").alias("ingest_ts"), F.lit("").alias("text"))
    non_empty = [file.path for file in files if file.size > 0]
    if not non_empty:
        return empty
    texts = spark.read.text(non_empty, wholetext=True).select(
        F.col("_metadata.file_path").alias("source_file"),
        F.col("_metadata.file_modification_time").alias("ingest_ts"),
        F.col("value").alias("text"),
    )
    return texts.unionByName(empty)


def overwrite_partitions(df: DataFrame, path: str, file_format: str) -> None:
    """Replace exactly the partitions present in `df`; one file per partition."""
    (
        df.repartition(*INGEST_PARTITIONS)
        .sortWithinPartitions("source_file")
        .write.mode("overwrite")
        .option("partitionOverwriteMode", "dynamic")
        .partitionBy(*INGEST_PARTITIONS)
        .format(file_format)
        .save(path)
    )


def replace_window(
    spark: SparkSession, rows: DataFrame, path: str, file_format: str, written: set, hours: list
) -> None:
    """Overwrite the window's hours that have rows; delete its other hours, which an earlier run may have filled.

    Stale hours are deleted only once the write has succeeded, so a failed rerun leaves the earlier output whole.
    """
    if written:
        overwrite_partitions(rows, path, file_format)
    for hour in hours:
        partition = bronze.hour_partition(hour)
        if tuple(partition.values()) not in written:
            storage.delete(spark, partition_path(path, partition))


def window_counts(summary: list, files: list, window: tuple, bronze_rows: DataFrame) -> dict:
    """The counts JSON: read = written + quarantined; the reasons; the bronze partitions written (for the catalog)."""
    accepted = [row for row in summary if row.reason is None]
    reasons: dict[str, int] = {}
    for row in summary:
        if row.reason is not None:
            reasons[row.reason] = reasons.get(row.reason, 0) + row["count"]
    partitions = sorted({tuple(row[name] for name in INGEST_PARTITIONS) for row in accepted})
    return {
        "job": JOB,
        "window_start": window[0].isoformat(),
        "window_end": window[1].isoformat(),
        "files_read": len(files),
        "read": sum(row["count"] for row in summary),
        "written": sum(row["count"] for row in accepted),
        "quarantined": sum(reasons.values()),
        "superseded": 0,
        "quarantine_reasons": dict(sorted(reasons.items())),
        "table": table_manifest(
            bronze_rows, INGEST_PARTITIONS, [dict(zip(INGEST_PARTITIONS, p, strict=True)) for p in partitions]
        ),
    }


def main(argv: list[str] | None = None) -> dict:
    args = parse_job_args(JOB, REQUIRED, argv=argv)
    window = parse_window(args.window_start, args.window_end)
    bronze.require_hour_aligned(*window)
    spark = get_spark(JOB)
    if not storage.exists(spark, args.landing_path):
        raise JobError(f"--landing_path {args.landing_path} does not exist")

    files = bronze.window_files(storage.list_files(spark, args.landing_path), *window)
    parsed = bronze.parse_records(bronze.split_records(read_landed(spark, files))).persist()
    summary = bronze.with_ingest_partitions(parsed).groupBy("reason", *INGEST_PARTITIONS).count().collect()
    bronze_rows = bronze.to_bronze(parsed)
    hours = bronze.window_hours(*window)
    for rows, path, file_format, refused in (
        (bronze_rows, args.bronze_path, "parquet", False),
        (bronze.to_quarantine(parsed), args.quarantine_path, "json", True),
    ):
        written = {tuple(row[name] for name in INGEST_PARTITIONS) for row in summary if bool(row.reason) == refused}
        replace_window(spark, rows, path, file_format, written, hours)
    parsed.unpersist()

    counts = window_counts(summary, files, window, bronze_rows)
    write_counts(spark, args.bronze_path, window_run_name(*window), counts)
    return counts


if __name__ == "__main__":
    run_job(main)
