"""conversation_features on sample data: a day of generated sessions loaded into FerretDB, the DAG run
for that day in local mode, then an empty day; prints the counts, the catalog partition and a few CSV rows."""

from __future__ import annotations

import csv
import io
import os
from datetime import datetime, timedelta, timezone

import boto3
from pymongo import MongoClient

from datalake.conventions import DEFAULTS, window_run_name
from include.demos.airflow_run import run_dag
from include.local.lake import clear_prefix, read_json
from include.sample_data.conversation_features import generate, load

LAKE = DEFAULTS["lake_bucket"]
DATABASE, COLLECTION = DEFAULTS["conversation_features_database"], DEFAULTS["conversation_features_collection"]
DAY = datetime(2025, 10, 29, tzinfo=timezone.utc)
EMPTY_DAY = datetime(2025, 10, 27, tzinfo=timezone.utc)
SESSIONS = 300
SAMPLE_COLUMNS = ("session_id", "agent_name", "total_runs", "total_tokens", "failure_rate", "session_start",
                  "is_weekend")  # fmt: skip


def _window(day: datetime) -> dict:
    end = day + timedelta(days=1)
    return {"window_start": f"{day:%Y-%m-%dT%H:%M:%SZ}", "window_end": f"{end:%Y-%m-%dT%H:%M:%SZ}"}


def _csv_rows(day: datetime) -> list[dict]:
    key = f"gold/conversation_features/dt={day:%Y-%m-%d}/csv/conversation_features.csv"
    body = boto3.client("s3").get_object(Bucket=LAKE, Key=key)["Body"].read().decode("utf-8")
    return list(csv.DictReader(io.StringIO(body)))


def _report(day: datetime, seconds: float) -> list[str]:
    run_name = window_run_name(day, day + timedelta(days=1))
    extract = read_json(LAKE, f"raw/conversation_features/dt={day:%Y-%m-%d}/_manifest.json")
    features = read_json(LAKE, f"gold/conversation_features/_counts/{run_name}.json")
    partitions = boto3.client("glue").get_partitions(DatabaseName=DEFAULTS["glue_database"],
                                                     TableName="conversation_features")["Partitions"]  # fmt: skip
    registered = sorted(f"dt={p['Values'][0]} -> {p['StorageDescriptor']['Location']}" for p in partitions)
    rows = _csv_rows(day)
    return [
        f"  day {day:%Y-%m-%d} ({seconds:.0f}s):",
        f"    extract: {extract['count']} sessions in {len(extract['files'])} file(s); the query returned "
        f"{extract['returned_by_query']}, {extract['outside_window']} outside the window",
        f"    job: read {features['read']}, written {features['written']}, quarantined {features['quarantined']}, "
        f"superseded {features['superseded']}",
        *(f"      quarantined {count} x {reason}" for reason, count in features["quarantine_reasons"].items()),
        f"    CSV: {len(rows)} rows + header; catalog: {', '.join(registered)}",
        *(f"    {[row[name] for name in SAMPLE_COLUMNS]}" for row in rows[:4]),
    ]


def run() -> list[str]:
    clear_prefix(LAKE, "raw/conversation_features/")
    clear_prefix(LAKE, "gold/conversation_features/")
    with MongoClient(os.environ["MONGO_URI"]) as client:
        client[DATABASE].drop_collection(COLLECTION)
        loaded = load(client[DATABASE][COLLECTION], generate(SESSIONS, DAY, seed=7))
    lines = [f"conversation_features: {loaded} generated session documents in {DATABASE}.{COLLECTION} (FerretDB)",
             f"    columns shown: {', '.join(SAMPLE_COLUMNS)}"]  # fmt: skip
    lines += _report(DAY, run_dag("conversation_features", _window(DAY), "conversation_features-1"))
    lines += _report(EMPTY_DAY, run_dag("conversation_features", _window(EMPTY_DAY), "conversation_features-empty"))
    return lines
