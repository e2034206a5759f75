"""Write one day of conversation_features: CSV (one file), Parquet and quarantine, swapped in together.

Each is written to `<day>/_staging/<run>/<attempt>/<name>/` first; then, holding the day's lock,
the old folders are deleted and the staged ones moved in. A run that dies before the swap leaves
the day as it was; a rerun replaces all three (and removes a dead run's staging folder).
"""

from __future__ import annotations

import uuid

from pyspark.sql import DataFrame, SparkSession

from datalake import storage, tables

CSV_DIR, PARQUET_DIR, QUARANTINE_DIR = "csv", "parquet", "quarantine"
CSV_FILE = "conversation_features.csv"
# RFC 4180: a quote inside a field is doubled (Spark escapes it with a backslash unless told).
CSV_OPTIONS = {
    "header": "true",
    "encoding": "UTF-8",
    "quote": '"',
    "escape": '"',
    "timestampFormat": "yyyy-MM-dd'T'HH:mm:ss'Z'",
    "lineSep": "\n",
}


def _write_csv(rows: DataFrame, folder: str, spark: SparkSession) -> None:
    """One CSV file, sorted by session_id, at `<folder>/conversation_features.csv`."""
    spark_folder = f"{folder}_spark"
    rows.repartition(1).sortWithinPartitions("session_id").write.mode("errorifexists").options(**CSV_OPTIONS).csv(
        spark_folder
    )
    parts = [f for f in storage.list_files(spark, spark_folder) if f.path.rsplit("/", 1)[-1].startswith("part-")]
    if len(parts) != 1:
        raise RuntimeError(f"expected one CSV file in {spark_folder}, found {len(parts)}")
    storage.rename(spark, parts[0].path, f"{folder}/{CSV_FILE}")
    storage.delete(spark, spark_folder)


def replace_day(spark: SparkSession, day_path: str, run_name: str, rows: DataFrame, refused: DataFrame) -> dict:
    """Stage and swap the day's outputs; returns the counts read back (written, quarantined)."""
    day_path = day_path.rstrip("/")
    tables.remove_leftovers(spark, day_path, stale_after_s=0)  # staging happens only under the day's lock
    staging = f"{day_path}/{tables.STAGING_DIR}/{run_name}/{uuid.uuid4().hex}"
    rows.repartition(1).sortWithinPartitions("session_id").write.mode("errorifexists").parquet(
        f"{staging}/{PARQUET_DIR}"
    )
    _write_csv(spark.read.parquet(f"{staging}/{PARQUET_DIR}"), f"{staging}/{CSV_DIR}", spark)
    refused.select("reason", "record").repartition(1).write.mode("errorifexists").json(f"{staging}/{QUARANTINE_DIR}")
    for name in (PARQUET_DIR, CSV_DIR, QUARANTINE_DIR):
        storage.delete(spark, f"{day_path}/{name}")
        storage.rename(spark, f"{staging}/{name}", f"{day_path}/{name}")
    storage.delete(spark, f"{day_path}/{tables.STAGING_DIR}")
    return {
        "written": spark.read.parquet(f"{day_path}/{PARQUET_DIR}").count(),
        "csv_rows": spark.read.options(**CSV_OPTIONS).csv(f"{day_path}/{CSV_DIR}").count(),
        "quarantined": spark.read.text(f"{day_path}/{QUARANTINE_DIR}").count(),
    }
