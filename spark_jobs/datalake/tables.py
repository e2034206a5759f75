"""Partitioned tables: read exactly these partitions, replace exactly these partitions.

A run owns a set of partitions (a window's hours, the days it touched). `replace_partitions`
writes the run's rows to a staging folder of its own (`<table>/_staging/<run>/<attempt>/`), then,
holding the table's lock, swaps each owned partition: the old folder goes, the staged one moves
in, and an owned partition without rows is deleted. So:
- two runs never write into one folder, and a swap never interleaves with another run's swap;
- a run that dies before the swap leaves the table as it was; one that dies during it leaves
  some partitions new and some old, and its rerun replaces them all (idempotent);
- leftovers of killed runs (Spark's `.spark-staging-*`, `_temporary`, old `_staging/` attempts)
  are removed by the next run that holds the lock.
Partition folders hold one file each (rows are repartitioned by the partition columns).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone

from py4j.protocol import Py4JJavaError
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from datalake import storage

HOUR = timedelta(hours=1)
STAGING_DIR = "_staging"
# Staging attempts older than this belong to dead runs (a live run swaps within its Glue timeout).
STALE_STAGING_S = 6 * 3600
SPARK_LEFTOVERS = (".spark-staging-", "_temporary")

Partition = dict[str, int | str]


def partition_path(base: str, values: Partition) -> str:
    """`<base>/ingest_year=2025/ingest_month=10/...`: Spark's Hive-style layout, integers unpadded."""
    return "/".join([base.rstrip("/"), *(f"{name}={value}" for name, value in values.items())])


def hours_between(start: datetime, end: datetime) -> list[datetime]:
    """The UTC hours that [start, end) overlaps."""
    hour = start.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    hours = []
    while hour < end:
        hours.append(hour)
        hour += HOUR
    return hours


def read_partitions(spark: SparkSession, base: str, partitions: Iterable[Partition], schema: T.StructType) -> DataFrame:
    """The rows of exactly these partitions of the table at `base` (missing ones are skipped)."""
    present = [path for path in (partition_path(base, p) for p in partitions) if storage.exists(spark, path)]
    if not present:
        return spark.createDataFrame([], schema)
    return spark.read.schema(schema).option("basePath", base).parquet(*present)


def count_partitions(spark: SparkSession, base: str, partitions: Iterable[Partition], file_format: str) -> int:
    """Rows now stored in these partitions (read back after a commit, so a lost row shows)."""
    present = [path for path in (partition_path(base, p) for p in partitions) if storage.exists(spark, path)]
    if not present:
        return 0
    return spark.read.format(file_format).option("basePath", base).load(present).count()


def stage(rows: DataFrame, table_path: str, run_name: str, partition_columns: Sequence[str], sort_by: Sequence[str],
          file_format: str = "parquet", shuffle: bool = True) -> str:  # fmt: skip
    """Write `rows` partitioned into a staging folder of this attempt; return it.

    With `shuffle`, rows are first gathered by partition: one file per partition. Without it each
    task writes one file per partition it holds (cheaper when the input is a few large slices).
    """
    staging = f"{table_path.rstrip('/')}/{STAGING_DIR}/{run_name}/{uuid.uuid4().hex}"
    gathered = rows.repartition(*partition_columns) if shuffle else rows
    (
        gathered.sortWithinPartitions(*partition_columns, *sort_by)
        .write.mode("errorifexists")
        .partitionBy(*partition_columns)
        .format(file_format)
        .save(staging)
    )
    return staging


def swap_partitions(spark: SparkSession, table_path: str, staging: str, owned: Iterable[Partition]) -> list[Partition]:
    """Replace each owned partition by its staged folder, or delete it if none was staged. Hold the lock.

    Returns the owned partitions that now have data.
    """
    filled = []
    for partition in owned:
        target, staged = partition_path(table_path, partition), partition_path(staging, partition)
        storage.delete(spark, target)
        if storage.exists(spark, staged):
            storage.rename(spark, staged, target)
            filled.append(partition)
    storage.delete(spark, staging)
    _remove_if_empty(spark, staging.rsplit("/", 1)[0])  # this run's folder under _staging/
    _remove_if_empty(spark, f"{table_path.rstrip('/')}/{STAGING_DIR}")
    return filled


def replace_table(spark: SparkSession, table_path: str, staging: str) -> list[str]:
    """Replace everything visible in a whole-snapshot table by what was staged. Hold the lock.

    For a table that each run rebuilds from its whole input: files and partition folders the
    new snapshot does not have go too. Returns the names now in the table.
    """
    table = table_path.rstrip("/")
    for name in storage.list_children(spark, table):
        if not name.startswith(storage.HIDDEN_PREFIXES):
            storage.delete(spark, f"{table}/{name}")
    moved = [name for name in storage.list_children(spark, staging) if not name.startswith(storage.HIDDEN_PREFIXES)]
    for name in moved:
        storage.rename(spark, f"{staging}/{name}", f"{table}/{name}")
    storage.delete(spark, staging)
    _remove_if_empty(spark, staging.rsplit("/", 1)[0])
    _remove_if_empty(spark, f"{table}/{STAGING_DIR}")
    return moved


def _remove_if_empty(spark: SparkSession, folder: str) -> None:
    if storage.exists(spark, folder):
        storage.delete_if_empty(spark, folder)


def remove_leftovers(spark: SparkSession, table_path: str, stale_after_s: float = STALE_STAGING_S) -> list[str]:
    """Delete what killed runs left in the table (call it holding the lock): Spark's and ours.

    A staging attempt is a dead run's once it is `stale_after_s` old; a job whose runs stage only
    while holding the table's lock passes 0 (every attempt it finds is a dead run's).
    """
    removed = []
    for name in storage.list_children(spark, table_path):
        if name.startswith(SPARK_LEFTOVERS):
            storage.delete(spark, f"{table_path.rstrip('/')}/{name}")
            removed.append(name)
    staging_root = f"{table_path.rstrip('/')}/{STAGING_DIR}"
    cutoff_ms = (time.time() - stale_after_s) * 1000
    for run_name in storage.list_children(spark, staging_root):
        run_dir = f"{staging_root}/{run_name}"
        try:
            attempts = storage.list_children(spark, run_dir)
            for attempt in attempts:
                attempt_dir = f"{run_dir}/{attempt}"
                files = storage.list_files(spark, attempt_dir, include_hidden=True)
                if (files or not stale_after_s) and all(file.modified_ms < cutoff_ms for file in files):
                    storage.delete(spark, attempt_dir)
                    removed.append(f"{STAGING_DIR}/{run_name}/{attempt}")
        except Py4JJavaError:
            # Files vanished while listed: a live run (another window's) is writing or swapping there.
            continue
        storage.delete_if_empty(spark, run_dir)
    if removed:
        print(f"removed leftovers of earlier runs from {table_path}: {', '.join(removed)}", flush=True)
    return removed
