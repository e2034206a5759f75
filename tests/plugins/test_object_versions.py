"""Announcing and pinning versions of a file replaced in place (crypto_ml's raw.csv), against the moto server."""

from __future__ import annotations

from datetime import datetime, timezone

import boto3
import pytest
from airflow.sdk.exceptions import AirflowFailException

from dataplatform.assets import CRYPTO_RAW_PRICES
from dataplatform.object_versions import NewObjectVersionSensor, is_new, object_identity, pin_object, run_id_for

HEAD = {"ETag": '"9b2cf535f27731c974343645a3985328"', "LastModified": datetime(2025, 10, 29, 14, 5, 9, 800000,
        tzinfo=timezone.utc), "VersionId": "v2"}  # fmt: skip


def test_a_version_is_named_by_its_time_and_content():
    identity = object_identity("crypto/raw.csv", HEAD)
    assert identity == {"key": "crypto/raw.csv", "version_id": "v2", "etag": "9b2cf535f27731c974343645a3985328",
                        "last_modified": "2025-10-29T14:05:09Z"}  # fmt: skip
    assert run_id_for(identity) == "20251029T140509Z_9b2cf535f27731c9"


def test_only_a_different_version_is_new():
    identity = object_identity("crypto/raw.csv", HEAD)
    assert is_new(identity, None)
    assert not is_new(identity, dict(identity))
    assert is_new(identity, {**identity, "etag": "other"}), "same time, new content (unversioned bucket)"
    assert is_new(identity, {**identity, "version_id": "v1"})


class _Events(list):
    """The inlet events accessor: a sequence with `ascending` and `limit` (newest first when asked)."""

    def ascending(self, ascending=True):
        return _Events(self if ascending else reversed(self))

    def limit(self, count):
        return _Events(self[:count])


class _Event:
    def __init__(self, extra):
        self.extra = extra


class _Outlet:
    def __init__(self):
        self.extra = {}


def _check(sensor, files, announced):
    outlet = _Outlet()
    context = {"inlet_events": {CRYPTO_RAW_PRICES: _Events(_Event(e) for e in announced)},
               "outlet_events": {CRYPTO_RAW_PRICES: outlet}}  # fmt: skip
    return sensor._is_new_version(files, **context), outlet.extra


def test_the_sensor_announces_a_version_once_with_the_version_in_the_event():
    sensor = NewObjectVersionSensor(
        task_id="watch", asset=CRYPTO_RAW_PRICES, bucket_name="b", bucket_key="crypto/raw.csv"
    )
    assert sensor.inlets == [CRYPTO_RAW_PRICES]
    assert sensor.outlets == [CRYPTO_RAW_PRICES]
    older = {**object_identity("crypto/raw.csv", HEAD), "version_id": "v1"}
    new, extra = _check(sensor, [HEAD], [older])
    assert new
    assert extra == object_identity("crypto/raw.csv", HEAD)
    assert _check(sensor, [HEAD], [older, extra]) == (False, {}), "the newest event is this version: not new"
    assert _check(sensor, [HEAD], [])[0], "never announced: new"


@pytest.mark.integration
def test_pinning_copies_the_version_read_and_names_the_run_after_it(aws_env):
    s3 = boto3.client("s3")
    bucket = "dp-crypto-versioned"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket=bucket, Key="crypto/raw.csv", Body=b"symbol,date\nBTC,2025-01-01\n")
    pinned = pin_object(bucket, "crypto/raw.csv", "s3://dp-lake/raw/crypto_prices")
    head = s3.head_object(Bucket=bucket, Key="crypto/raw.csv")
    assert pinned["version_id"] == first["VersionId"]
    assert pinned["run_id"] == run_id_for(object_identity("crypto/raw.csv", head))
    assert pinned["input_path"] == f"s3://dp-lake/raw/crypto_prices/{pinned['run_id']}/raw.csv"
    copy = s3.get_object(Bucket="dp-lake", Key=f"raw/crypto_prices/{pinned['run_id']}/raw.csv")["Body"].read()
    assert copy == b"symbol,date\nBTC,2025-01-01\n"

    again = pin_object(bucket, "crypto/raw.csv", "s3://dp-lake/raw/crypto_prices")
    assert again["run_id"] == pinned["run_id"], "the same version: the same run"
    s3.put_object(Bucket=bucket, Key="crypto/raw.csv", Body=b"symbol,date\nBTC,2025-01-02\n")
    assert pin_object(bucket, "crypto/raw.csv", "s3://dp-lake/raw/crypto_prices")["run_id"] != pinned["run_id"]


@pytest.mark.integration
def test_pinning_a_missing_file_fails_once_with_its_name(aws_env):
    with pytest.raises(AirflowFailException, match=r"^s3://dp-landing/crypto/nothing.csv does not exist"):
        pin_object("dp-landing", "crypto/nothing.csv", "s3://dp-lake/raw/crypto_prices")
