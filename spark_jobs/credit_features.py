"""Glue job credit_features: one day's credit CSV -> cleansed, banded, one-hot features in Parquet.

    credit_features.py --input_path P --output_path P --anomesdia YYYYMMDD
                       [--quarantine_path P] [--counts_path P] [--manifest_path P]

Reads only `input_path/anomesdia=YYYYMMDD/*.csv` (the days around it are never listed) and
replaces only `output_path/anomesdia=YYYYMMDD/` (Parquet, one row per valid `id_cliente`) and the
same day of `quarantine_path` (JSON Lines: each refused record with its reason; default
`<output_path>/_quarantine`). The replace is staged and swapped under the table's lock
(`datalake.tables`), so a rerun or a run killed half-way and rerun leaves exactly one copy of the day.
The day's folder must exist (a missing credit file is an incident, not an empty day); a folder
whose files hold no records is a normal day with zero rows.
"""

from __future__ import annotations

from pyspark.sql import functions as F

from datalake import csv_input, quarantine, storage, tables
from datalake.cli import JobError, run_job
from datalake.credit_features import features
from datalake.credit_features.schema import INPUT_COLUMNS, PARTITION
from datalake.job import JobRun, JobSpec
from datalake.locks import table_lock
from datalake.manifest import table_manifest

SPEC = JobSpec(
    name="credit_features",
    required=("input_path", "output_path"),
    output="output_path",
    optional={"quarantine_path": None},
    day_argument=PARTITION,
)


def day_folder(run: JobRun) -> tuple[str, list[storage.FileStatus]]:
    """The day's input folder and its `*.csv` files, in key order."""
    folder = tables.partition_path(run.require_input("input_path"), {PARTITION: run.args.anomesdia})
    if not storage.exists(run.spark, folder):
        raise JobError(f"no input for {PARTITION}={run.args.anomesdia}: {folder} does not exist")
    listed = storage.list_files(run.spark, folder)
    return folder, [file for file in listed if csv_input.is_csv(file, folder)]


def replace_day(run: JobRun, rows, refused, quarantine_path: str) -> dict:
    """Stage the day's features and refused records, then swap them in under both tables' locks."""
    day = {PARTITION: run.args.anomesdia}
    output_path = run.args.output_path
    staged = tables.stage(rows, output_path, run.run_name, [PARTITION], ["id_cliente"], shuffle=False)
    staged_refused = tables.stage(
        refused, quarantine_path, run.run_name, [PARTITION], [csv_input.SOURCE_FILE], "json", shuffle=False
    )
    with table_lock(output_path, SPEC.name), table_lock(quarantine_path, SPEC.name):
        for path in (output_path, quarantine_path):
            tables.remove_leftovers(run.spark, path)
        replaced = tables.count_partitions(run.spark, output_path, [day], "parquet")
        filled = tables.swap_partitions(run.spark, output_path, staged, [day])
        tables.swap_partitions(run.spark, quarantine_path, staged_refused, [day])
        return {
            "replaced": replaced,
            "written": tables.count_partitions(run.spark, output_path, [day], "parquet"),
            "quarantined": tables.count_partitions(run.spark, quarantine_path, [day], "json"),
            "filled": filled,
        }


def no_records(run: JobRun):
    """What `csv_input.read_folder` gives for a folder without records (Spark cannot read a folder with no CSV)."""
    texts = [f"`{name}` string" for name in (*INPUT_COLUMNS, csv_input.MALFORMED, csv_input.SOURCE_FILE)]
    return run.spark.createDataFrame([], ", ".join([*texts, f"{csv_input.ROW_IN_FILE} long"]))


def main(argv: list[str] | None = None) -> dict:
    run = SPEC.start(argv)
    quarantine_path = run.args.quarantine_path or f"{run.args.output_path.rstrip('/')}/_quarantine"
    folder, files = day_folder(run)
    header_problems = csv_input.check_headers(files, INPUT_COLUMNS)
    records = csv_input.read_folder(run.spark, folder, INPUT_COLUMNS) if files else no_records(run)

    parsed = features.parse(records, header_problems).persist()
    accepted, refused = quarantine.split(parsed)
    read = parsed.count()
    totals = accepted.agg(F.count(F.lit(1)).alias("rows"), F.countDistinct("id_cliente").alias("clients")).first()
    reasons = quarantine.reason_counts(parsed)
    day = F.lit(run.args.anomesdia)
    rows = features.to_features(features.latest_per_client(accepted)).withColumn(PARTITION, day)
    stored = replace_day(run, rows, features.to_quarantine(refused).withColumn(PARTITION, day), quarantine_path)
    parsed.unpersist()
    counts = {
        "files_read": len(files),
        "files_with_header_problems": header_problems,
        "read": read,
        "written": stored["written"],
        "quarantined": stored["quarantined"],
        "superseded": totals["rows"] - totals["clients"],  # accepted rows that a later row of their client replaced
        "replaced": stored["replaced"],
        "quarantine_reasons": reasons,
    }
    return run.finish(counts, table_manifest(rows.limit(0), (PARTITION,), stored["filled"]))


if __name__ == "__main__":
    run_job(main)
