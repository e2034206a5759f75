"""Glue job car_telemetry_bronze: the landing JSON files of one window -> bronze Parquet + quarantine.

    car_telemetry_bronze.py --landing_path P --bronze_path P --quarantine_path P
                            --window_start 2025-10-29T14:00:00Z --window_end 2025-10-29T15:00:00Z
                            [--audit_hours 24] [--counts_path P] [--manifest_path P]

Reads the `.json` files (sub-folders included) last modified in [window_start, window_end); writes
`bronze_path/ingest_year=/ingest_month=/ingest_day=/ingest_hour=` (Parquet) and the refused records,
with their reason, under the same partitions of `quarantine_path` (JSON Lines). The window's hours
are replaced as a whole in both (`datalake.tables`), so a rerun gives the same output, and each
hour's ledger names the files it was built from (`datalake.ledger`). Landing files of the
`--audit_hours` before the window that no ledger names are reported as `late_files`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from datalake import conventions, landing, ledger, quarantine, storage, tables
from datalake.car_telemetry import bronze
from datalake.car_telemetry.schema import INGEST_PARTITIONS
from datalake.cli import JobError, run_job
from datalake.job import JobRun, JobSpec, WindowRule
from datalake.locks import table_lock
from datalake.manifest import table_manifest

SPEC = JobSpec(
    name="car_telemetry_bronze",
    required=("landing_path", "bronze_path", "quarantine_path"),
    output="bronze_path",
    optional={"audit_hours": "24"},
    window=WindowRule(align=timedelta(hours=1), label="an hour"),
)
SAMPLE_SIZE = 20


def by_hour(files: list[storage.FileStatus]) -> dict[datetime, list[storage.FileStatus]]:
    hours: dict[datetime, list[storage.FileStatus]] = defaultdict(list)
    for file in files:
        moment = landing.EPOCH + timedelta(milliseconds=file.modified_ms)
        hours[moment.replace(minute=0, second=0, microsecond=0)].append(file)
    return hours


def audit_hours(run: JobRun) -> int:
    try:
        hours = int(run.args.audit_hours)
    except ValueError:
        raise JobError(f"--audit_hours must be a whole number of hours, not {run.args.audit_hours!r}") from None
    if hours < 0:
        raise JobError(f"--audit_hours must not be negative, not {hours}")
    return hours


def replace_hours(run: JobRun, parsed: DataFrame, files: list[storage.FileStatus]) -> dict:
    """Stage bronze and quarantine rows, then swap the window's hours (data and ledgers) under the locks.

    Returns the counts read back after the swap: rows in the bronze and quarantine hours, and the
    bronze hours that hold rows (for the catalog manifest).
    """
    bronze_path, quarantine_path = run.args.bronze_path, run.args.quarantine_path
    hours = tables.hours_between(*run.window)
    owned = [conventions.hour_partition(hour) for hour in hours]
    # No shuffle: each read slice writes its own file per hour (a busy hour gets a few files, in parallel).
    bronze_staging = tables.stage(
        bronze.to_bronze(parsed), bronze_path, run.run_name, INGEST_PARTITIONS, ["source_file"], shuffle=False
    )
    refused_staging = tables.stage(
        bronze.to_quarantine(parsed), quarantine_path, run.run_name, INGEST_PARTITIONS,
        ["source_file", "record_index"], "json", shuffle=False,
    )  # fmt: skip
    files_of_hour = by_hour(files)
    with table_lock(bronze_path, SPEC.name), table_lock(quarantine_path, SPEC.name):
        for path in (bronze_path, quarantine_path):
            tables.remove_leftovers(run.spark, path)
        filled = tables.swap_partitions(run.spark, bronze_path, bronze_staging, owned)
        tables.swap_partitions(run.spark, quarantine_path, refused_staging, owned)
        for hour in hours:
            ledger.write(run.spark, bronze_path, hour, files_of_hour.get(hour, []))
        return {
            "written": tables.count_partitions(run.spark, bronze_path, owned, "parquet"),
            "quarantined": tables.count_partitions(run.spark, quarantine_path, owned, "json"),
            "filled": filled,
        }


def main(argv: list[str] | None = None) -> dict:
    run = SPEC.parse(argv)
    lookback = timedelta(hours=audit_hours(run))
    run.start_spark()
    listed = landing.list_files(run.require_input("landing_path"))
    files = [f for f in landing.files_in_window(listed, *run.window) if landing.is_landing_file(f.path)]
    ignored = sorted(
        f.path for f in landing.files_in_window(listed, *run.window) if not landing.is_landing_file(f.path)
    )

    parsed = bronze.parse_records(landing.with_ingest_ts(landing.read_records(run.spark, files))).persist()
    read = parsed.count()
    files_with_pieces = parsed.select(F.countDistinct("source_file")).first()[0]
    reasons = quarantine.reason_counts(parsed)
    stored = replace_hours(run, parsed, files)
    schema_of_bronze = bronze.to_bronze(parsed).limit(0)
    parsed.unpersist()

    earlier = [f for f in landing.files_in_window(listed, run.window[0] - lookback, run.window[0])
               if landing.is_landing_file(f.path)]  # fmt: skip
    counts = {
        "files_read": len(files),
        "files_without_records": len(files) - files_with_pieces,
        "files_ignored": len(ignored),
        "files_ignored_sample": ignored[:SAMPLE_SIZE],
        "read": read,
        "written": stored["written"],
        "quarantined": stored["quarantined"],
        "superseded": 0,
        "quarantine_reasons": reasons,
        **ledger.audit(run.spark, run.args.bronze_path, by_hour(earlier)),
    }
    if counts["late_files"]:
        print(f"WARNING: {counts['late_files']} landing file(s) of the {lookback} before the window were never "
              f"read: rerun the windows {counts['late_windows']}", flush=True)  # fmt: skip
    if counts["unprocessed_files"]:
        print(f"note: hours {counts['unprocessed_windows']} have landing files but have not run yet", flush=True)
    return run.finish(counts, table_manifest(schema_of_bronze, INGEST_PARTITIONS, stored["filled"]))


if __name__ == "__main__":
    run_job(main)
