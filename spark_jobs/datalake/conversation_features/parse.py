"""Session documents as MongoDB relaxed Extended JSON lines -> typed sessions, or quarantine with a reason.

Real documents are messy, so every field is first read as text: Spark's JSON reader gives a
string field the raw JSON text of whatever value it holds (`300`, `[300, 212]`, `{"$date": ...}`),
and each field is then parsed for what it is. A metric is a number or a list of numbers (a list
counts as its sum; `time_to_first_token`'s list as its first element); a timestamp is
`{"$date": ISO text}` or `{"$date": {"$numberLong": ms}}` (Extended JSON), epoch seconds, or
ISO-8601 text with `Z` or an offset; `runs` is a list of runs (a lone run object counts as one).
Values that are not what they should be count as missing, except what a row cannot do without:
a `session_id` and a readable `created_at`; a line without them goes to quarantine.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from datalake import quarantine
from datalake.columns import clean_text, parse_utc_timestamp, trimmed

AMOUNT = T.DecimalType(28, 9)  # exact sums of metrics (1.2 + 1.11 is 2.31, not 2.3100000000000005)
CORRUPT = "_corrupt_record"
NOT_AN_OBJECT = "not a JSON object"
NO_SESSION_ID = "missing session_id"
NO_CREATED_AT = "created_at missing or not a timestamp"
NUMBER = r"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$"
MAX_EPOCH_S = 253402300799  # 9999-12-31T23:59:59Z


def _text_struct(*names: str, corrupt: bool = False) -> T.StructType:
    fields = [T.StructField(name, T.StringType()) for name in names]
    return T.StructType(fields + ([T.StructField(CORRUPT, T.StringType())] if corrupt else []))


DOCUMENT = _text_struct("session_id", "agent_data", "memory", "created_at", "updated_at", corrupt=True)
AGENT = _text_struct("name", "model")
MODEL = _text_struct("id", "provider")
MEMORY = _text_struct("runs")
RUN = _text_struct("run_id", "created_at", "status", "metrics", "tools")
METRICS = _text_struct("input_tokens", "output_tokens", "total_tokens", "time", "time_to_first_token")
TOOL = _text_struct("tool_name", "tool_call_error")
EJSON_DATE = _text_struct("$date")
EJSON_LONG = _text_struct("$numberLong")
RUN_TYPE = T.StructType(
    [
        T.StructField("created_at", T.TimestampType()),
        T.StructField("status", T.StringType()),
        *(T.StructField(name, AMOUNT) for name in ("input_tokens", "output_tokens", "total_tokens", "time")),
        T.StructField("time_to_first_token", AMOUNT),
        T.StructField("tools", T.ArrayType(T.StructType([T.StructField("tool_name", T.StringType()),
                                                         T.StructField("tool_call_error", T.BooleanType())]))),
    ]
)  # fmt: skip


def _json(text: Column, schema: T.DataType) -> Column:
    return F.from_json(text, schema, {"mode": "PERMISSIVE"})


def _epoch_seconds(text: Column) -> Column:
    seconds = text.cast(T.DoubleType())
    return F.when(text.rlike(NUMBER) & (F.abs(seconds) <= MAX_EPOCH_S), F.timestamp_seconds(seconds))


def instant(text: Column) -> Column:
    """A timestamp from Extended JSON `$date`, epoch seconds or ISO-8601 text; null if it is none of them."""
    value = trimmed(text)
    date_text = trimmed(_json(value, EJSON_DATE)["$date"])
    millis = trimmed(_json(date_text, EJSON_LONG)["$numberLong"])
    from_date = F.coalesce(
        F.when(millis.rlike(r"^-?[0-9]{1,15}$"), F.timestamp_millis(millis.cast(T.LongType()))),
        F.when(date_text.rlike(NUMBER), F.timestamp_millis(date_text.cast(T.LongType()))),  # canonical-ish ms
        parse_utc_timestamp(date_text),
    )
    return F.when(value.startswith("{"), from_date).otherwise(
        F.coalesce(_epoch_seconds(value), parse_utc_timestamp(value))
    )


def metric_sum(text: Column) -> Column:
    """A metric as a number: itself, or the sum of its list (non-numbers in it count as 0); null if missing."""
    value = trimmed(text)
    zero = F.lit(0).cast(AMOUNT)
    listed = _json(value, T.ArrayType(AMOUNT))
    summed = F.aggregate(listed, zero, lambda total, item: (total + F.coalesce(item, zero)).cast(AMOUNT))
    return F.when(value.startswith("["), summed).otherwise(value.cast(AMOUNT))


def metric_first(text: Column) -> Column:
    """A metric as a number: itself, or the first element of its list."""
    value = trimmed(text)
    first = F.element_at(_json(value, T.ArrayType(AMOUNT)), 1)
    return F.when(value.startswith("["), first).otherwise(value.cast(AMOUNT))


def _as_list(text: Column) -> Column:
    """`[...]` stays, a lone `{...}` becomes a one-element list."""
    value = trimmed(text)
    return F.when(value.startswith("{"), F.concat(F.lit("["), value, F.lit("]"))).otherwise(value)


def _typed_run(run: Column) -> Column:
    metrics = _json(run["metrics"], METRICS)
    tools = F.filter(_json(_as_list(run["tools"]), T.ArrayType(TOOL)), lambda tool: tool.isNotNull())
    typed_tools = F.transform(
        F.coalesce(tools, F.array().cast(T.ArrayType(TOOL))),
        lambda tool: F.struct(
            clean_text(tool["tool_name"]).alias("tool_name"),
            F.lower(trimmed(tool["tool_call_error"])).isin("true", "1").alias("tool_call_error"),
        ),
    )
    return F.struct(
        instant(run["created_at"]).alias("created_at"),
        F.lower(trimmed(run["status"])).alias("status"),
        *(metric_sum(metrics[name]).alias(name) for name in ("input_tokens", "output_tokens", "total_tokens", "time")),
        metric_first(metrics["time_to_first_token"]).alias("time_to_first_token"),
        typed_tools.alias("tools"),
    )


def runs_of(memory_text: Column) -> Column:
    """The session's runs as typed structs (RUN_TYPE); an empty list when there are none."""
    listed = _json(_as_list(_json(memory_text, MEMORY)["runs"]), T.ArrayType(RUN))
    present = F.filter(F.coalesce(listed, F.array().cast(T.ArrayType(RUN))), lambda run: run.isNotNull())
    return F.transform(present, _typed_run)


