"""Waiting for landing files: the provider's `S3KeySensor`, told which files belong to the window.

Landing files are found by last-modified time, so the sensor lists the landing prefix and
succeeds as soon as one file was modified inside the run's window. A window that closed
more than `LANDING_GRACE` ago and has no file is skipped at once (with the stages after it):
an hour without data is normal, and a backfill must not wait on it.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow.providers.amazon.aws.sensors.s3 import S3KeySensor
from airflow.sdk.exceptions import AirflowSkipException

from dataplatform.windows import RESOLVE_TASK_ID, parse_instant

LANDING_GRACE = timedelta(minutes=15)


def _as_utc(value) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc)
    return parse_instant("LastModified", str(value))


def files_in_window(files: list[dict], start: datetime, end: datetime) -> list[dict]:
    return [f for f in files if f.get("LastModified") is not None and start <= _as_utc(f["LastModified"]) < end]


def landing_files_arrived(files: list[dict], **context) -> bool:
    """`check_fn` of the landing sensor: True once a file of the window exists; skip when none will."""
    window = context["ti"].xcom_pull(task_ids=RESOLVE_TASK_ID)
    start, end = parse_instant("start", window["start"]), parse_instant("end", window["end"])
    if files_in_window(files, start, end):
        return True
    if datetime.now(timezone.utc) >= end + LANDING_GRACE:
        raise AirflowSkipException(f"no landing file was modified in [{window['start']}, {window['end']})")
    return False


def landing_sensor(task_id: str, bucket: str, prefix: str, **kwargs) -> S3KeySensor:
    return S3KeySensor(
        task_id=task_id,
        bucket_name=bucket,
        bucket_key=f"{prefix.rstrip('/')}/*",
        wildcard_match=True,
        metadata_keys=["Key", "LastModified"],
        check_fn=landing_files_arrived,
        deferrable=True,
        poke_interval=60,
        timeout=int((LANDING_GRACE + timedelta(hours=1)).total_seconds()),
        soft_fail=True,
        **kwargs,
    )
