"""Glue job car_telemetry_silver: the bronze hours of one window -> silver, one row per car and event day.

    car_telemetry_silver.py --bronze_path P --silver_path P
                            --window_start 2025-10-29T14:00:00Z --window_end 2025-10-29T15:00:00Z
                            [--full_rebuild false] [--counts_path P] [--manifest_path P]

Incremental (the default): reads only the bronze hours of the window and only the silver days
(`event_year=/event_month=/event_day=`) its rows fall on, merges them, and replaces those days, so
an hourly run costs what its new data and those days cost, not the whole table.

`--full_rebuild true` takes event days as its unit: the window must be whole UTC days, and each of
them is rebuilt from every bronze row of that day, whatever hour it landed in (a scan of bronze,
filtered on the reading's timestamp). Rows the days held before are counted as `replaced`.

The job holds the silver table's lock (and bronze's, so no bronze rerun swaps an hour under it)
from its first read to its commit: two runs over the same days cannot lose each other's rows.
"""

from __future__ import annotations

from datetime import timedelta

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from datalake import conventions, tables
from datalake.car_telemetry import silver
from datalake.car_telemetry.schema import BRONZE_SCHEMA, EVENT_PARTITIONS, SILVER_SCHEMA
from datalake.cli import parse_flag, run_job
from datalake.job import JobRun, JobSpec, WindowRule
from datalake.locks import table_lock
from datalake.manifest import table_manifest

SPEC = JobSpec(
    name="car_telemetry_silver",
    required=("bronze_path", "silver_path"),
    output="silver_path",
    optional={"full_rebuild": "false"},
    window=WindowRule(align=timedelta(hours=1), label="an hour"),
)
DAY = timedelta(days=1)


def window_days(run: JobRun) -> list[dict[str, int]]:
    """A full rebuild's days: the window must be whole UTC days."""
    WindowRule(align=DAY, label="a UTC midnight (a full rebuild takes whole event days)").check(*run.window)
    start, end = run.window
    days = [start + DAY * index for index in range((end - start) // DAY)]
    return [dict(zip(EVENT_PARTITIONS, (day.year, day.month, day.day), strict=True)) for day in days]


def rebuild_input(run: JobRun, days: list[dict[str, int]]) -> DataFrame:
    """Every bronze row whose reading falls on one of `days` (string prefilter for Parquet pushdown, then exact)."""
    start, end = run.window
    loose_from, loose_to = f"{start - DAY:%Y-%m-%d}", f"{end + DAY:%Y-%m-%d}"
    all_bronze = run.spark.read.schema(BRONZE_SCHEMA).option("basePath", run.args.bronze_path)
    readings = all_bronze.parquet(run.args.bronze_path).where(
        F.col("metrics.metricTimestamp").between(loose_from, loose_to)
    )
    wanted = F.struct(*(F.col(name) for name in EVENT_PARTITIONS)).isin(
        [F.struct(*(F.lit(day[name]) for name in EVENT_PARTITIONS)) for day in days]
    )
    return silver.to_silver(readings).where(wanted)


def merge(run: JobRun, full_rebuild: bool) -> tuple[DataFrame, dict, list]:
    """The ranked rows to write, the input counts, and the days this run owns."""
    spark, silver_path = run.spark, run.args.silver_path
    if full_rebuild:
        days = window_days(run)
        incoming = rebuild_input(run, days)
        existing = spark.createDataFrame([], SILVER_SCHEMA)
        counts = {"replaced": tables.count_partitions(spark, silver_path, days, "parquet"), "read_existing": 0}
    else:
        hours = [conventions.hour_partition(hour) for hour in tables.hours_between(*run.window)]
        incoming = silver.to_silver(tables.read_partitions(spark, run.args.bronze_path, hours, BRONZE_SCHEMA)).persist()
        days = silver.touched_days(incoming.select(*EVENT_PARTITIONS).distinct().collect())
        existing = tables.read_partitions(spark, silver_path, days, SILVER_SCHEMA) if days else incoming.limit(0)
        counts = {"replaced": 0, "read_existing": existing.count()}
    ranked = silver.ranked(incoming, existing).persist()
    counts["read"] = ranked.count() - counts["read_existing"]
    counts["superseded"] = ranked.where(F.col("_rank") > 1).count()
    return ranked, counts, days


def main(argv: list[str] | None = None) -> dict:
    run = SPEC.parse(argv)
    full_rebuild = parse_flag("full_rebuild", run.args.full_rebuild)
    if full_rebuild:
        window_days(run)  # refuse a partial day before Spark starts
    run.start_spark()
    bronze_path, silver_path = run.require_input("bronze_path"), run.args.silver_path
    with table_lock(silver_path, SPEC.name), table_lock(bronze_path, SPEC.name):
        tables.remove_leftovers(run.spark, silver_path, stale_after_s=0)  # silver stages only under its lock
        ranked, counts, days = merge(run, full_rebuild)
        staging = tables.stage(silver.best_rows(ranked), silver_path, run.run_name, EVENT_PARTITIONS, ["carChassis"])
        filled = tables.swap_partitions(run.spark, silver_path, staging, days)
        counts["written"] = tables.count_partitions(run.spark, silver_path, days, "parquet")
        ranked.unpersist()
    counts.update(full_rebuild=full_rebuild, quarantined=0)
    schema_of_silver = run.spark.createDataFrame([], SILVER_SCHEMA)
    return run.finish(counts, table_manifest(schema_of_silver, EVENT_PARTITIONS, filled))


if __name__ == "__main__":
    run_job(main)
