"""Landing files -> one row per JSON record, read by the executors as streams.

Why not `spark.read.text(paths, wholetext=True)`: it holds each file as one string (two 50 MB files
ran a default executor out of memory), takes every path as a glob (`a[1].json` is not found,
`a:b.json` is not even a path), checks every path it is given again (1,000 paths cost seconds), and
reports URL-encoded names. Here the driver lists once (boto3 or the local file system: one
`ListObjectsV2` page per 1,000 files), each executor task opens its files itself, streams them
through `datalake.json_records` (vectorised, bounded memory) and hands Arrow batches of raw
records to the JVM, which parses each record exactly once.

Which files: the landing contract is `**.json` under the prefix, selected by last-modified time in
[window_start, window_end) to the millisecond (`files_in_window`; the Airflow sensor applies the
same rule). Spark's own `modifiedAfter`/`modifiedBefore` are not used: they compare whole seconds
in the session's time zone and exclude the start instant; `S3Hook.list_keys(from_datetime=...)`
is not used either, since it compares with `>` and `<` on both ends.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from datalake import json_records
from datalake.conventions import split_s3
from datalake.storage import HIDDEN_PREFIXES, FileStatus

LANDING_SUFFIX = ".json"
FILES_PER_SLICE = 4  # small files are cheap; slices keep both cores busy without a task per file
RECORDS_SCHEMA = T.StructType(
    [
        T.StructField("source_file", T.StringType()),
        T.StructField("modified_ms", T.LongType()),
        T.StructField("record_index", T.LongType()),
        T.StructField("text", T.StringType()),  # the record, when it is UTF-8 (almost always)
        T.StructField("raw", T.BinaryType()),  # the record's bytes, only when it is not
        T.StructField("file_error", T.StringType()),
        T.StructField("truncated", T.BooleanType()),
    ]
)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def epoch_ms(moment: datetime) -> int:
    return round((moment - EPOCH).total_seconds() * 1000)


def files_in_window(files: Iterable[FileStatus], start: datetime, end: datetime) -> list[FileStatus]:
    """Files last modified in [start, end) to the millisecond: a file exactly on a boundary is the later window's."""
    start_ms, end_ms = epoch_ms(start), epoch_ms(end)
    return [file for file in files if start_ms <= file.modified_ms < end_ms]


def is_landing_file(path: str) -> bool:
    return path.lower().endswith(LANDING_SUFFIX)


def _visible(relative: str) -> bool:
    """Spark's rule: names starting with `.` or `_` (and what is below them) are not data."""
    return not any(part.startswith(HIDDEN_PREFIXES) for part in relative.split("/") if part)


def list_files(path: str) -> list[FileStatus]:
    """Every visible file below `path` (a prefix or folder), recursively, with its size and last-modified time."""
    s3 = split_s3(path)
    if s3:
        import boto3

        bucket, prefix = s3
        prefix = prefix.rstrip("/") + "/" if prefix else ""
        scheme = path.partition("://")[0]
        pages = boto3.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return sorted(
            (
                FileStatus(f"{scheme}://{bucket}/{obj['Key']}", epoch_ms(obj["LastModified"]), obj["Size"])
                for page in pages
                for obj in page.get("Contents", [])
                if _visible(obj["Key"][len(prefix) :]) and not obj["Key"].endswith("/")
            ),
            key=lambda file: file.path,
        )
    files = []
    for folder, _, names in os.walk(path):
        for name in names:
            full = os.path.join(folder, name)
            if _visible(os.path.relpath(full, path)):
                stat = os.stat(full)
                files.append(FileStatus(full, stat.st_mtime_ns // 1_000_000, stat.st_size))
    return sorted(files, key=lambda file: file.path)


def open_file(path: str, s3_client=None):
    """A binary stream of a local file or an S3 object (`s3_client`: a callable giving a boto3 client)."""
    s3 = split_s3(path)
    if s3:
        if s3_client is None:
            import boto3

            return boto3.client("s3").get_object(Bucket=s3[0], Key=s3[1])["Body"]
        return s3_client().get_object(Bucket=s3[0], Key=s3[1])["Body"]
    return open(path, "rb")


def _as_text(records):
    """(text, raw) columns: the records as UTF-8 strings; bytes kept only for those that are not UTF-8."""
    import pyarrow as pa

    try:
        return records.cast(pa.string()), pa.nulls(len(records), pa.binary())
    except pa.ArrowInvalid:  # rare: find the records that are not UTF-8, one by one
        values = records.to_pylist()
        texts = []
        for value in values:
            try:
                texts.append(value.decode("utf-8"))
            except UnicodeDecodeError:
                texts.append(None)
        raw = [value if text is None else None for value, text in zip(values, texts, strict=True)]
        return pa.array(texts, pa.string()), pa.array(raw, pa.binary())


def _read_slice(batches: Iterator) -> Iterator:
    """mapInArrow body: for each file of the slice, its records as Arrow batches (see RECORDS_SCHEMA)."""
    import pyarrow as pa

    client = None

    def s3_client():
        nonlocal client
        if client is None:
            import boto3

            client = boto3.client("s3")
        return client

    for batch in batches:
        for path, modified_ms in zip(batch["path"].to_pylist(), batch["modified_ms"].to_pylist(), strict=True):
            stream = open_file(path, s3_client)
            try:
                for records in json_records.record_batches(json_records.read_chunks(stream)):
                    rows = records.num_rows
                    text, raw = _as_text(records.column("record"))
                    columns = [pa.repeat(pa.scalar(path, pa.string()), rows),
                               pa.repeat(pa.scalar(modified_ms, pa.int64()), rows),
                               records.column("record_index"), text, raw,
                               records.column("error"), records.column("truncated")]  # fmt: skip
                    yield pa.RecordBatch.from_arrays(columns, names=RECORDS_SCHEMA.fieldNames())
            finally:
                stream.close()


def read_records(spark: SparkSession, files: list[FileStatus]) -> DataFrame:
    """One row per record (or per piece that is not a record, with `file_error`) of the given files."""
    if not files:
        return spark.createDataFrame([], RECORDS_SCHEMA)
    # Largest first, dealt round-robin into slices: each slice gets a similar number of bytes.
    ordered = sorted(files, key=lambda file: (-file.size, file.path))
    slices = max(1, min(len(ordered), spark.sparkContext.defaultParallelism * 2, -(-len(ordered) // FILES_PER_SLICE)))
    dealt = [ordered[index::slices] for index in range(slices)]
    rows = [(file.path, file.modified_ms) for group in dealt for file in group]
    listing = spark.sparkContext.parallelize(rows, slices)
    return spark.createDataFrame(listing, "path string, modified_ms long").mapInArrow(_read_slice, RECORDS_SCHEMA)


def with_ingest_ts(records: DataFrame) -> DataFrame:
    """The landing file's last-modified time as `ingest_ts`: a rerun stamps the very same value."""
    return records.withColumn("ingest_ts", F.timestamp_millis("modified_ms")).drop("modified_ms")
