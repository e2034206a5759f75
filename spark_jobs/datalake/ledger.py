"""Which landing files each hour of a layer was built from, and the files that came too late.

S3 stamps an object with the time its upload started but shows it only once the upload ends, so
a file can appear in a window that has already run. The bronze job writes, next to the data of
each hour it owns, the list of landing files it read for that hour
(`<table>/_ledgers/<hour partition>.json`, replaced with the hour). Each run then compares the
landing files of the hours before its window (`--audit_hours`) with those ledgers; a file of an
earlier hour that no ledger names was never read, and is reported with the windows to rerun.
An hour that never ran (skipped: no file yet) has no ledger, so all its files are reported.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from pyspark.sql import SparkSession

from datalake import conventions, storage
from datalake.tables import partition_path

LEDGERS_DIR = "_ledgers"
SAMPLE_SIZE = 20


def ledger_path(table_path: str, partition: dict) -> str:
    return partition_path(f"{table_path.rstrip('/')}/{LEDGERS_DIR}", partition) + ".json"


def write(spark: SparkSession, table_path: str, partition: dict, files: list[storage.FileStatus]) -> None:
    entries = [{"path": file.path, "modified_ms": file.modified_ms, "size": file.size} for file in files]
    storage.write_text(spark, ledger_path(table_path, partition), json.dumps(entries, sort_keys=True))


def read(spark: SparkSession, table_path: str, partition: dict) -> set[str] | None:
    """The landing files the hour was built from, or None if it never ran."""
    path = ledger_path(table_path, partition)
    if not storage.exists(spark, path):
        return None
    return {entry["path"] for entry in json.loads(storage.read_text(spark, path))}


def late_files(
    spark: SparkSession,
    table_path: str,
    landed_before: dict[datetime, list[storage.FileStatus]],
    partition_of: Callable[[datetime], dict],
) -> dict:
    """Counts fields for files of earlier hours ({hour: its landing files}) that no ledger names."""
    missing: list[tuple[datetime, str]] = []
    for hour, files in sorted(landed_before.items()):
        seen = read(spark, table_path, partition_of(hour)) or set()
        missing += [(hour, file.path) for file in files if file.path not in seen]
    hours = sorted({hour for hour, _ in missing})
    return {
        "late_files": len(missing),
        "late_files_sample": [path for _, path in missing[:SAMPLE_SIZE]],
        "late_windows": [[conventions.iso(start), conventions.iso(end)] for start, end in _merged(hours)],
    }


def _merged(hours: list[datetime]) -> list[tuple[datetime, datetime]]:
    """Consecutive hours joined into windows."""
    windows: list[list[datetime]] = []
    for hour in hours:
        if windows and windows[-1][1] == hour:
            windows[-1][1] = hour + timedelta(hours=1)
        else:
            windows.append([hour, hour + timedelta(hours=1)])
    return [(start.astimezone(timezone.utc), end) for start, end in windows]
