"""Waiting for a window's landing files: an `S3KeySensor` that knows what "the window's files" means.

A landing file belongs to the window its last-modified time falls in, [start, end) to the
millisecond (`datalake.landing.files_in_window` in the bronze job applies the same rule), at
any depth under the prefix, and only `*.json` files count. The sensor:
- succeeds once a file of the window exists and the window closed `settle` ago: S3 shows an
  object only when its upload completes, but stamps it with the upload's start, so a file may
  still appear in a closed window for a while (a multipart upload of a big file);
- skips the run (and the stages after it) once the window closed `grace` ago with no file: an
  hour without data is normal, and a backfill must not wait on it. With `ledger_table`, it first
  records each hour of the window as looked at and empty (an empty ledger, see
  `datalake.ledger`), so a file that lands in that hour later is reported as late;
- fails on anything else (access denied, a wrong bucket, a broken trigger), like any task.

Why not the provider's own waiting: its deferred trigger lists with `Delimiter="/"` (files in
sub-folders never reach the check) and sends one HEAD per listed object on every poke. Here
one `ListObjectsV2` walk per poke, without delimiter, reads `LastModified` from the listing
itself and stops at the first file of the window. The walk is bounded by the landing bucket's
lifecycle rule (landing objects expire after a few days; bronze keeps the data), not by history.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.providers.amazon.aws.sensors.s3 import S3KeySensor
from airflow.sdk.exceptions import AirflowException, AirflowSensorTimeout, AirflowSkipException
from airflow.triggers.base import BaseTrigger, TriggerEvent

from datalake.conventions import hour_ledger_path, parse_instant
from dataplatform.catalog import s3_uri
from dataplatform.config import setting
from dataplatform.windows import RESOLVE_TASK_ID

SETTLE = timedelta(minutes=5)
GRACE = timedelta(minutes=15)
MAX_GRACE = timedelta(minutes=30)  # the sensor's timeout leaves room for this much
LANDING_SUFFIX = ".json"
FOUND, WAIT, EMPTY = "found", "wait", "empty"


def _utc(value) -> datetime:
    return value.astimezone(timezone.utc) if isinstance(value, datetime) else parse_instant("LastModified", value)


def landing_state(objects: Iterable[dict], start: datetime, end: datetime, now: datetime,
                  settle: timedelta = SETTLE, grace: timedelta = GRACE) -> str:  # fmt: skip
    """FOUND, WAIT or EMPTY for the window [start, end), given listed objects (Key, LastModified).

    A negative `settle` does not wait for the window to close (local runs of the current hour).
    """
    if settle >= timedelta(0) and now < end + settle:
        return WAIT
    for obj in objects:
        if obj["Key"].lower().endswith(LANDING_SUFFIX) and start <= _utc(obj["LastModified"]) < end:
            return FOUND
    return EMPTY if now >= end + grace else WAIT


def _window(context) -> tuple[datetime, datetime]:
    window = context["ti"].xcom_pull(task_ids=RESOLVE_TASK_ID)
    return parse_instant("start", window["start"]), parse_instant("end", window["end"])


class LandingWindowTrigger(BaseTrigger):
    """Lists the landing prefix every `poke_interval` (aiobotocore) until `landing_state` decides."""

    def __init__(self, bucket: str, prefix: str, start: str, end: str, settle_s: float, grace_s: float,
                 poke_interval: float, aws_conn_id: str | None, region_name: str | None = None):  # fmt: skip
        super().__init__()
        self.bucket, self.prefix, self.start, self.end = bucket, prefix, start, end
        self.settle_s, self.grace_s, self.poke_interval = settle_s, grace_s, poke_interval
        self.aws_conn_id, self.region_name = aws_conn_id, region_name

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {key: getattr(self, key) for key in ("bucket", "prefix", "start", "end", "settle_s", "grace_s",
                                                 "poke_interval", "aws_conn_id", "region_name")},
        )  # fmt: skip

    async def _objects(self, client) -> AsyncIterator[dict]:
        paginator = client.get_paginator("list_objects_v2")
        async for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for obj in page.get("Contents", []):
                yield obj

    async def run(self) -> AsyncIterator[TriggerEvent]:
        start, end = parse_instant("start", self.start), parse_instant("end", self.end)
        settle, grace = timedelta(seconds=self.settle_s), timedelta(seconds=self.grace_s)
        hook = S3Hook(aws_conn_id=self.aws_conn_id, region_name=self.region_name)
        try:
            async with await hook.get_async_conn() as client:
                while True:
                    objects = [obj async for obj in self._objects(client)]
                    state = landing_state(objects, start, end, datetime.now(timezone.utc), settle, grace)
                    if state != WAIT:
                        yield TriggerEvent({"status": state})
                        return
                    await asyncio.sleep(self.poke_interval)
        except Exception as error:  # reported to the task, which fails with it
            yield TriggerEvent({"status": "error", "message": f"{type(error).__name__}: {error}"})


class LandingFilesSensor(S3KeySensor):
    """`S3KeySensor` over `s3://<bucket>/<prefix>**.json` for the run's window (see the module doc).

    `settle_seconds` and `grace_seconds` are settings (templates), so local mode, where an upload is
    visible the instant it starts, can wait less than production.
    """

    template_fields = (*S3KeySensor.template_fields, "settle_seconds", "grace_seconds", "ledger_table")

    def __init__(self, *, bucket_name: str, prefix: str, settle_seconds: str | int = setting("landing_settle_seconds"),
                 grace_seconds: str | int = setting("landing_grace_seconds"), ledger_table: str | None = None,
                 **kwargs):  # fmt: skip
        kwargs.setdefault("poke_interval", 60)
        kwargs.setdefault("timeout", int((MAX_GRACE + timedelta(minutes=20)).total_seconds()))
        super().__init__(bucket_name=bucket_name, bucket_key=f"{prefix}*", wildcard_match=True,
                         deferrable=True, **kwargs)  # fmt: skip
        self.prefix = prefix
        self.settle_seconds, self.grace_seconds = settle_seconds, grace_seconds
        self.ledger_table = ledger_table

    @property
    def settle(self) -> timedelta:
        return timedelta(seconds=int(self.settle_seconds))

    @property
    def grace(self) -> timedelta:
        return timedelta(seconds=min(int(self.grace_seconds), MAX_GRACE.total_seconds()))

    def poke(self, context) -> bool:
        start, end = _window(context)
        bucket = self.bucket_name
        pages = self.hook.get_conn().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=self.prefix)
        objects = (obj for page in pages for obj in page.get("Contents", []))
        state = landing_state(objects, start, end, datetime.now(timezone.utc), self.settle, self.grace)
        return self._decide(state, context)

    def _decide(self, state: str, context) -> bool:
        if state == EMPTY:
            start, end = _window(context)
            self._record_empty_hours(start, end)
            raise AirflowSkipException(f"no landing file under s3://{self.bucket_name}/{self.prefix} was modified in "
                                       f"[{start:%Y-%m-%dT%H:%M:%SZ}, {end:%Y-%m-%dT%H:%M:%SZ})")  # fmt: skip
        return state == FOUND

    def _record_empty_hours(self, start: datetime, end: datetime) -> None:
        """An empty ledger for each hour of the window that has none (a real one is never replaced)."""
        if not self.ledger_table:
            return
        hour = start.replace(minute=0, second=0, microsecond=0)
        while hour < end:
            bucket, key = S3Hook.parse_s3_url(s3_uri(hour_ledger_path(self.ledger_table, hour)))
            if not self.hook.check_for_key(key, bucket):
                self.hook.load_string("[]", key, bucket, replace=False)
            hour += timedelta(hours=1)

    def _defer(self) -> None:
        raise NotImplementedError("LandingFilesSensor defers from execute(), which knows the window")

    def execute(self, context) -> None:
        if self.poke(context):
            return
        start, end = _window(context)
        self.defer(
            timeout=timedelta(seconds=self.timeout),
            trigger=LandingWindowTrigger(
                bucket=str(self.bucket_name), prefix=self.prefix, start=start.isoformat(), end=end.isoformat(),
                settle_s=self.settle.total_seconds(), grace_s=self.grace.total_seconds(),
                poke_interval=float(self.poke_interval), aws_conn_id=self.aws_conn_id, region_name=self.region_name,
            ),
            method_name="execute_complete",
        )  # fmt: skip

    def execute_complete(self, context, event: dict[str, Any]) -> None:
        if event["status"] == "error":
            raise AirflowException(f"waiting for landing files failed: {event['message']}")
        self._decide(event["status"], context)


class RequiredInputSensor(S3KeySensor):
    """The provider's `S3KeySensor` for input that must arrive (a day's file): waits, then fails saying what is missing.

    Unlike a landing window, an absent file here is an incident: on timeout the task fails (never
    skips) with one line naming the key pattern, so the alert says what to chase. Sensor timeouts
    are not retried; once the file is there, clear the task (or rerun the day) to go on.
    """

    def execute(self, context):
        try:
            return super().execute(context)
        except AirflowSensorTimeout:
            keys = self.bucket_key if isinstance(self.bucket_key, str) else ", ".join(self.bucket_key)
            raise AirflowSensorTimeout(
                f"required input missing: nothing matches {keys} after waiting {timedelta(seconds=self.timeout)}; "
                "once it has landed, clear this task to go on"
            ) from None
