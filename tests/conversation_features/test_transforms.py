"""The conversation_features transforms on inline, messy session documents: whole-DataFrame equality.

Expected rows are written out by hand from the SPEC's definitions (never derived from the code).
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from datalake.conversation_features.features import COLUMNS, latest_per_session, to_features
from datalake.conversation_features.parse import instant, parse_sessions

FEATURES = (
    "session_id string, agent_name string, model_provider string, model_id string, total_runs int, "
    "total_input_tokens bigint, total_output_tokens bigint, total_tokens bigint, avg_tokens_per_run double, "
    "max_tokens_per_run bigint, output_input_token_ratio double, avg_run_time_s double, max_run_time_s double, "
    "total_run_time_s double, avg_time_to_first_token_s double, total_tool_calls int, avg_tool_calls_per_run double, "
    "distinct_tools int, tool_error_count int, tool_error_rate double, failed_runs int, failure_rate double, "
    "session_start timestamp, session_end timestamp, session_duration_s double, start_hour_utc int, "
    "start_day_of_week int, is_weekend boolean, avg_seconds_between_runs double"
)

SPEC_EXAMPLE = {
    "_id": {"$oid": "65a1f0c2e4b0a1b2c3d4e5f6"}, "session_id": "s-1", "agent_id": "a-1", "user_id": "u-1",
    "agent_data": {"name": "support-bot", "model": {"id": "gpt-4o-mini", "provider": "OpenAI"}},
    "memory": {"runs": [
        {"run_id": "r-1", "created_at": 1733011200, "status": "completed",
         "metrics": {"input_tokens": [300, 212], "output_tokens": [80, 48], "total_tokens": [380, 260],
                     "time": [1.2, 1.11], "time_to_first_token": 0.42},
         "tools": [{"tool_name": "search_docs", "tool_call_error": False, "metrics": {"time": 0.8}}]}]},
    "created_at": 1733011200, "updated_at": 1733014800,
}  # fmt: skip
MESSY = {
    "session_id": "s-multi",
    "agent_data": {"name": "  sales \t bot ", "model": {"id": "claude-3", "provider": "Anthropic"}},
    "created_at": "2025-10-25T21:30:00-03:00",  # 2025-10-26T00:30:00Z, a Sunday
    "updated_at": {"$date": "2025-10-26T00:40:00Z"},
    "memory": {"runs": [
        {"created_at": {"$date": "2025-10-26T00:30:00Z"}, "status": "Completed",
         "metrics": {"input_tokens": 100, "output_tokens": [10, 20], "total_tokens": [60, 70], "time": [0.5, 0.25],
                     "time_to_first_token": [0.5, 0.9]},
         "tools": [{"tool_name": "search", "tool_call_error": False},
                   {"tool_name": "search", "tool_call_error": "true"}]},
        {"created_at": 1761439200, "status": "ERROR",
         "metrics": {"input_tokens": [50, None], "output_tokens": 5, "total_tokens": 55, "time": 2,
                     "time_to_first_token": 0.3},
         "tools": {"tool_name": "calc", "tool_call_error": True}},
        {"created_at": "2025-10-26T00:50:00Z", "status": " failed ", "tools": [{"tool_name": None}]},
        None,
    ]},
}  # fmt: skip
NO_RUNS = {"session_id": 42, "created_at": 1761696000, "agent_data": None, "memory": None}
EMPTY_RUNS = {"session_id": "s-empty", "created_at": 1761696000.5, "updated_at": 1761696060,
              "agent_data": {"name": "   "}, "memory": {"runs": []}}  # fmt: skip


def _lines(spark, *documents) -> object:
    texts = [d if isinstance(d, str) else json.dumps(d) for d in documents]
    return spark.createDataFrame([(text,) for text in texts], "value string")


def _features(spark, *documents):
    parsed = parse_sessions(_lines(spark, *documents)).where(F.col("reason").isNull()).drop("reason")
    return to_features(latest_per_session(parsed).where("_rank = 1"))


def test_features_of_the_spec_example_and_messy_sessions(spark):
    expected = spark.createDataFrame(
        [
            ("s-1", "support-bot", "OpenAI", "gpt-4o-mini", 1, 512, 128, 640, 640.0, 640, 0.25, 2.31, 2.31, 2.31, 0.42,
             1, 1.0, 1, 0, 0.0, 0, 0.0, datetime(2024, 12, 1, 0), datetime(2024, 12, 1, 1), 3600.0, 0, 7, True, None),
            ("s-multi", "sales bot", "Anthropic", "claude-3", 3, 150, 35, 185, 61.666666666666664, 130,
             0.23333333333333334, 0.9166666666666666, 2.0, 2.75, 0.4, 4, 1.3333333333333333, 2, 2, 0.5, 2,
             0.6666666666666666, datetime(2025, 10, 26, 0, 30), datetime(2025, 10, 26, 0, 50), 1200.0, 0, 7, True,
             600.0),
            ("42", "unknown", None, None, 0, 0, 0, 0, None, None, None, None, None, 0.0, None, 0, None, 0, 0, None, 0,
             None, datetime(2025, 10, 29), None, None, 0, 3, False, None),
            ("s-empty", "unknown", None, None, 0, 0, 0, 0, None, None, None, None, None, 0.0, None, 0, None, 0, 0,
             None, 0, None, datetime(2025, 10, 29, 0, 0, 0, 500000), datetime(2025, 10, 29, 0, 1), 59.5, 0, 3, False,
             None),
        ],
        FEATURES,
    )  # fmt: skip

    actual = _features(spark, SPEC_EXAMPLE, MESSY, NO_RUNS, EMPTY_RUNS)

    assertDataFrameEqual(actual, expected, checkRowOrder=False)
    assert actual.columns == list(COLUMNS)


def test_one_row_per_session_the_latest_updated_at_wins(spark):
    copies = [
        {"session_id": "s-dup", "created_at": "2025-10-29T10:00:00Z", "updated_at": "2025-10-29T10:05:00Z",
         "agent_data": {"name": "older"}},
        {"session_id": "s-dup", "created_at": "2025-10-29T10:00:00Z", "updated_at": "2025-10-29T07:20:00-03:00",
         "agent_data": {"name": "latest"}},
        {"session_id": "s-dup", "created_at": "2025-10-29T10:00:00Z", "updated_at": None,
         "agent_data": {"name": "no-updated-at"}},
    ]  # fmt: skip

    parsed = parse_sessions(_lines(spark, *copies)).drop("reason")
    ranked = latest_per_session(parsed).select("agent_name", "_rank")

    assertDataFrameEqual(
        ranked,
        spark.createDataFrame([("latest", 1), ("older", 2), ("no-updated-at", 3)], "agent_name string, _rank int"),
    )
    assert _features(spark, *copies).select("agent_name", "session_end").collect() == [
        ("latest", datetime(2025, 10, 29, 10, 20))
    ]


def test_what_cannot_be_a_row_is_quarantined_with_its_reason(spark):
    lines = [
        "not json",
        "[1, 2]",
        '{"session_id": "cut',
        json.dumps({"session_id": None, "created_at": 1761696000}),
        json.dumps({"session_id": "   ", "created_at": 1761696000}),
        json.dumps({"created_at": 1761696000}),
        json.dumps({"session_id": "s-no-time"}),
        json.dumps({"session_id": "s-bad-time", "created_at": "soon"}),
        json.dumps({"session_id": "s-ok", "created_at": {"$date": "2025-10-29T00:00:00Z"}, "memory": "lost"}),
    ]

    refused = parse_sessions(_lines(spark, *lines)).select("record", "reason")

    assertDataFrameEqual(
        refused,
        spark.createDataFrame(
            list(zip(lines, ["not a JSON object"] * 3 + ["missing session_id"] * 3
                     + ["created_at missing or not a timestamp"] * 2 + [None], strict=True)),
            "record string, reason string",
        ),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"$date": "2025-10-29T12:00:00Z"}', datetime(2025, 10, 29, 12)),
        ('{"$date": "2025-10-29T12:00:00.250Z"}', datetime(2025, 10, 29, 12, 0, 0, 250000)),
        ('{"$date": {"$numberLong": "1761739200000"}}', datetime(2025, 10, 29, 12)),
        ('{"$date": 1761739200000}', datetime(2025, 10, 29, 12)),
        ("1761739200", datetime(2025, 10, 29, 12)),
        ("1761739200.75", datetime(2025, 10, 29, 12, 0, 0, 750000)),
        ("2025-10-29T09:00:00-03:00", datetime(2025, 10, 29, 12)),
        ("2025-10-29T12:00:00+00:00", datetime(2025, 10, 29, 12)),
        (" 2025-10-29T12:00:00Z ", datetime(2025, 10, 29, 12)),
        ("1e300", None),
        ("yesterday", None),
        ('{"$oid": "65a1"}', None),
        (None, None),
    ],
)
def test_instant_reads_every_timestamp_kind(spark, text, expected):
    frame = spark.createDataFrame([(text,)], "t string").select(instant(F.col("t")).alias("at"))
    assertDataFrameEqual(frame, spark.createDataFrame([(expected,)], "at timestamp"))
