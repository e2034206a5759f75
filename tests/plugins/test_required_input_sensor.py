"""The sensor for input that must arrive (credit_features' daily file), against the moto server."""

from __future__ import annotations

import boto3
import pytest
from airflow.sdk.exceptions import AirflowSensorTimeout

from dataplatform.sensors import RequiredInputSensor

pytestmark = pytest.mark.integration
PREFIX = "transient/credit/anomesdia=20251029/"


def sensor(**kwargs) -> RequiredInputSensor:
    return RequiredInputSensor(
        task_id="wait", bucket_key=f"s3://dp-landing/{PREFIX}*.csv", wildcard_match=True, mode="poke", **kwargs
    )


def test_a_missing_file_fails_after_the_timeout_saying_what_is_missing(aws_env):
    s3 = boto3.client("s3")
    for obj in s3.list_objects_v2(Bucket="dp-landing", Prefix=PREFIX).get("Contents", []):
        s3.delete_object(Bucket="dp-landing", Key=obj["Key"])
    s3.put_object(Bucket="dp-landing", Key=f"{PREFIX}notes.txt", Body=b"not the file")
    with pytest.raises(AirflowSensorTimeout) as raised:
        sensor(timeout=0, poke_interval=0.01).execute({})
    assert str(raised.value) == (
        f"required input missing: nothing matches s3://dp-landing/{PREFIX}*.csv after waiting 0:00:00; "
        "once it has landed, clear this task to go on"
    )


def test_the_file_of_the_day_is_found(aws_env):
    boto3.client("s3").put_object(Bucket="dp-landing", Key=f"{PREFIX}credit 01.csv", Body=b"id_cliente\n")
    sensor(timeout=5, poke_interval=0.01).execute({})
