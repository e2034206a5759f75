"""Glue job crypto_features: a daily prices CSV (`raw.csv`) -> per-symbol features in Parquet.

    crypto_features.py --input_path P --output_path P [--quarantine_path P] [--counts_path P] [--manifest_path P]

`input_path` is a CSV file or a folder of them (`symbol,date,open,high,low,close,volume`, several
symbols, any order). The prices are a whole history, so each run rebuilds the whole table: it
replaces everything in `output_path` (Parquet partitioned by `symbol`, one row per symbol and
date, in date order) and in `quarantine_path` (JSON Lines, each refused record with its reason;
default `<output_path>/_quarantine`). The replacement is staged and swapped under the table's
lock, so a rerun, or a run killed half-way and rerun, leaves exactly one copy.
"""

from __future__ import annotations

from datalake import csv_input, quarantine, storage, tables
from datalake.cli import JobError, run_job
from datalake.crypto_ml import features
from datalake.crypto_ml.schema import INPUT_COLUMNS
from datalake.job import JobRun, JobSpec
from datalake.locks import table_lock
from datalake.manifest import table_manifest

SPEC = JobSpec(
    name="crypto_features",
    required=("input_path", "output_path"),
    output="output_path",
    optional={"quarantine_path": None},
)
PARTITION = "symbol"


def input_files(run: JobRun) -> list[storage.FileStatus]:
    """The CSV file named, or a folder's direct `*.csv` files; none at all is an error, not an empty history."""
    path = run.require_input("input_path").rstrip("/")
    listed = storage.list_files(run.spark, path)
    if storage.is_file(run.spark, path):
        files = [file for file in listed if file.path.endswith(csv_input.SUFFIX)]
    else:
        files = [file for file in listed if csv_input.is_csv(file, path)]
    if not files:
        raise JobError(f"--input_path {path} has no .csv file")
    return files


def replace_tables(run: JobRun, rows, refused, quarantine_path: str) -> dict:
    """Stage the features and the refused records, then swap both tables whole under their locks."""
    output_path = run.args.output_path
    # Rows arrive hash-partitioned by symbol from the feature windows: each task writes its symbols'
    # files as they are (no second shuffle), in date order.
    staged = tables.stage(rows, output_path, run.run_name, [PARTITION], ["date"], shuffle=False)
    staged_refused = tables.stage(refused, quarantine_path, run.run_name, [], [csv_input.SOURCE_FILE,
                                  csv_input.ROW_IN_FILE], "json", shuffle=False)  # fmt: skip
    with table_lock(output_path, SPEC.name), table_lock(quarantine_path, SPEC.name):
        for path in (output_path, quarantine_path):
            tables.remove_leftovers(run.spark, path)
        replaced = _count(run, output_path, "parquet", rows.schema)
        symbols = tables.replace_table(run.spark, output_path, staged)
        tables.replace_table(run.spark, quarantine_path, staged_refused)
        return {
            "replaced": replaced,
            "written": _count(run, output_path, "parquet", rows.schema),
            "quarantined": _count(run, quarantine_path, "json", refused.schema),
            "partitions": [{PARTITION: name.partition("=")[2]} for name in symbols],
        }


def _count(run: JobRun, path: str, file_format: str, schema) -> int:
    """Rows stored in a table now (read back with its known schema: no inference pass)."""
    if not storage.list_files(run.spark, path):
        return 0
    return run.spark.read.schema(schema).format(file_format).load(path).count()


def main(argv: list[str] | None = None) -> dict:
    run = SPEC.start(argv)
    quarantine_path = run.args.quarantine_path or f"{run.args.output_path.rstrip('/')}/_quarantine"
    files = input_files(run)
    header_problems = csv_input.check_headers(files, INPUT_COLUMNS)
    # Prices never hold a line break inside a field: a big file is split across tasks (all cores).
    records = csv_input.read_folder(run.spark, run.args.input_path, INPUT_COLUMNS, multi_line=False)

    parsed = features.parse(records, header_problems).persist()  # parsed once; counted and written from here
    accepted, refused = quarantine.split(parsed)
    by_reason = dict(parsed.groupBy(quarantine.REASON).count().collect())
    accepted_days = accepted.select("symbol", "date").distinct().count()
    rows = features.to_features(features.latest_per_day(accepted))
    stored = replace_tables(run, rows, features.to_quarantine(refused), quarantine_path)
    parsed.unpersist()
    counts = {
        "files_read": len(files),
        "files_with_header_problems": header_problems,
        "read": sum(by_reason.values()),
        "written": stored["written"],
        "quarantined": stored["quarantined"],
        "superseded": by_reason.get(None, 0) - accepted_days,  # an earlier row of the same symbol and day
        "replaced": stored["replaced"],
        "symbols": len(stored["partitions"]),
        "quarantine_reasons": dict(sorted((r, n) for r, n in by_reason.items() if r is not None)),
    }
    return run.finish(counts, table_manifest(rows.limit(0), (PARTITION,), stored["partitions"]))


if __name__ == "__main__":
    run_job(main)
