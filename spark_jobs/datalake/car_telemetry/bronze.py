"""Landing JSON -> bronze rows and quarantine rows (pure transforms, plus the window's file and hour arithmetic).

The chain the job runs: `split_records` (one row per record, or one per file that is not JSON)
-> `parse_records` (the declared schema, and the reason a record is refused) -> `to_bronze` /
`to_quarantine`. Every record read ends in exactly one of the two.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from datalake.car_telemetry.schema import (
    INGEST_PARTITIONS,
    LANDING_SCHEMA,
    RECORD_COLUMNS,
    REQUIRED_FIELDS,
    leaf_paths,
    parse_utc_timestamp,
    timestamp_paths,
    trimmed,
)
from datalake.cli import JobError
from datalake.storage import FileStatus

HOUR = timedelta(hours=1)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
CORRUPT_COLUMN = "_corrupt_record"
PARSE_SCHEMA = T.StructType([*LANDING_SCHEMA.fields, T.StructField(CORRUPT_COLUMN, T.StringType())])
# Each element's own JSON text: Spark's JSON reader hands a non-string value to a string field verbatim.
RAW_ARRAY = T.ArrayType(T.StringType())
END_MARK = "end-of-landing-file"

EMPTY_FILE = "empty file"
NOT_JSON = "not valid JSON"
NOT_AN_OBJECT = "not a JSON object"
DOES_NOT_FIT = "does not fit schema"

LANDED_SCHEMA = T.StructType(
    [
        T.StructField("source_file", T.StringType()),
        T.StructField("ingest_ts", T.TimestampType()),
        T.StructField("text", T.StringType()),
    ]
)


def require_hour_aligned(window_start: datetime, window_end: datetime) -> None:
    """Bronze partitions are hours: a window that cuts an hour would replace another window's rows."""
    for name, value in (("window_start", window_start), ("window_end", window_end)):
        if value != value.replace(minute=0, second=0, microsecond=0):
            raise JobError(f"--{name} {value:%Y-%m-%dT%H:%M:%SZ} is not on the hour (bronze partitions are hourly)")


def window_files(files: Iterable[FileStatus], window_start: datetime, window_end: datetime) -> list[FileStatus]:
    """The files last modified in [start, end): a file exactly on a boundary belongs to the later window."""
    start_ms, end_ms = _epoch_ms(window_start), _epoch_ms(window_end)
    return [file for file in files if start_ms <= file.modified_ms < end_ms]


def window_hours(window_start: datetime, window_end: datetime) -> list[datetime]:
    """The UTC hours that [start, end) overlaps, i.e. the ingest partitions it owns."""
    hour = window_start.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    hours = []
    while hour < window_end:
        hours.append(hour)
        hour += HOUR
    return hours


def hour_partition(hour: datetime) -> dict[str, int]:
    return dict(zip(INGEST_PARTITIONS, (hour.year, hour.month, hour.day, hour.hour), strict=True))


def split_records(landed: DataFrame) -> DataFrame:
    """(source_file, ingest_ts, text) per file -> one row per record, or one row per file that is not JSON.

    A file holds one object or a JSON array of them. Spark's JSON reader stops after the first value,
    so the text is validated as `[<text>, END]`: exactly two elements, the last one END, means the
    text is one JSON value (trailing garbage or two concatenated objects break that).
    """
    text = F.regexp_replace(F.col("text"), "^\ufeff", "")  # a byte-order mark is not JSON, nor data
    validated = F.from_json(F.concat(F.lit("["), text, F.lit(f'\n,"{END_MARK}"]')), RAW_ARRAY)
    is_one_value = (F.size(validated) == 2) & (F.element_at(validated, 2) == END_MARK)
    file_error = F.when(trimmed(text) == "", F.lit(EMPTY_FILE)).when(
        ~F.coalesce(is_one_value, F.lit(False)), F.lit(NOT_JSON)
    )
    records = (
        F.when(F.col("file_error").isNotNull(), F.array(text))
        .when(trimmed(text).startswith("["), F.from_json(text, RAW_ARRAY))
        .otherwise(F.array(F.element_at(validated, 1)))
    )
    # Per-file work happens once per file, in its own projection below the explode: in the same
    # select, Spark would evaluate it above the explode, once per record (quadratic in file size).
    per_file = landed.withColumn("file_error", file_error).withColumn("records", records)
    return per_file.select(
        "source_file",
        "ingest_ts",
        F.posexplode("records").alias("record_index", "record"),
        "file_error",
    )


