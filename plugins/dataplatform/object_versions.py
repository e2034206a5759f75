"""An S3 object that is replaced in place (a whole-history `raw.csv`): announcing and pinning its versions.

- `NewObjectVersionSensor`: an `S3KeySensor` that succeeds only when the object differs from the
  version it last announced (version id, ETag and last-modified time), and then emits an event of
  its Asset carrying that version. DAGs scheduled on the Asset run once per new version; the last
  announced version is read back from the Asset's own events, so there is no other state to keep.
- `pin_object`: the first task of a run that reads the object. It copies the object's current
  version to an immutable snapshot key and names the run after that version
  (`<last modified>_<ETag prefix>`): a run triggered by the Asset, by the schedule or by hand has
  one well-defined input, a rerun reads exactly the same bytes, and two runs of the same version
  share a run id (so their artifacts replace each other instead of piling up).
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.providers.amazon.aws.sensors.s3 import S3KeySensor
from airflow.sdk import Asset, task
from airflow.sdk.exceptions import AirflowFailException

log = logging.getLogger(__name__)
IDENTITY_KEYS = ("key", "version_id", "etag", "last_modified")


def _utc_iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def object_identity(key: str, head: dict) -> dict[str, str | None]:
    """What names one version of an object (from a HEAD response or the sensor's metadata)."""
    return {
        "key": key,
        "version_id": head.get("VersionId"),
        "etag": str(head.get("ETag") or "").strip('"'),
        "last_modified": _utc_iso(head.get("LastModified")),
    }


def is_new(current: dict, announced: dict | None) -> bool:
    """True unless `announced` is the same version (a bucket without versioning: the same ETag and time)."""
    if not announced:
        return True
    return any(current.get(name) != announced.get(name) for name in IDENTITY_KEYS)


def run_id_for(identity: dict) -> str:
    """`20251029T140000Z_9b2cf535f27731c9`: sortable by the version's time, unique by its content."""
    stamp = identity["last_modified"].replace("-", "").replace(":", "")
    return f"{stamp}_{identity['etag'][:16] or 'noetag'}"


class NewObjectVersionSensor(S3KeySensor):
    """Succeeds when `bucket_key` holds a version not yet announced, and announces it as `asset`'s event."""

    def __init__(self, *, asset: Asset, **kwargs: Any) -> None:
        self.asset = asset
        super().__init__(
            check_fn=self._is_new_version,
            metadata_keys=["LastModified", "ETag", "VersionId"],
            inlets=[asset],
            outlets=[asset],
            **kwargs,
        )

    def _is_new_version(self, files: list[dict], **context: Any) -> bool:
        current = object_identity(str(self.bucket_key), files[0])
        last = list(context["inlet_events"][self.asset].ascending(False).limit(1))
        announced = last[0].extra if last else None
        if not is_new(current, announced):
            log.info("s3://%s/%s unchanged since its last announcement: %s", self.bucket_name, self.bucket_key, current)
            return False
        log.info("new version of s3://%s/%s: %s", self.bucket_name, self.bucket_key, current)
        context["outlet_events"][self.asset].extra = current
        return True


def pin_object(bucket: str, key: str, snapshot_prefix: str, aws_conn_id: str | None = "aws_default") -> dict:
    """Copy the object's current version to `<snapshot_prefix>/<run id>/<name>`; the run id, paths and version."""
    client = S3Hook(aws_conn_id=aws_conn_id).get_conn()
    try:
        head = client.head_object(Bucket=bucket, Key=key)
    except client.exceptions.ClientError as error:
        code = error.response.get("Error", {}).get("Code")
        if code in ("404", "NoSuchKey", "NotFound"):
            raise AirflowFailException(f"s3://{bucket}/{key} does not exist: nothing to run on") from None
        raise
    identity = object_identity(key, head)
    run_id = run_id_for(identity)
    snapshot = f"{snapshot_prefix.rstrip('/')}/{run_id}/{key.rsplit('/', 1)[-1]}"
    target_bucket, target_key = S3Hook.parse_s3_url(snapshot)
    source = {"Bucket": bucket, "Key": key, **({"VersionId": identity["version_id"]} if identity["version_id"] else {})}
    # Without versioning the key may change between the HEAD and the copy: copy only the version
    # just seen (a change fails this try; the retry pins the new version).
    extra = {} if identity["version_id"] else {"CopySourceIfMatch": head["ETag"]}
    client.copy(source, target_bucket, target_key, ExtraArgs=extra)  # managed copy: multipart for big objects
    log.info("pinned s3://%s/%s %s as %s (run %s)", bucket, key, identity, snapshot, run_id)
    return {"run_id": run_id, "input_path": snapshot, **identity}


def pin_object_task(task_id: str, bucket: str, key: str, snapshot_prefix: str):
    """The run's first task: refuses conf keys the DAG does not declare, then `pin_object` (templated arguments)."""

    @task(task_id=task_id, retries=2)
    def pin(bucket: str, key: str, snapshot_prefix: str, **context) -> dict:
        unknown = sorted(set(context["dag_run"].conf or {}) - set(context["dag"].params))
        if unknown:
            raise AirflowFailException(f"unknown parameter(s) {', '.join(unknown)}")
        return pin_object(bucket, key, snapshot_prefix)

    return pin(bucket=bucket, key=key, snapshot_prefix=snapshot_prefix)
