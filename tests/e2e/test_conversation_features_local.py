"""conversation_features end to end in local mode: sessions in the real FerretDB -> the DAG (extract operator,
manifest sensor, the Glue script on local PySpark, catalog on moto) -> the day's CSV and Parquet partition."""

from __future__ import annotations

import contextlib
import csv
import io
import uuid
from datetime import datetime

import boto3
import pytest
from pymongo import MongoClient

from include.local.env import airflow_connections
from include.local.lake import clear_prefix, read_json

pytestmark = [pytest.mark.slow, pytest.mark.integration]

WINDOW = {"window_start": "2025-10-29T00:00:00Z", "window_end": "2025-10-30T00:00:00Z"}
RUN = "20251029T000000Z_20251030T000000Z"
CSV_KEY = "gold/conversation_features/dt=2025-10-29/csv/conversation_features.csv"
START_S, END_S = 1761696000, 1761782400
# session_id -> created_at; the ones named in-* are in [2025-10-29, 2025-10-30)
SESSIONS = {
    "out-date-before": datetime(2025, 10, 28, 23, 59, 59), "in-date-start": datetime(2025, 10, 29),
    "in-date-last-ms": datetime(2025, 10, 29, 23, 59, 59, 999000), "out-date-end": datetime(2025, 10, 30),
    "out-int-before": START_S - 1, "in-int-start": START_S, "in-float-last": END_S - 0.25, "out-int-end": END_S,
    "in-iso-offset-start": "2025-10-28T21:00:00-03:00", "out-iso-offset-end": "2025-10-29T21:00:00-03:00",
    "out-iso-east": "2025-10-29T02:00:00+03:00", "in-iso-east": "2025-10-30T01:30:00+03:00",
    "in-iso-z": "2025-10-29T12:00:00.5Z",
}  # fmt: skip


@pytest.fixture
def sessions(mongo_env, aws_env, monkeypatch):
    """The sessions in a database of their own (the run's `database` parameter names it); a clean lake."""
    for key, value in airflow_connections(mongo_env).items():
        monkeypatch.setenv(key, value)
    database = f"e2e_{uuid.uuid4().hex[:8]}"
    documents = [
        {"session_id": session_id, "created_at": created, "updated_at": END_S + 60,
         "agent_data": {"name": "support-bot", "model": {"id": "gpt-4o-mini", "provider": "OpenAI"}},
         "memory": {"runs": [{"created_at": START_S + 60, "status": "Completed",
                              "metrics": {"total_tokens": [10, 5], "input_tokens": 12, "output_tokens": [2, 1]}}]}}
        for session_id, created in SESSIONS.items()
    ]  # fmt: skip
    documents.append({"session_id": "in-int-start", "created_at": START_S, "updated_at": END_S})  # an older copy
    documents.append({"created_at": START_S + 5, "agent_data": {"name": "no id"}})
    clear_prefix("dp-lake", "raw/conversation_features/")
    clear_prefix("dp-lake", "gold/conversation_features/")
    glue = boto3.client("glue")
    with contextlib.suppress(glue.exceptions.EntityNotFoundException):
        glue.delete_table(DatabaseName="dataplatform", Name="conversation_features")
    with MongoClient(mongo_env["MONGO_URI"]) as client:
        client[database]["sessions"].insert_many(documents)
        yield database
        client.drop_database(database)


def _run(dagbag, conf):
    run = dagbag.get_dag("conversation_features").test(run_conf=conf)
    return {ti.task_id: ti.state for ti in run.get_task_instances()}


def _csv() -> str:
    return boto3.client("s3").get_object(Bucket="dp-lake", Key=CSV_KEY)["Body"].read().decode("utf-8")


def test_a_day_of_sessions_becomes_the_csv_and_a_registered_parquet_partition(local_dagbag, sessions):
    conf = {**WINDOW, "database": sessions}

    states = _run(local_dagbag, conf)

    assert set(states.values()) == {"success"}, states
    rows = list(csv.DictReader(io.StringIO(_csv())))
    assert [row["session_id"] for row in rows] == sorted(s for s in SESSIONS if s.startswith("in-"))
    assert {(row["total_tokens"], row["total_input_tokens"], row["output_input_token_ratio"]) for row in rows} == {
        ("15", "12", "0.25")
    }, "the latest copy of in-int-start (with its run) wins"
    extract = read_json("dp-lake", "raw/conversation_features/dt=2025-10-29/_manifest.json")
    assert (extract["count"], extract["window_start"], extract["window_end"]) == (9, *WINDOW.values())
    counts = read_json("dp-lake", f"gold/conversation_features/_counts/{RUN}.json")
    assert {key: counts[key] for key in ("read", "written", "quarantined", "superseded")} == {
        "read": 9, "written": 7, "quarantined": 1, "superseded": 1,
    }  # fmt: skip
    partitions = boto3.client("glue").get_partitions(DatabaseName="dataplatform", TableName="conversation_features")
    assert [(p["Values"], p["StorageDescriptor"]["Location"]) for p in partitions["Partitions"]] == [
        (["2025-10-29"], "s3://dp-lake/gold/conversation_features/dt=2025-10-29/parquet/")
    ]

    first = _csv()
    states = _run(local_dagbag, conf)  # a rerun of the day gives the same bytes
    assert set(states.values()) == {"success"}, states
    assert _csv() == first
    assert read_json("dp-lake", f"gold/conversation_features/_counts/{RUN}.json")["written"] == 7