def _field(parsed: Column, path: str) -> Column:
    for name in path.split("."):
        parsed = parsed.getField(name)
    return parsed


def _misfit_reason(parsed: Column) -> Column:
    """Names the fields present in the JSON whose value the declared type refused (Spark keeps the others).

    A field is named when the record has a value at its path but the parsed value is null.
    """
    refused = [
        F.when(F.get_json_object("record", f"$.{path}").isNotNull() & _field(parsed, path).isNull(), F.lit(path))
        for path in leaf_paths(LANDING_SCHEMA)
    ]
    misfits = F.filter(F.array(*refused), lambda field: field.isNotNull())
    named = F.concat(F.lit(f"{DOES_NOT_FIT}: "), F.array_join(misfits, ", "))
    return F.when(F.size(misfits) > 0, named).otherwise(F.lit(DOES_NOT_FIT))


def refusal_reason(parsed: Column) -> Column:
    """Why a record cannot go to bronze (the first reason that applies), or null if it can."""
    missing = [
        F.when(F.coalesce(trimmed(_field(parsed, path)), F.lit("")) == "", F.lit(f"missing {path}"))
        for path in REQUIRED_FIELDS
    ]
    not_timestamps = [
        F.when(
            _field(parsed, path).isNotNull() & parse_utc_timestamp(_field(parsed, path)).isNull(),
            F.lit(f"{path} is not a timestamp"),
        )
        for path in timestamp_paths()
    ]
    return F.coalesce(
        F.col("file_error"),
        F.when(F.json_object_keys("record").isNull(), F.lit(NOT_AN_OBJECT)),
        F.when(parsed.getField(CORRUPT_COLUMN).isNotNull(), _misfit_reason(parsed)),
        *missing,
        *not_timestamps,
    )


def parse_records(records: DataFrame) -> DataFrame:
    """Parse each record with the declared schema (PERMISSIVE: a bad field is null, the record flagged)."""
    parsed = F.from_json("record", PARSE_SCHEMA, {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT_COLUMN})
    return (
        records.withColumn("parsed", parsed)
        .withColumn("reason", refusal_reason(F.col("parsed")))
        .select("source_file", "ingest_ts", "record_index", "record", "parsed", "reason")
    )


def with_ingest_partitions(df: DataFrame) -> DataFrame:
    """The hour the file landed (UTC; the job's session time zone is UTC)."""
    ingest_ts = F.col("ingest_ts")
    parts = (F.year(ingest_ts), F.month(ingest_ts), F.dayofmonth(ingest_ts), F.hour(ingest_ts))
    return df.withColumns({name: part.cast("int") for name, part in zip(INGEST_PARTITIONS, parts, strict=True)})


def to_bronze(parsed: DataFrame) -> DataFrame:
    accepted = parsed.where(F.col("reason").isNull())
    return with_ingest_partitions(accepted).select(
        *(F.col("parsed").getField(name).alias(name) for name in RECORD_COLUMNS),
        "ingest_ts",
        "source_file",
        *INGEST_PARTITIONS,
    )


def to_quarantine(parsed: DataFrame) -> DataFrame:
    refused = parsed.where(F.col("reason").isNotNull())
    return with_ingest_partitions(refused).select("source_file", "ingest_ts", "record", "reason", *INGEST_PARTITIONS)


def _epoch_ms(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(milliseconds=1)
