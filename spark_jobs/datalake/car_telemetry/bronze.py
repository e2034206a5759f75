"""Landing records -> bronze rows and quarantine rows (pure transforms), and the window's hours.

The chain the job runs: `datalake.landing.read_records` (one row per record of the window's files,
or per piece of a file that is not a record) -> `parse_records` (the declared schema, parsed once
per record, and the reason a record is refused) -> `to_bronze` / `to_quarantine`. Every record
read ends in exactly one of the two.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from datalake.car_telemetry.schema import (
    INGEST_PARTITIONS,
    LANDING_SCHEMA,
    RECORD_COLUMNS,
    REQUIRED_FIELDS,
    leaf_paths,
    timestamp_paths,
)
from datalake.columns import parse_utc_timestamp, trimmed
from datalake.quarantine import first_reason

CORRUPT_COLUMN = "_corrupt_record"
PARSE_SCHEMA = T.StructType([*LANDING_SCHEMA.fields, T.StructField(CORRUPT_COLUMN, T.StringType())])
STRICT = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT_COLUMN, "allowNonNumericNumbers": "false"}
LENIENT = {**STRICT, "allowNonNumericNumbers": "true"}

NOT_UTF8 = "not valid UTF-8 text"
NOT_JSON = "not valid JSON"
NOT_A_NUMBER = "NaN or Infinity is not a JSON number"
NOT_AN_OBJECT = "not a JSON object"
DOES_NOT_FIT = "does not fit schema"


def _field(parsed: Column, path: str) -> Column:
    for name in path.split("."):
        parsed = parsed.getField(name)
    return parsed


def _misfit_reason(text: Column, parsed: Column) -> Column:
    """Names the fields present in the JSON whose value the declared type refused (Spark keeps the others).

    Evaluated only for records the parser flagged, so the extra parses here cost nothing on good data.
    """
    refused = [
        F.when(F.get_json_object(text, f"$.{path}").isNotNull() & _field(parsed, path).isNull(), F.lit(path))
        for path in leaf_paths(LANDING_SCHEMA)
    ]
    misfits = F.filter(F.array(*refused), lambda field: field.isNotNull())
    named = F.concat(F.lit(f"{DOES_NOT_FIT}: "), F.array_join(misfits, ", "))
    return F.when(F.size(misfits) > 0, named).otherwise(F.lit(DOES_NOT_FIT))


def _flagged_reason(text: Column, parsed: Column) -> Column:
    """Why the parser flagged a record: not JSON at all, NaN/Infinity, not an object, or fields of the wrong type."""
    lenient = F.from_json(text, PARSE_SCHEMA, LENIENT)
    return (
        F.when(F.get_json_object(text, "$").isNull() & lenient.getField(CORRUPT_COLUMN).isNotNull(), F.lit(NOT_JSON))
        .when(lenient.getField(CORRUPT_COLUMN).isNull(), F.lit(NOT_A_NUMBER))
        .when(~trimmed(text).startswith("{"), F.lit(NOT_AN_OBJECT))
        .otherwise(_misfit_reason(text, parsed))
    )


def refusal_reason(text: Column, parsed: Column) -> Column:
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
    return first_reason(
        F.col("file_error"),
        F.when(text.isNull(), F.lit(NOT_UTF8)),
        F.when(parsed.isNull(), F.lit(NOT_AN_OBJECT)),  # `null`, or a blank element
        F.when(parsed.getField(CORRUPT_COLUMN).isNotNull(), _flagged_reason(text, parsed)),
        *missing,
        *not_timestamps,
    )


def parse_records(records: DataFrame) -> DataFrame:
    """Decode and parse each record once with the declared schema; a bad field is null and the record flagged.

    Input: `datalake.landing.read_records` rows with `ingest_ts` (`text`, or `raw` bytes when the
    record is not UTF-8). Output: the lineage, `parsed` (the declared fields), `reason`, and for
    refused records only, what quarantine keeps: the record's exact text, or its bytes in base64
    when it is not UTF-8 (never a lossy decoding). Good records carry no text, so the job can cache
    this cheaply before writing bronze and quarantine from it.
    """
    parsed = records.withColumn("parsed", F.from_json("text", PARSE_SCHEMA, STRICT))
    with_reason = parsed.withColumn("reason", refusal_reason(F.col("text"), F.col("parsed")))
    refused = F.col("reason").isNotNull()
    return with_reason.select(
        "source_file",
        "ingest_ts",
        "record_index",
        # `parsed` keeps the parser's corrupt-record field: `dropFields` here would make the optimizer
        # rebuild the struct from one from_json call per field (measured: 5x slower).
        "parsed",
        "reason",
        F.when(refused, F.coalesce(F.col("text"), F.base64("raw"))).alias("record"),
        F.when(refused, F.when(F.col("text").isNull(), F.lit("base64")).otherwise(F.lit("utf-8"))).alias(
            "record_encoding"
        ),
        F.when(refused, F.coalesce(F.col("truncated"), F.lit(False))).alias("record_truncated"),
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
    """Refused records with the reason; the record's exact text, or its bytes in base64 when it is not text."""
    refused = parsed.where(F.col("reason").isNotNull())
    return with_ingest_partitions(refused).select(
        "source_file",
        "ingest_ts",
        "record_index",
        "record",
        "record_encoding",
        "record_truncated",
        "reason",
        *INGEST_PARTITIONS,
    )
