"""Publish a run's counts: read the counts JSON each job stored, log one line each, return them.

The returned dict lands in XCom (the Airflow UI shows it per run); in production the same
numbers are in the JSON files next to each output for anyone to query.
"""

from __future__ import annotations

import json
import logging

from airflow.providers.amazon.aws.hooks.s3 import S3Hook

from dataplatform.catalog import s3_uri

log = logging.getLogger(__name__)


def publish_counts(counts_paths: dict[str, str], aws_conn_id: str = "aws_default") -> dict[str, dict]:
    hook = S3Hook(aws_conn_id=aws_conn_id)
    published = {}
    for stage, path in counts_paths.items():
        bucket, key = S3Hook.parse_s3_url(s3_uri(path))
        counts = json.loads(hook.read_key(key, bucket_name=bucket))
        counts.pop("table", None)  # the catalog manifest is not a count
        published[stage] = counts
        summary = ", ".join(f"{key}={value}" for key, value in sorted(counts.items()) if not isinstance(value, dict))
        log.info("%s: %s", stage, summary)
    return published
