"""The extraction operator against the real FerretDB server and the moto S3 server.

Every created_at type on and around both window boundaries, offsets that move a string across
midnight, an empty window, several multipart parts and a file rotation, a failure mid-upload
(no orphaned parts) and its retry, leftovers of a killed attempt, an unreachable server.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import socket
import uuid
from datetime import datetime
from urllib.parse import urlsplit

import boto3
import pytest
from bson import json_util
from bson.int64 import Int64

from dataplatform.mongo_extract import MANIFEST, MongoUnavailable, MongoWindowToS3Operator

pytestmark = pytest.mark.integration

BUCKET = "dp-lake"
START, END = "2025-10-29T00:00:00Z", "2025-10-30T00:00:00Z"
START_S, END_S = 1761696000, 1761782400  # the same instants as epoch seconds
MIB = 1 << 20

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


@pytest.fixture
def mongo(mongo_env, aws_env, monkeypatch):
    """`mongo_default` pointing at FerretDB; a database of its own; an S3 prefix of its own."""
    from airflow.providers.mongo.hooks.mongo import MongoHook

    address = urlsplit(mongo_env["MONGO_URI"])
    connection = {"conn_type": "mongo", "host": address.hostname, "port": address.port,
                  "extra": {"srv": False, "ssl": False, "serverSelectionTimeoutMS": 5000}}  # fmt: skip
    monkeypatch.setenv("AIRFLOW_CONN_MONGO_DEFAULT", json.dumps(connection))
    database = f"it_{uuid.uuid4().hex[:8]}"
    hook = MongoHook()
    yield {"db": hook.get_conn()[database], "database": database, "prefix": f"raw/it/{database}/dt=2025-10-29/"}
    hook.get_conn().drop_database(database)
    hook.close()


def _operator(mongo, **overrides) -> MongoWindowToS3Operator:
    arguments = {
        "task_id": "extract",
        "database": mongo["database"],
        "collection": "sessions",
        "window_start": START,
        "window_end": END,
        "s3_prefix": f"s3://{BUCKET}/{mongo['prefix']}",
        "batch_size": 7,
        **overrides,
    }
    return MongoWindowToS3Operator(**arguments)


def _keys(prefix: str) -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return sorted(item["Key"] for item in listed)


def _body(key: str) -> bytes:
    return boto3.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read()


def _manifest(mongo) -> dict:
    return json.loads(_body(mongo["prefix"] + MANIFEST))


def _lines(key: str) -> list[dict]:
    text = gzip.decompress(_body(key)).decode()
    return [json_util.loads(line) for line in text.splitlines()]


def _open_uploads(prefix: str) -> list[str]:
    return [
        u["Key"] for u in boto3.client("s3").list_multipart_uploads(Bucket=BUCKET, Prefix=prefix).get("Uploads", [])
    ]


def test_each_created_at_type_on_and_around_both_boundaries(mongo):
    mongo["db"].sessions.insert_many([{"_id": i, "created_at": at, "n": 1} for i, at, _ in BOUNDARY_DOCUMENTS])
    mongo["db"].sessions.insert_one({"_id": "missing", "n": 1})

    summary = _operator(mongo).execute(context={})

    part = mongo["prefix"] + "part-00000.jsonl.gz"
    assert _keys(mongo["prefix"]) == [mongo["prefix"] + MANIFEST, part]
    extracted = sorted(line["_id"] for line in _lines(part))
    assert extracted == sorted(i for i, _, inside in BOUNDARY_DOCUMENTS if inside)
    body = _body(part)
    assert _manifest(mongo) == {
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

    _operator(mongo).execute(context={})

    text = gzip.decompress(_body(mongo["prefix"] + "part-00000.jsonl.gz")).decode()
    assert text == (
        '{"_id": "s-1", "created_at": {"$date": "2025-10-29T12:00:00Z"}, "updated_at": 1761739200.5, "tokens": 7, '
        '"memory": {"runs": [{"run_id": "r-1", "metrics": {"time": [1.2, 1.11]}}]}}\n'
    )


def test_an_empty_window_writes_a_manifest_with_count_zero(mongo):
    mongo["db"].sessions.insert_one({"_id": "other-day", "created_at": datetime(2025, 11, 5)})

    _operator(mongo).execute(context={})

    manifest = _manifest(mongo)
    assert (manifest["count"], [f["count"] for f in manifest["files"]]) == (0, [0])
    assert _lines(mongo["prefix"] + "part-00000.jsonl.gz") == []


def _bulky(count: int) -> list[dict]:
    """Documents that gzip cannot shrink much (random text), so a few MiB of parts come from few documents."""
    return [{"_id": i, "created_at": START_S + i, "blob": os.urandom(12_000).hex()} for i in range(count)]


@pytest.fixture
def bulky(mongo):
    mongo["db"].sessions.insert_many(_bulky(1100))  # ~15 MB of gzip: 13.7 kB a document
    return mongo


def test_several_parts_and_a_rotation_then_a_retry_removes_the_stale_file(bulky, capsys):
    _operator(bulky, part_bytes=5 * MIB, file_bytes=11 * MIB, batch_size=100).execute(context={})

    files = _manifest(bulky)["files"]
    assert [(f["key"].rsplit("/", 1)[1], f["parts"]) for f in files] == [
        ("part-00000.jsonl.gz", 3),
        ("part-00001.jsonl.gz", 1),
    ]
    assert sum(f["count"] for f in files) == 1100
    ids = [line["_id"] for f in files for line in _lines(f["key"].split(f"{BUCKET}/", 1)[1])]
    assert sorted(ids) == list(range(1100))
    assert files[0]["size"] >= 11 * MIB

    # A retry with bigger files writes one file and removes the second file of the earlier attempt.
    _operator(bulky, part_bytes=5 * MIB, file_bytes=64 * MIB).execute(context={})

    assert _keys(bulky["prefix"]) == [bulky["prefix"] + MANIFEST, bulky["prefix"] + "part-00000.jsonl.gz"]
    assert _manifest(bulky)["count"] == 1100
    assert "removed stale" in capsys.readouterr().out


class _FailingS3:
    """The real client, except that upload_part fails from the n-th call on (a network cut mid-upload)."""

    def __init__(self, client, fail_at: int):
        self._client, self._fail_at, self.calls = client, fail_at, 0

    def upload_part(self, **kwargs):
        self.calls += 1
        if self.calls >= self._fail_at:
            raise ConnectionError("connection reset while uploading a part")
        return self._client.upload_part(**kwargs)

    def __getattr__(self, name):
        return getattr(self._client, name)


def test_a_failure_mid_upload_aborts_it_and_the_retry_gives_the_clean_output(bulky, monkeypatch):
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    real_get_conn = S3Hook.get_conn
    monkeypatch.setattr(S3Hook, "get_conn", lambda self: _FailingS3(real_get_conn(self), fail_at=2))
    with pytest.raises(ConnectionError):
        _operator(bulky, part_bytes=5 * MIB, file_bytes=64 * MIB).execute(context={})

    assert _open_uploads(bulky["prefix"]) == [], "the failed attempt left its parts in S3"
    assert _keys(bulky["prefix"]) == []

    monkeypatch.setattr(S3Hook, "get_conn", real_get_conn)
    _operator(bulky, part_bytes=5 * MIB, file_bytes=64 * MIB).execute(context={})
    assert _manifest(bulky)["count"] == 1100


def test_a_killed_attempts_open_upload_and_old_manifest_are_cleared(mongo):
    s3 = boto3.client("s3")
    s3.create_multipart_upload(Bucket=BUCKET, Key=mongo["prefix"] + "part-00003.jsonl.gz")
    s3.put_object(Bucket=BUCKET, Key=mongo["prefix"] + "part-00003.jsonl.gz", Body=b"old")
    mongo["db"].sessions.insert_one({"_id": "a", "created_at": "2025-10-29T10:00:00Z"})

    _operator(mongo).execute(context={})

    assert _open_uploads(mongo["prefix"]) == []
    assert _keys(mongo["prefix"]) == [mongo["prefix"] + MANIFEST, mongo["prefix"] + "part-00000.jsonl.gz"]
    assert _manifest(mongo)["count"] == 1


def test_create_index_builds_it_and_the_plan_is_logged(mongo, capsys):
    mongo["db"].sessions.insert_one({"_id": "a", "created_at": datetime(2025, 10, 29, 1)})

    _operator(mongo).execute(context={})
    assert "scans the whole collection" in capsys.readouterr().out
    _operator(mongo, create_index=True).execute(context={})

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
        _operator(mongo, mongo_conn_id="sessions_db").execute(context={})

    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"MongoDB connection 'sessions_db' (host 127.0.0.1:{port}): ServerSelectionTimeoutError")
    assert "s3cr3t" not in message
    assert _keys(mongo["prefix"]) == []


def test_a_window_ending_before_it_starts_is_one_clear_error(mongo):
    from airflow.sdk.exceptions import AirflowFailException

    with pytest.raises(AirflowFailException, match=r"^window_end 2025-10-28T00:00:00Z is not after window_start"):
        _operator(mongo, window_end="2025-10-28T00:00:00Z").execute(context={})


def test_a_document_that_cannot_be_decoded_is_counted_and_named_not_a_crash(mongo):
    from bson.datetime_ms import DatetimeMS

    mongo["db"].sessions.insert_many([
        {"_id": "far-future", "created_at": START_S + 60, "updated_at": DatetimeMS(2**62)},  # year 146140482
        {"_id": "fine", "created_at": START_S + 120},
    ])  # fmt: skip

    _operator(mongo).execute(context={})

    manifest = _manifest(mongo)
    assert (manifest["count"], manifest["unencodable"], manifest["unencodable_ids_sample"]) == (1, 1, ["far-future"])
    assert [line["_id"] for line in _lines(mongo["prefix"] + "part-00000.jsonl.gz")] == ["fine"]