def parse_sessions(lines: DataFrame) -> DataFrame:
    """`value` (one JSON line) -> typed session columns plus `reason` (null for a good row) and `record`."""
    document = _json(F.col("value"), DOCUMENT)
    agent = _json(document["agent_data"], AGENT)
    model = _json(agent["model"], MODEL)
    parsed = lines.select(
        F.col("value").alias("record"),
        document[CORRUPT].alias("_corrupt"),
        F.trim(document["session_id"]).alias("session_id"),
        clean_text(agent["name"]).alias("agent_name"),
        clean_text(model["provider"]).alias("model_provider"),
        clean_text(model["id"]).alias("model_id"),
        instant(document["created_at"]).alias("created_at"),
        instant(document["updated_at"]).alias("updated_at"),
        runs_of(document["memory"]).alias("runs"),
    )
    not_an_object = F.col("_corrupt").isNotNull() | ~trimmed(F.col("record")).startswith("{")
    reason = quarantine.first_reason(
        F.when(not_an_object, F.lit(NOT_AN_OBJECT)),
        F.when(F.col("session_id").isNull() | (F.col("session_id") == ""), F.lit(NO_SESSION_ID)),
        F.when(F.col("created_at").isNull(), F.lit(NO_CREATED_AT)),
    )
    return parsed.withColumn(quarantine.REASON, reason).drop("_corrupt")
