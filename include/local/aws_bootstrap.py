"""The local AWS account's fixed infrastructure (Terraform's job in production): the buckets."""

from __future__ import annotations

import sys

import boto3

from include.local.paths import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "plugins"))
from dataplatform.config import DEFAULTS

BUCKETS = (DEFAULTS["landing_bucket"], DEFAULTS["lake_bucket"], DEFAULTS["artifacts_bucket"])


def bootstrap(endpoint_url: str) -> None:
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    existing = {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}
    for bucket in BUCKETS:
        if bucket not in existing:
            s3.create_bucket(Bucket=bucket)
