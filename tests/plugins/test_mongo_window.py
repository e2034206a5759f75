"""The window rule of the Mongo extract, without a server: the filter it sends and how it judges a value."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest
from bson.decimal128 import Decimal128

from dataplatform.mongo_extract import uses_index
from dataplatform.mongo_window import IN, OUTSIDE, UNREADABLE, instant_of, placement, window_filter

UTC = timezone.utc
START, END = datetime(2025, 10, 29, tzinfo=UTC), datetime(2025, 10, 30, tzinfo=UTC)


def test_the_filter_asks_each_type_for_its_range_and_strings_for_a_widened_one():
    assert window_filter("created_at", START, END) == {
        "$or": [
            {"created_at": {"$gte": datetime(2025, 10, 29), "$lt": datetime(2025, 10, 30)}},
            {"created_at": {"$gte": 1761696000.0, "$lt": 1761782400.0}},
            {"created_at": {"$gte": "2025-10-28", "$lt": "2025-11-01"}},
        ]
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2025, 10, 29), IN),  # naive BSON date = UTC
        (datetime(2025, 10, 30), OUTSIDE),
        (datetime(2025, 10, 29, 21, tzinfo=timezone.utc), IN),
        (1761696000, IN),
        (1761782399.999, IN),
        (1761782400, OUTSIDE),
        (Decimal128("1761696000"), IN),
        (Decimal("1761695999.9"), OUTSIDE),
        ("2025-10-28T21:00:00-03:00", IN),
        ("2025-10-29T21:00:00-03:00", OUTSIDE),
        ("2025-10-29T02:00:00+03:00", OUTSIDE),
        ("2025-10-30T13:59:59+14:00", IN),
        (" 2025-10-29T12:00:00.123456Z ", IN),
        ("2025-10-29T12:00:00", IN),  # no zone: UTC
        ("2025-10-29 sometime", UNREADABLE),
        ("", UNREADABLE),
        (float("nan"), UNREADABLE),
        (float("inf"), UNREADABLE),
        (1e300, UNREADABLE),
        (True, UNREADABLE),
        (None, UNREADABLE),
        ({"$date": 1}, UNREADABLE),
    ],
)
def test_placement_of_each_kind_of_value(value, expected):
    assert placement(value, START, END) == expected


def test_instant_of_an_offset_string_is_its_utc_instant():
    assert instant_of("2025-10-30T01:30:00+03:00") == datetime(2025, 10, 29, 22, 30, tzinfo=UTC)


def test_index_use_is_read_from_mongodb_and_ferretdb_plans():
    mongodb = {"queryPlanner": {"winningPlan": {"stage": "FETCH", "inputStage": {"stage": "IXSCAN"}}}}
    ferretdb_scan = {"queryPlanner": {"Plan": ["id=2 parent=0 notused=0 detail=SCAN s_f60c4582"]}}
    ferretdb_index = {"queryPlanner": {"Plan": ["detail=SEARCH s USING INDEX s_created_at_1 (_ferretdb_sjson>?)"]}}
    collscan = {"queryPlanner": {"winningPlan": {"stage": "COLLSCAN"}}}

    assert [uses_index(plan) for plan in (mongodb, ferretdb_scan, ferretdb_index, collscan)] == [
        True, False, True, False,
    ]  # fmt: skip
