"""One writer at a time per table: a lock that a killed job cannot leave behind for long.

Airflow serialises a pipeline's own runs, but not a hand-started job, a retry that overlaps a
zombie, or a backfill next to a scheduled run. Two jobs that read-merge-write the same partitions
would each replace the other's result, so a job takes its table's lock around that part.

- Local paths: `fcntl.flock` on `<table>/_locks/<name>.lock`; the kernel releases it when the
  process dies, even by `kill -9`.
- S3 (`s3://`, `s3a://`): an object `<table>/_locks/<name>.lock` created with a conditional write
  (`If-None-Match: *`), renewed every `LEASE_S / 4` by a heartbeat with `If-Match` on its ETag.
  A lock whose lease ran out (its holder died) is taken over with `If-Match` on the stale ETag,
  so of two jobs taking it over only one succeeds. A holder that loses its lease is told so
  (`TableLock.check()` raises) before it commits.

A job that cannot get the lock within `wait_s` stops with one clear line naming the holder.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone

from datalake.cli import JobError
from datalake.conventions import split_s3

LOCKS_DIR = "_locks"
LEASE_S = 120.0
POLL_S = 2.0


class LockLost(RuntimeError):
    """The lock's lease ran out while the job held it (the job stalled longer than the lease)."""


def _owner(label: str) -> dict:
    return {
        "owner": f"{label}:{uuid.uuid4().hex[:12]}",
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "since": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


class _LocalLock:
    def __init__(self, path: str, label: str):
        self.path = path
        self.info = _owner(label)
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(self.info).encode())
        self._fd = fd
        return True

    def holder(self) -> str:
        with contextlib.suppress(OSError, ValueError), open(self.path) as file:
            return json.load(file).get("owner", "?")
        return "?"

    def check(self) -> None:
        return None

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class _S3Lock:
    def __init__(self, bucket: str, key: str, label: str, lease_s: float):
        import boto3  # Glue and the local venv have it; only S3 locks need it

        self.s3 = boto3.client("s3")
        self.bucket, self.key, self.lease_s = bucket, key, lease_s
        self.info = _owner(label)
        self.etag: str | None = None
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None

    def _body(self) -> bytes:
        expires = time.time() + self.lease_s
        return json.dumps({**self.info, "expires_epoch": expires}).encode()

    def _put(self, **condition) -> bool:
        from botocore.exceptions import ClientError

        try:
            response = self.s3.put_object(Bucket=self.bucket, Key=self.key, Body=self._body(), **condition)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("PreconditionFailed", "ConditionalRequestConflict"):
                return False
            raise
        self.etag = response["ETag"]
        return True

    def _current(self) -> tuple[dict, str] | None:
        from botocore.exceptions import ClientError

        try:
            response = self.s3.get_object(Bucket=self.bucket, Key=self.key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        try:
            body = json.loads(response["Body"].read())
        except ValueError:
            body = {}
        return body, response["ETag"]

    def try_acquire(self) -> bool:
        if self._put(IfNoneMatch="*"):
            return self._started()
        current = self._current()
        if current is None:  # released meanwhile: try again on the next poll
            return False
        body, etag = current
        if float(body.get("expires_epoch", 0)) > time.time():
            return False
        return self._put(IfMatch=etag) and self._started()  # its holder died: take it over

    def _started(self) -> bool:
        self._heartbeat = threading.Thread(target=self._renew, name="table-lock-heartbeat", daemon=True)
        self._heartbeat.start()
        return True

    def _renew(self) -> None:
        while not self._stop.wait(self.lease_s / 4):
            try:
                if not self._put(IfMatch=self.etag):
                    self.lost.set()
                    return
            except Exception:  # a blip: the next beat tries again; the lease covers three missed beats
                continue

    def holder(self) -> str:
        current = self._current()
        return current[0].get("owner", "?") if current else "?"

    def check(self) -> None:
        if self.lost.is_set():
            raise LockLost(f"lost the lock s3://{self.bucket}/{self.key} (lease ran out); nothing was committed")

    def release(self) -> None:
        self._stop.set()
        if self._heartbeat:
            self._heartbeat.join(timeout=5)
        current = self._current()
        if current and current[0].get("owner") == self.info["owner"]:
            self.s3.delete_object(Bucket=self.bucket, Key=self.key)


def lock_path(table_path: str, name: str = "table") -> str:
    return f"{table_path.rstrip('/')}/{LOCKS_DIR}/{name}.lock"


@contextlib.contextmanager
def table_lock(table_path: str, label: str, wait_s: float = 1800, lease_s: float = LEASE_S) -> Iterator[object]:
    """Hold the lock of the table at `table_path` for the block; wait up to `wait_s` for it."""
    path = lock_path(table_path)
    s3 = split_s3(path)
    lock = _S3Lock(*s3, label=label, lease_s=lease_s) if s3 else _LocalLock(path, label)
    deadline = time.monotonic() + wait_s
    announced = False
    while not lock.try_acquire():
        if time.monotonic() >= deadline:
            raise JobError(f"{table_path} is being written by {lock.holder()}; gave up after {wait_s:.0f}s")
        if not announced:
            print(f"waiting for the lock of {table_path}, held by {lock.holder()}", flush=True)
            announced = True
        time.sleep(POLL_S)
    try:
        yield lock
    finally:
        lock.release()
