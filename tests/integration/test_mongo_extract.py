"""The extraction operator against the real FerretDB server and the moto S3 server.

Every created_at type on and around both window boundaries, offsets that move a string across
midnight, relaxed Extended JSON lines, an empty window, leftovers of a killed attempt, index
creation and the plan log, an undecodable document, an unreachable server, a backwards window.
Several parts, a rotation and a failure mid-upload: test_mongo_extract_multipart.py.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import socket
from datetime import datetime

import boto3
import pytest
from bson.int64 import Int64

from dataplatform.mongo_extract import MongoUnavailable
from tests.integration.mongo_extract_support import (
    BUCKET,
    END,
    END_S,
    MANIFEST,
    START,
    START_S,
    extract_operator,
    mongo,
    open_uploads,
    read_lines,
    read_manifest,
    s3_body,
    s3_keys,
)  # fmt: skip

pytestmark = pytest.mark.integration
__all__ = ["mongo"]  # the fixture, used by name

# (_id, created_at, in the window?)
BOUNDARY_DOCUMENTS = [
    ("date-before-start", datetime(2025, 10, 28, 23, 59, 59, 999000), False),
    ("date-at-start", datetime(2025, 10, 29), True),
    ("date-before-end", datetime(2025, 10, 29, 23, 59, 59, 999000), True),
    ("date-at-end", datetime(2025, 10, 30), False),
    ("int-before-start", START_S - 1, False),
    ("int-at-start", START_S, True),
    ("long-before-end", Int64(END_S - 1), True),
    ("int-at-end", END_S, False),
    ("float-before-start", START_S - 0.5, False),
    ("float-before-end", END_S - 0.001, True),
    ("float-at-end", float(END_S), False),
    ("iso-z-at-start", "2025-10-29T00:00:00Z", True),
    ("iso-z-before-start", "2025-10-28T23:59:59.999Z", False),
    ("iso-z-at-end", "2025-10-30T00:00:00Z", False),
    ("iso-offset-at-start", "2025-10-28T21:00:00-03:00", True),  # text of the day before, instant in
    ("iso-offset-at-end", "2025-10-29T21:00:00-03:00", False),  # text of the day, instant = end
    ("iso-offset-east-before-start", "2025-10-29T02:00:00+03:00", False),  # text of the day, 23:00Z before
    ("iso-offset-east-before-end", "2025-10-30T01:30:00+03:00", True),  # text of the next day, 22:30Z
    ("iso-kiribati-before-end", "2025-10-30T13:59:00+14:00", True),
    ("iso-not-a-time", "2025-10-29 around noon", False),
    ("text-not-a-time", "yesterday", False),
    ("null", None, False),
    ("bool", True, False),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_each_created_at_type_on_and_around_both_boundaries(mongo):
    mongo["db"].sessions.insert_many([{"_id": i, "created_at": at, "n": 1} for i, at, _ in BOUNDARY_DOCUMENTS])
    mongo["db"].sessions.insert_one({"_id": "missing", "n": 1})

    summary = extract_operator(mongo).execute(context={})

    part = mongo["prefix"] + "part-00000.jsonl.gz"
    assert s3_keys(mongo["prefix"]) == [mongo["prefix"] + MANIFEST, part]
    extracted = sorted(line["_id"] for line in read_lines(part))
    assert extracted == sorted(i for i, _, inside in BOUNDARY_DOCUMENTS if inside)
    body = s3_body(part)
    assert read_manifest(mongo) == {
        "count": 9,
        "window_start": START,
        "window_end": END,
        "database": mongo["database"],
        "collection": "sessions",
        "time_field": "created_at",
        "files": [
            {
                "key": f"s3://{BUCKET}/{part}",
                "size": len(body),
                "sha256": hashlib.sha256(body).hexdigest(),
                "parts": 1,
                "count": 9,
            }
        ],
        "returned_by_query": 14,  # the widened string range also returns 5 strings around the window
        "outside_window": 4,
        "unreadable_time": 1,
        "unencodable": 0,
        "unencodable_ids_sample": [],
    }
    assert summary["count"] == 9


def test_lines_are_relaxed_extended_json(mongo):
    mongo["db"].sessions.insert_one(
        {"_id": "s-1", "created_at": datetime(2025, 10, 29, 12), "updated_at": 1761739200.5, "tokens": Int64(7),
         "memory": {"runs": [{"run_id": "r-1", "metrics": {"time": [1.2, 1.11]}}]}}
    )  # fmt: skip

    extract_operator(mongo).execute(context={})

    text = gzip.decompress(s3_body(mongo["prefix"] + "part-00000.jsonl.gz")).decode()
    assert text == (
        '{"_id": "s-1", "created_at": {"$date": "2025-10-29T12:00:00Z"}, "updated_at": 1761739200.5, "tokens": 7, '
        '"memory": {"runs": [{"run_id": "r-1", "metrics": {"time": [1.2, 1.11]}}]}}\n'
    )


def test_an_empty_window_writes_a_manifest_with_count_zero(mongo):
    mongo["db"].sessions.insert_one({"_id": "other-day", "created_at": datetime(2025, 11, 5)})

    extract_operator(mongo).execute(context={})

    manifest = read_manifest(mongo)
    assert (manifest["count"], [f["count"] for f in manifest["files"]]) == (0, [0])
    assert read_lines(mongo["prefix"] + "part-00000.jsonl.gz") == []


def test_a_killed_attempts_open_upload_and_old_manifest_are_cleared(mongo):
    s3 = boto3.client("s3")
    s3.create_multipart_upload(Bucket=BUCKET, Key=mongo["prefix"] + "part-00003.jsonl.gz")
    s3.put_object(Bucket=BUCKET, Key=mongo["prefix"] + "part-00003.jsonl.gz", Body=b"old")
    mongo["db"].sessions.insert_one({"_id": "a", "created_at": "2025-10-29T10:00:00Z"})

    extract_operator(mongo).execute(context={})

    assert open_uploads(mongo["prefix"]) == []
    assert s3_keys(mongo["prefix"]) == [mongo["prefix"] + MANIFEST, mongo["prefix"] + "part-00000.jsonl.gz"]
    assert read_manifest(mongo)["count"] == 1


def test_create_index_builds_it_and_the_plan_is_logged(mongo, capsys):
    mongo["db"].sessions.insert_one({"_id": "a", "created_at": datetime(2025, 10, 29, 1)})

    extract_operator(mongo).execute(context={})
    assert "scans the whole collection" in capsys.readouterr().out
    extract_operator(mongo, create_index=True).execute(context={})

    assert "created_at_1" in mongo["db"].sessions.index_information()
    log = capsys.readouterr().out
    assert "index created_at_1 on" in log
    # FerretDB 1.24 on SQLite pushes no range filter down to an index, so the plan still says scan
    # (MongoDB's IXSCAN plan is recognised too: tests/plugins/test_mongo_window.py).
    assert "scans the whole collection" in log


def test_an_unreachable_server_is_one_line_naming_the_connection_and_host(mongo, monkeypatch):
    port = _free_port()
    connection = {"conn_type": "mongo", "host": "127.0.0.1", "port": port, "login": "etl", "password": "s3cr3t-pw",
                  "extra": {"srv": False, "ssl": False, "serverSelectionTimeoutMS": 500}}  # fmt: skip
    monkeypatch.setenv("AIRFLOW_CONN_SESSIONS_DB", json.dumps(connection))

    with pytest.raises(MongoUnavailable) as raised:
        extract_operator(mongo, mongo_conn_id="sessions_db").execute(context={})

    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"MongoDB connection 'sessions_db' (host 127.0.0.1:{port}): ServerSelectionTimeoutError")
    assert "s3cr3t" not in message
    assert s3_keys(mongo["prefix"]) == []


def test_a_window_ending_before_it_starts_is_one_clear_error(mongo):
    from airflow.sdk.exceptions import AirflowFailException

    with pytest.raises(AirflowFailException, match=r"^window_end 2025-10-28T00:00:00Z is not after window_start"):
        extract_operator(mongo, window_end="2025-10-28T00:00:00Z").execute(context={})


def test_a_document_that_cannot_be_decoded_is_counted_and_named_not_a_crash(mongo):
    from bson.datetime_ms import DatetimeMS

    mongo["db"].sessions.insert_many([
        {"_id": "far-future", "created_at": START_S + 60, "updated_at": DatetimeMS(2**62)},  # year 146140482
        {"_id": "fine", "created_at": START_S + 120},
    ])  # fmt: skip

    extract_operator(mongo).execute(context={})

    manifest = read_manifest(mongo)
    assert (manifest["count"], manifest["unencodable"], manifest["unencodable_ids_sample"]) == (1, 1, ["far-future"])
    assert [line["_id"] for line in read_lines(mongo["prefix"] + "part-00000.jsonl.gz")] == ["fine"]
