"""moto in server mode: S3, the Glue Data Catalog, IAM and DynamoDB on loopback.

After it answers, the buckets the pipelines use are created (Terraform/CDK's job in production).
"""

from __future__ import annotations

from pathlib import Path

import boto3

from datalake.conventions import DEFAULTS
from include.local.paths import VENV_BIN
from include.local.server_defs import AWS_REGION, LOOPBACK, ServerDef, http_answers

KEYED_QUERY = Path(__file__).with_name("moto_keyed_query.py")
BUCKETS = (DEFAULTS["landing_bucket"], DEFAULTS["lake_bucket"], DEFAULTS["artifacts_bucket"])
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def create_buckets(endpoint_url: str) -> None:
    s3 = boto3.client("s3", endpoint_url=endpoint_url, region_name=AWS_REGION, **CREDENTIALS)
    existing = {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}
    for bucket in BUCKETS:
        if bucket not in existing:
            s3.create_bucket(Bucket=bucket)


MOTO = ServerDef(
    name="moto",
    ports=("port",),
    # moto_server with its DynamoDB Query reading only the queried key's items (see the module).
    command=lambda ports: [str(VENV_BIN / "python"), str(KEYED_QUERY), "-H", LOOPBACK, "-p", str(ports["port"])],
    is_ready=lambda ports: http_answers(f"http://{LOOPBACK}:{ports['port']}/moto-api/"),
    env=lambda ports: {
        "AWS_ENDPOINT_URL": f"http://{LOOPBACK}:{ports['port']}",
        "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
        "AWS_DEFAULT_REGION": AWS_REGION,
    },
    after_start=lambda ports: create_buckets(f"http://{LOOPBACK}:{ports['port']}"),
    ready_timeout=30,
)
