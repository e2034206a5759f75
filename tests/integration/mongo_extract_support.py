"""What the Mongo extract's integration tests share: FerretDB through `mongo_default`, moto S3, readers."""

from __future__ import annotations

import gzip
import json
import uuid
from urllib.parse import urlsplit

import boto3
import pytest
from bson import json_util

from dataplatform.mongo_extract import MANIFEST, MongoWindowToS3Operator

BUCKET = "dp-lake"
START, END = "2025-10-29T00:00:00Z", "2025-10-30T00:00:00Z"
START_S, END_S = 1761696000, 1761782400  # the same instants as epoch seconds
MIB = 1 << 20


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


def extract_operator(mongo, **overrides) -> MongoWindowToS3Operator:
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


def s3_keys(prefix: str) -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return sorted(item["Key"] for item in listed)


def s3_body(key: str) -> bytes:
    return boto3.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read()


def read_manifest(mongo) -> dict:
    return json.loads(s3_body(mongo["prefix"] + MANIFEST))


def read_lines(key: str) -> list[dict]:
    text = gzip.decompress(s3_body(key)).decode()
    return [json_util.loads(line) for line in text.splitlines()]


def open_uploads(prefix: str) -> list[str]:
    return [
        u["Key"] for u in boto3.client("s3").list_multipart_uploads(Bucket=BUCKET, Prefix=prefix).get("Uploads", [])
    ]
