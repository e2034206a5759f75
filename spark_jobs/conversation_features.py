"""Glue job conversation_features: one day's extracted sessions -> the training CSV and Parquet.

    conversation_features.py --input_path s3://lake/raw/conversation_features/dt=2025-10-29/
                             --output_path s3://lake/gold/conversation_features/dt=2025-10-29/
                             --window_start 2025-10-29T00:00:00Z --window_end 2025-10-30T00:00:00Z
                             [--counts_path P] [--manifest_path P]

Reads every extract file under `input_path` (gzip JSON Lines of MongoDB relaxed Extended JSON; the
extract's `_manifest.json` count, when there, must match the lines read), quarantines what cannot be
a row (with the reason, under `output_path/quarantine/`), keeps one row per session_id (latest
updated_at), and writes the SPEC's columns as one CSV file with a header (`output_path/csv/
conversation_features.csv`, UTF-8, RFC 4180 quoting, ISO-8601 `Z` timestamps, `true`/`false`) and
as Parquet (`output_path/parquet/`). An empty day gives a CSV with only the header. The three
folders are written to a staging folder and swapped in under the day's lock: a rerun replaces them.
"""

from __future__ import annotations

import json
from datetime import timedelta

from pyspark.sql import functions as F

from datalake import quarantine, storage
from datalake.cli import JobError, run_job
from datalake.conversation_features import output
from datalake.conversation_features.features import COLUMNS, latest_per_session, to_features
from datalake.conversation_features.parse import parse_sessions
from datalake.job import JobRun, JobSpec, WindowRule
from datalake.locks import table_lock
from datalake.manifest import table_manifest

DAY = timedelta(days=1)
SPEC = JobSpec(
    name="conversation_features",
    required=("input_path", "output_path"),
    output="output_path",
    window=WindowRule(align=DAY, label="a UTC midnight"),
)
EXTRACT_MANIFEST = "_manifest.json"
PARTITION_KEY = "dt"


def check_one_day(run: JobRun) -> str:
    """The day the window is (the output is that day's partition)."""
    start, end = run.window
    if end - start != DAY:
        raise JobError(f"the window must be one UTC day, not {end - start} ([--window_start, --window_end))")
    return f"{start:%Y-%m-%d}"


def extract_count(run: JobRun, input_path: str) -> int | None:
    path = f"{input_path.rstrip('/')}/{EXTRACT_MANIFEST}"
    if not storage.exists(run.spark, path):
        return None
    return int(json.loads(storage.read_text(run.spark, path))["count"])


def main(argv: list[str] | None = None) -> dict:
    run = SPEC.parse(argv)
    day = check_one_day(run)
    run.start_spark()
    input_path, output_path = run.require_input("input_path"), run.args.output_path
    lines = run.spark.read.text(input_path).where(F.trim("value") != "")
    parsed = parse_sessions(lines).persist()
    read = parsed.count()
    expected = extract_count(run, input_path)
    if expected is not None and expected != read:
        raise RuntimeError(f"{input_path}: the extract's manifest counts {expected} documents, {read} lines were read")
    accepted, refused = quarantine.split(parsed)
    ranked = latest_per_session(accepted).persist()
    superseded = ranked.where(F.col("_rank") > 1).count()
    rows = to_features(ranked.where(F.col("_rank") == 1)).select(*COLUMNS)
    with table_lock(output_path, SPEC.name):
        written = output.replace_day(run.spark, output_path, run.run_name, rows, refused)
    counts = {
        "read": read,
        "superseded": superseded,
        "quarantine_reasons": quarantine.reason_counts(parsed),
        "extract_count": expected,
        **written,
    }
    schema_of_table = rows.limit(0).withColumn(PARTITION_KEY, F.lit(day))
    parsed.unpersist()
    ranked.unpersist()
    return run.finish(counts, table_manifest(schema_of_table, (PARTITION_KEY,), [{PARTITION_KEY: day}]))


if __name__ == "__main__":
    run_job(main)
