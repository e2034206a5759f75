"""Extract the documents of a MongoDB collection created in a window to S3, in bounded memory.

    MongoWindowToS3Operator(
        task_id="extract_sessions",
        database="conversations", collection="sessions",        # templated
        window_start=WINDOW_START, window_end=WINDOW_END,         # templated (ISO-8601)
        s3_prefix="s3://lake/raw/conversation_features/dt=2025-10-29/",
    )

Selects the documents whose `time_field` is in [window_start, window_end), whatever its type
(`dataplatform.mongo_window`), streams them from a cursor (`batch_size` at a time, never a list
of the whole result) as relaxed MongoDB Extended JSON lines (`bson.json_util`) into gzip files
uploaded by multipart upload as they fill (`dataplatform.s3_stream`), and writes
`<prefix>_manifest.json` last: count, window, files with sizes, counts and sha256. A sensor
waiting for the manifest never sees a half-written extract.

Reruns: an attempt first deletes the manifest and aborts multipart uploads an earlier attempt
left open under the prefix, writes the same keys again, and at the end removes part files it
did not write (an earlier attempt that rotated more files). A failure aborts its own upload.

A document that cannot be decoded or encoded is counted (`unencodable`) and logged with its
`_id`, not a crash of the whole extract; one whose time field is text that is not a timestamp
is counted (`unreadable_time`). Logs whether the query uses an index; `create_index=True`
builds the ascending index on `time_field` first (off by default: a pipeline does not build
indexes on a production collection unasked).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from contextlib import closing
from typing import TYPE_CHECKING

import bson.errors
from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.providers.mongo.hooks.mongo import MongoHook
from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowException, AirflowFailException
from bson.raw_bson import RawBSONDocument
from pymongo.errors import PyMongoError

from datalake.conventions import InstantError, iso, parse_instant
from dataplatform.catalog import s3_uri
from dataplatform.ejson import encode, raw_id
from dataplatform.mongo_window import IN, UNREADABLE, placement, window_filter
from dataplatform.prefetch import prefetched
from dataplatform.s3_stream import GzipPartFiles

if TYPE_CHECKING:
    from airflow.sdk import Context

MANIFEST = "_manifest.json"
PART_GLOB_PREFIX = "part-"
SAMPLE_IDS = 20


class MongoUnavailable(AirflowException):
    """The server cannot be reached or refused the credentials (retried: it may be transient)."""


class ExtractStats:
    """What happened to each document the query returned."""

    def __init__(self):
        self.outcomes: Counter[str] = Counter()
        self.unencodable_ids: list[str] = []

    def unencodable(self, document_id) -> None:
        self.outcomes["unencodable"] += 1
        if len(self.unencodable_ids) < SAMPLE_IDS:
            self.unencodable_ids.append(str(document_id))

    def as_dict(self) -> dict:
        return {
            "returned_by_query": sum(self.outcomes.values()),
            "outside_window": self.outcomes["outside"],
            "unreadable_time": self.outcomes[UNREADABLE],
            "unencodable": self.outcomes["unencodable"],
            "unencodable_ids_sample": self.unencodable_ids,
        }


def uses_index(plan: dict) -> bool:
    """Whether an `explain` result shows an index scan (MongoDB's IXSCAN, or SQLite's plan under FerretDB)."""
    text = json.dumps(plan, default=str)
    return any(mark in text for mark in ("IXSCAN", "USING INDEX", "USING COVERING INDEX"))


class MongoWindowToS3Operator(BaseOperator):
    template_fields: Sequence[str] = ("database", "collection", "window_start", "window_end", "s3_prefix")

    def __init__(
        self,
        *,
        database: str,
        collection: str,
        window_start: str,
        window_end: str,
        s3_prefix: str,
        time_field: str = "created_at",
        mongo_conn_id: str = "mongo_default",
        aws_conn_id: str | None = "aws_default",
        batch_size: int = 1000,
        part_bytes: int = 8 << 20,
        file_bytes: int = 256 << 20,
        create_index: bool = False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.database, self.collection = database, collection
        self.window_start, self.window_end = window_start, window_end
        self.s3_prefix, self.time_field = s3_prefix, time_field
        self.mongo_conn_id, self.aws_conn_id = mongo_conn_id, aws_conn_id
        self.batch_size, self.part_bytes, self.file_bytes = batch_size, part_bytes, file_bytes
        self.create_index = create_index

    def execute(self, context: Context) -> dict:
        start, end = self._window()
        bucket, prefix = self._destination()
        s3 = S3Hook(aws_conn_id=self.aws_conn_id).get_conn()
        hook = MongoHook(mongo_conn_id=self.mongo_conn_id)
        try:
            with _MongoErrors(self.mongo_conn_id, hook):
                collection = hook.get_collection(self.collection, mongo_db=self.database)
                query = window_filter(self.time_field, start, end)
                if self.create_index:
                    self._ensure_index(collection)
                self._log_plan(collection, query)
                self._clear_earlier_attempt(s3, bucket, prefix)
                files, stats = self._stream(s3, bucket, prefix, collection, query, start, end)
        finally:
            hook.close()
        removed = self._remove_stale_parts(s3, bucket, prefix, {file["key"] for file in files})
        manifest = {
            "count": sum(file["count"] for file in files),
            "window_start": iso(start),
            "window_end": iso(end),
            "database": self.database,
            "collection": self.collection,
            "time_field": self.time_field,
            "files": [{"key": f"s3://{bucket}/{file['key']}", **_without(file, "key")} for file in files],
            **stats.as_dict(),
        }
        s3.put_object(Bucket=bucket, Key=prefix + MANIFEST, Body=json.dumps(manifest, indent=2).encode())
        self.log.info("extracted %d documents of %s.%s in [%s, %s) to %d file(s) under s3://%s/%s%s",
                      manifest["count"], self.database, self.collection, iso(start), iso(end), len(files),
                      bucket, prefix, f"; removed stale {removed}" if removed else "")  # fmt: skip
        if stats.unencodable_ids:
            self.log.warning("%d document(s) could not be encoded, skipped; _id sample: %s",
                             manifest["unencodable"], ", ".join(stats.unencodable_ids))  # fmt: skip
        return _without(manifest, "files")

    def _window(self):
        try:
            start = parse_instant("window_start", self.window_start)
            end = parse_instant("window_end", self.window_end)
        except InstantError as error:
            raise AirflowFailException(str(error)) from None
        if end <= start:
            raise AirflowFailException(f"window_end {iso(end)} is not after window_start {iso(start)}")
        return start, end

    def _destination(self) -> tuple[str, str]:
        bucket, key = S3Hook.parse_s3_url(s3_uri(self.s3_prefix))
        return bucket, key.rstrip("/") + "/"

    def _ensure_index(self, collection) -> None:
        name = collection.create_index([(self.time_field, 1)])
        self.log.info("index %s on %s.%s is in place", name, self.database, self.collection)

    def _log_plan(self, collection, query: dict) -> None:
        # queryPlanner only: Cursor.explain() asks for allPlansExecution, which runs the whole query once more.
        explain = {"explain": {"find": collection.name, "filter": query}, "verbosity": "queryPlanner"}
        if uses_index(collection.database.command(explain)):
            self.log.info("the window query uses an index on %s", self.time_field)
        else:
            self.log.warning("the window query on %s.%s scans the whole collection (no index on %s used); "
                             "create_index=True builds one", self.database, self.collection,
                             self.time_field)  # fmt: skip

    def _stream(self, s3, bucket: str, prefix: str, collection, query: dict, start, end):
        stats = ExtractStats()
        raw_collection = collection.with_options(codec_options=collection.codec_options.with_options(
            document_class=RawBSONDocument))  # fmt: skip
        decoding = collection.codec_options
        cursor = raw_collection.find(query, batch_size=self.batch_size)
        with (
            closing(cursor),
            closing(prefetched(cursor, self.batch_size)) as documents,  # stops the reader thread on any exit
            GzipPartFiles(s3, bucket, prefix, self.part_bytes, self.file_bytes) as out,
        ):
            for raw in documents:
                try:
                    document, line = encode(raw, decoding)
                except (bson.errors.BSONError, ValueError, TypeError, OverflowError):
                    stats.unencodable(raw_id(raw))
                    continue
                where = placement(document.get(self.time_field), start, end)
                stats.outcomes[where] += 1
                if where == IN:
                    out.write(line)
            files = out.close()
        return files, stats

    def _clear_earlier_attempt(self, s3, bucket: str, prefix: str) -> None:
        s3.delete_object(Bucket=bucket, Key=prefix + MANIFEST)
        uploads = s3.list_multipart_uploads(Bucket=bucket, Prefix=prefix).get("Uploads", [])
        for upload in uploads:
            s3.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
        if uploads:
            self.log.info("aborted %d multipart upload(s) an earlier attempt left open", len(uploads))

    def _remove_stale_parts(self, s3, bucket: str, prefix: str, written: set[str]) -> list[str]:
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + PART_GLOB_PREFIX)
        stale = [item["Key"] for page in pages for item in page.get("Contents", []) if item["Key"] not in written]
        for key in stale:
            s3.delete_object(Bucket=bucket, Key=key)
        return stale


class _MongoErrors:
    """Turns a connection or authentication failure into one line naming the connection and host."""

    def __init__(self, conn_id: str, hook: MongoHook):
        self.conn_id, self.hook = conn_id, hook

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if kind is None or not issubclass(kind, PyMongoError):
            return False
        connection = self.hook.connection
        host = f"{connection.host}:{connection.port}" if connection.port else str(connection.host)
        reason = str(error).split(", Timeout:")[0].split(" (configured timeouts")[0].splitlines()[0]
        raise MongoUnavailable(
            f"MongoDB connection '{self.conn_id}' (host {host}): {type(error).__name__}: {reason}"
        ) from None


def _without(mapping: dict, *keys: str) -> dict:
    return {key: value for key, value in mapping.items() if key not in keys}
