"""Typed sessions -> one feature row per session, the training CSV's columns in the SPEC's order.

Per session (runs are the typed structs of `parse.runs_of`, computed with higher-order functions
on the session's own list: no explode, no shuffle):
- a run's tokens/time are the sums of its metric lists; totals add the runs (a missing metric is 0);
- `max_*` are the largest run's value, empty with zero runs;
- `avg_*` and rates divide by total_runs (or total_input_tokens, total_tool_calls), empty when that is 0;
  `avg_time_to_first_token_s` is the mean over the runs that have one;
- `session_start` = created_at; `session_end` = the latest of updated_at and the runs' created_at;
  `start_day_of_week` is ISO (1 = Monday); `avg_seconds_between_runs` is the mean gap between
  consecutive runs by created_at (empty with fewer than 2 timed runs);
- a missing agent name is `unknown`; `failed_runs` counts statuses `error`/`failed` in any case.
One row per session_id: the copy with the latest updated_at (ties: the greatest raw line, so the
choice does not depend on file order); the others are counted as superseded.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from datalake.conversation_features.parse import AMOUNT

UNKNOWN_AGENT = "unknown"
FAILED_STATUSES = ("error", "failed")
WEEKEND = (6, 7)
COLUMNS = (
    "session_id", "agent_name", "model_provider", "model_id", "total_runs", "total_input_tokens",
    "total_output_tokens", "total_tokens", "avg_tokens_per_run", "max_tokens_per_run",
    "output_input_token_ratio", "avg_run_time_s", "max_run_time_s", "total_run_time_s",
    "avg_time_to_first_token_s", "total_tool_calls", "avg_tool_calls_per_run", "distinct_tools",
    "tool_error_count", "tool_error_rate", "failed_runs", "failure_rate", "session_start",
    "session_end", "session_duration_s", "start_hour_utc", "start_day_of_week", "is_weekend",
    "avg_seconds_between_runs",
)  # fmt: skip


def latest_per_session(sessions: DataFrame) -> DataFrame:
    """One row per session_id (latest updated_at); `_rank` > 1 marks the superseded copies."""
    order = Window.partitionBy("session_id").orderBy(F.col("updated_at").desc_nulls_last(), F.col("record").desc())
    return sessions.withColumn("_rank", F.row_number().over(order))


def _total(runs: Column, field: str) -> Column:
    zero = F.lit(0).cast(AMOUNT)
    return F.aggregate(runs, zero, lambda total, run: (total + F.coalesce(run[field], zero)).cast(AMOUNT))


def _ratio(numerator: Column, denominator: Column) -> Column:
    return F.when(denominator != 0, numerator.cast(T.DoubleType()) / denominator.cast(T.DoubleType()))


def _seconds(later: Column, earlier: Column) -> Column:
    return (F.unix_micros(later) - F.unix_micros(earlier)) / F.lit(1_000_000.0)


def _double(amount: Column) -> Column:
    return amount.cast(T.DoubleType())


def to_features(sessions: DataFrame) -> DataFrame:
    """Good, de-duplicated sessions (parse's columns) -> COLUMNS."""
    runs = F.col("runs")
    tools = F.flatten(F.transform(runs, lambda run: run["tools"]))
    timed = F.array_sort(F.filter(F.transform(runs, lambda run: run["created_at"]), lambda at: at.isNotNull()))
    first_tokens = F.filter(F.transform(runs, lambda run: run["time_to_first_token"]), lambda v: v.isNotNull())
    run_tokens = F.transform(runs, lambda run: F.coalesce(run["total_tokens"], F.lit(0).cast(AMOUNT)))
    run_times = F.transform(runs, lambda run: F.coalesce(run["time"], F.lit(0).cast(AMOUNT)))
    day_of_week = (F.dayofweek("created_at") + 5) % 7 + 1
    measured = sessions.select(
        "session_id",
        F.coalesce("agent_name", F.lit(UNKNOWN_AGENT)).alias("agent_name"),
        "model_provider",
        "model_id",
        F.size(runs).alias("total_runs"),
        _total(runs, "input_tokens").alias("_input"),
        _total(runs, "output_tokens").alias("_output"),
        _total(runs, "total_tokens").alias("_tokens"),
        _total(runs, "time").alias("_time"),
        F.array_max(run_tokens).alias("_max_tokens"),
        F.array_max(run_times).alias("_max_time"),
        F.size(first_tokens).alias("_first_token_runs"),
        F.aggregate(first_tokens, F.lit(0).cast(AMOUNT), lambda t, v: (t + v).cast(AMOUNT)).alias("_first_token_sum"),
        F.size(tools).alias("total_tool_calls"),
        F.size(F.array_distinct(F.filter(F.transform(tools, lambda t: t["tool_name"]), lambda n: n.isNotNull()))).alias(
            "distinct_tools"
        ),
        F.size(F.filter(tools, lambda t: t["tool_call_error"])).alias("tool_error_count"),
        F.size(F.filter(runs, lambda run: run["status"].isin(*FAILED_STATUSES))).alias("failed_runs"),
        F.col("created_at").alias("session_start"),
        F.greatest("updated_at", F.element_at(timed, -1)).alias("session_end"),
        F.when(
            F.size(timed) >= 2, _seconds(F.element_at(timed, -1), F.element_at(timed, 1)) / (F.size(timed) - 1)
        ).alias("avg_seconds_between_runs"),
        day_of_week.alias("start_day_of_week"),
    )
    return measured.select(
        "session_id", "agent_name", "model_provider", "model_id", "total_runs",
        F.col("_input").cast(T.LongType()).alias("total_input_tokens"),
        F.col("_output").cast(T.LongType()).alias("total_output_tokens"),
        F.col("_tokens").cast(T.LongType()).alias("total_tokens"),
        _ratio(F.col("_tokens"), F.col("total_runs")).alias("avg_tokens_per_run"),
        F.col("_max_tokens").cast(T.LongType()).alias("max_tokens_per_run"),
        _ratio(F.col("_output"), F.col("_input")).alias("output_input_token_ratio"),
        _ratio(F.col("_time"), F.col("total_runs")).alias("avg_run_time_s"),
        _double(F.col("_max_time")).alias("max_run_time_s"),
        _double(F.col("_time")).alias("total_run_time_s"),
        _ratio(F.col("_first_token_sum"), F.col("_first_token_runs")).alias("avg_time_to_first_token_s"),
        "total_tool_calls",
        _ratio(F.col("total_tool_calls"), F.col("total_runs")).alias("avg_tool_calls_per_run"),
        "distinct_tools", "tool_error_count",
        _ratio(F.col("tool_error_count"), F.col("total_tool_calls")).alias("tool_error_rate"),
        "failed_runs",
        _ratio(F.col("failed_runs"), F.col("total_runs")).alias("failure_rate"),
        "session_start", "session_end",
        _seconds(F.col("session_end"), F.col("session_start")).alias("session_duration_s"),
        F.hour("session_start").alias("start_hour_utc"),
        "start_day_of_week",
        F.col("start_day_of_week").isin(*WEEKEND).alias("is_weekend"),
        "avg_seconds_between_runs",
    )  # fmt: skip
