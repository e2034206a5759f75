"""Which landing files each hour of a layer was built from, and the files that came too late.

S3 stamps an object with the time its upload started but shows it only once the upload ends, so
a file can appear in a window that has already run. The bronze job writes, next to the data of
each hour it owns, the list of landing files it read for that hour
(`<table>/_ledgers/<hour partition>.json`, replaced with the hour); the landing sensor writes an
empty one for an hour it skips as empty. Each run then compares the landing files of the hours
before its window (`--audit_hours`) with those ledgers:
- a file of an hour whose ledger does not name it was never read: `late_files` (the run's
  `publish_counts` fails on them, with the windows to rerun);
- a file of an hour without a ledger belongs to an hour that has not run yet (a backfill running
  hours at once, a paused DAG): `unprocessed_files`, reported but not failing.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from pyspark.sql import SparkSession

from datalake import conventions, storage

SAMPLE_SIZE = 20


def write(spark: SparkSession, table_path: str, hour: datetime, files: list[storage.FileStatus]) -> None:
    entries = [{"path": file.path, "modified_ms": file.modified_ms, "size": file.size} for file in files]
    storage.write_text(spark, conventions.hour_ledger_path(table_path, hour), json.dumps(entries, sort_keys=True))


def read(spark: SparkSession, table_path: str, hour: datetime) -> set[str] | None:
    """The landing files the hour was built from, or None if it has not run."""
    path = conventions.hour_ledger_path(table_path, hour)
    if not storage.exists(spark, path):
        return None
    return {entry["path"] for entry in json.loads(storage.read_text(spark, path))}


def audit(spark: SparkSession, table_path: str, landed_before: dict[datetime, list[storage.FileStatus]]) -> dict:
    """Counts fields for the landing files of earlier hours ({hour: its files}) that no ledger names."""
    late: list[tuple[datetime, str]] = []
    unprocessed: list[tuple[datetime, str]] = []
    for hour, files in sorted(landed_before.items()):
        seen = read(spark, table_path, hour)
        missing = [(hour, file.path) for file in files if seen is None or file.path not in seen]
        (unprocessed if seen is None else late).extend(missing)
    return {
        "late_files": len(late),
        "late_files_sample": [path for _, path in late[:SAMPLE_SIZE]],
        "late_windows": [[conventions.iso(start), conventions.iso(end)] for start, end in _merged(late)],
        "unprocessed_files": len(unprocessed),
        "unprocessed_windows": [[conventions.iso(start), conventions.iso(end)] for start, end in _merged(unprocessed)],
    }


def _merged(missing: list[tuple[datetime, str]]) -> list[tuple[datetime, datetime]]:
    """The hours of the missing files, consecutive ones joined into windows."""
    windows: list[list[datetime]] = []
    for hour in sorted({hour for hour, _ in missing}):
        if windows and windows[-1][1] == hour:
            windows[-1][1] = hour + timedelta(hours=1)
        else:
            windows.append([hour, hour + timedelta(hours=1)])
    return [(start.astimezone(timezone.utc), end) for start, end in windows]
