"""Small readers for what the pipelines left in the local S3 (moto)."""

from __future__ import annotations

import json
import os
from urllib.parse import urlparse

import boto3
import pyarrow.dataset as ds
from pyarrow import fs


def _filesystem() -> fs.S3FileSystem:
    endpoint = urlparse(os.environ["AWS_ENDPOINT_URL"])
    return fs.S3FileSystem(
        endpoint_override=endpoint.netloc,
        scheme=endpoint.scheme,
        access_key=os.environ["AWS_ACCESS_KEY_ID"],
        secret_key=os.environ["AWS_SECRET_ACCESS_KEY"],
        region=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
    )


def read_rows(bucket_and_prefix: str, columns: list[str]) -> list[tuple]:
    """A Hive-partitioned Parquet table's rows as sorted tuples of the named columns."""
    dataset = ds.dataset(bucket_and_prefix, filesystem=_filesystem(), format="parquet", partitioning="hive")
    table = dataset.to_table(columns=columns)
    return sorted(zip(*(table.column(name).to_pylist() for name in columns), strict=True))


def read_json(bucket: str, key: str) -> dict:
    return json.loads(boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())


def list_keys(bucket: str, prefix: str) -> list[str]:
    pages = boto3.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))


def clear_prefix(bucket: str, prefix: str) -> None:
    s3 = boto3.client("s3")
    for key in list_keys(bucket, prefix):
        s3.delete_object(Bucket=bucket, Key=key)
