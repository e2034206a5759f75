"""crypto_features' transforms on hand-computed cases: whole-DataFrame equality, expected values written out.

Closed forms per stretch (position i counts from 1 within a symbol):
- flat at 100: every return 0, every average 100, volatility 0, RSI 100 (no losses), target 0;
- rising by 1 from 100 (close 99+i): return_1d 1/(98+i), return_7d 7/(92+i), sma_7 96+i, sma_21 89+i,
  RSI 100, target 1;
- falling by 2 from 200: RSI 0 (no gains: 100 - 100/(1+0));
- +2/-1 alternating: over any 14 changes, 7 gains of 2 and 7 losses of 1: RSI 100 - 100/(1+2) = 66.67.
"""

from __future__ import annotations

import math
import statistics
from datetime import date, timedelta

import pytest
from pyspark.testing import assertDataFrameEqual

from datalake import quarantine
from datalake.crypto_ml import features
from datalake.crypto_ml.schema import FEATURE_COLUMNS, OUTPUT_COLUMNS

START = date(2025, 1, 1)
RECORD_SCHEMA = ("symbol string, date string, open string, high string, low string, close string, "
                 "volume string, malformed string, source_file string, row_in_file long")  # fmt: skip
OUTPUT_SCHEMA = (
    "symbol string, date date, open double, high double, low double, close double, volume double, "
    + ", ".join(f"{name} double" for name in FEATURE_COLUMNS)
    + ", target_up_next_day int"
)


def records(spark, rows, source_file="raw.csv"):
    """CSV records as the reader gives them: strings, in file order."""
    return spark.createDataFrame([(*row, None, source_file, index) for index, row in enumerate(rows)], RECORD_SCHEMA)


def day(offset: int) -> str:
    return (START + timedelta(days=offset)).isoformat()


def price_row(symbol, offset, close, volume=10.0, spread=0.0):
    return (symbol, day(offset), str(close), str(close + spread), str(close - spread), str(close), str(volume))


def run_features(spark, rows):
    parsed = features.parse(records(spark, rows))
    accepted, refused = quarantine.split(parsed)
    return features.to_features(features.latest_per_day(accepted)), features.to_quarantine(refused)


def expected(spark, rows):
    return spark.createDataFrame(rows, OUTPUT_SCHEMA)


def window(i, rows_needed, value):
    return value if i >= rows_needed else None


def test_a_flat_stretch(spark):
    result, refused = run_features(spark, [price_row("FLAT", n, 100.0) for n in range(22)])
    rows = []
    for i in range(1, 23):
        feats = [window(i, 2, 0.0), window(i, 2, 0.0), window(i, 8, 0.0), window(i, 7, 100.0), window(i, 21, 100.0),
                 window(i, 8, 0.0), window(i, 15, 100.0), window(i, 2, 0.0), 0.0]  # fmt: skip
        rows.append(("FLAT", START + timedelta(days=i - 1), 100.0, 100.0, 100.0, 100.0, 10.0, *feats,
                     None if i == 22 else 0))  # fmt: skip
    assertDataFrameEqual(result, expected(spark, rows), checkRowOrder=False)
    assert refused.count() == 0


def test_a_rising_stretch(spark):
    result, _ = run_features(spark, [price_row("UP", n, 100.0 + n, spread=1.0) for n in range(22)])
    rows = []
    for i in range(1, 23):
        close = 99.0 + i
        returns_7 = [1 / (98 + k) for k in range(i - 6, i + 1)] if i >= 8 else None
        feats = [
            window(i, 2, 1 / (98 + i)),
            window(i, 2, math.log((99 + i) / (98 + i))),
            window(i, 8, 7 / (92 + i)),
            window(i, 7, 96.0 + i),
            window(i, 21, 89.0 + i),
            statistics.stdev(returns_7) if returns_7 else None,
            window(i, 15, 100.0),
            window(i, 2, 0.0),
            2 / close,
        ]
        rows.append(("UP", START + timedelta(days=i - 1), close, close + 1, close - 1, close, 10.0, *feats,
                     None if i == 22 else 1))  # fmt: skip
    assertDataFrameEqual(result, expected(spark, rows), checkRowOrder=False, rtol=1e-9)


def test_rsi_of_a_falling_and_of_an_alternating_stretch(spark):
    falling = [price_row("DOWN", n, 200.0 - 2 * n) for n in range(16)]
    closes, close = [], 100.0
    for n in range(16):
        closes.append(close)
        close += 2.0 if n % 2 == 0 else -1.0
    alternating = [price_row("ALT", n, c) for n, c in enumerate(closes)]
    result, _ = run_features(spark, falling + alternating)
    rsi = {(row.symbol, row.date): row.rsi_14 for row in result.select("symbol", "date", "rsi_14").collect()}
    assert [rsi["DOWN", START + timedelta(days=n)] for n in range(16)] == [None] * 14 + [0.0, 0.0]
    assert [rsi["ALT", START + timedelta(days=n)] for n in range(14)] == [None] * 14
    assert rsi["ALT", START + timedelta(days=14)] == pytest.approx(100 - 100 / 3)
    assert rsi["ALT", START + timedelta(days=15)] == pytest.approx(100 - 100 / 3)


def test_a_gap_is_not_a_row_windows_count_rows(spark):
    rows = [price_row("GAP", 0, 100.0), price_row("GAP", 1, 110.0), price_row("GAP", 5, 99.0)]
    result, _ = run_features(spark, rows)
    assertDataFrameEqual(
        result.select("date", "return_1d", "target_up_next_day"),
        spark.createDataFrame(
            [(START, None, 1), (START + timedelta(days=1), 0.1, 0), (START + timedelta(days=5), 99 / 110 - 1, None)],
            "date date, return_1d double, target_up_next_day int",
        ),
        rtol=1e-12,
    )


def test_a_zero_volume_makes_the_next_change_null(spark):
    volumes = [10.0, 0.0, 5.0, 20.0]
    result, _ = run_features(spark, [price_row("VOL", n, 100.0, volume=v) for n, v in enumerate(volumes)])
    assertDataFrameEqual(
        result.select("date", "volume_change_1d"),
        spark.createDataFrame(
            [
                (START, None),
                (START + timedelta(days=1), -1.0),
                (START + timedelta(days=2), None),
                (START + timedelta(days=3), 3.0),
            ],
            "date date, volume_change_1d double",
        ),
    )


def test_the_last_duplicate_wins_and_a_bad_copy_never_hides_a_good_one(spark):
    rows = [
        price_row("DUP", 0, 100.0),
        price_row("DUP", 1, 50.0),  # superseded by the later row of the same day
        price_row("DUP", 2, 120.0),
        price_row("DUP", 1, 110.0),
        ("DUP", day(2), "120", "120", "120", "0", "10"),  # a later copy with close 0: quarantined, not the winner
    ]
    result, refused = run_features(spark, rows)
    assertDataFrameEqual(
        result.select("date", "close", "return_1d"),
        spark.createDataFrame(
            [
                (START, 100.0, None),
                (START + timedelta(days=1), 110.0, 0.1),
                (START + timedelta(days=2), 120.0, 120 / 110 - 1),
            ],
            "date date, close double, return_1d double",
        ),
        rtol=1e-12,
    )
    assert [(row.reason, row.row_in_file) for row in refused.collect()] == [("close is not positive", 4)]


def test_every_bad_row_is_quarantined_with_its_reason(spark):
    good = price_row("BTC", 0, 100.0)
    rows = [
        good,
        ("", day(1), "1", "1", "1", "1", "1"),
        ("BTC", "", "1", "1", "1", "1", "1"),
        ("BTC", "2025-02-30", "1", "1", "1", "1", "1"),
        ("BTC", "2025-1-5", "1", "1", "1", "1", "1"),
        ("BTC", day(2), "NaN", "1", "1", "1", "1"),
        ("BTC", day(3), "1", "Infinity", "1", "1", "1"),
        ("BTC", day(4), "1", "1", "abc", "1", "1"),
        ("BTC", day(5), "1", "1", "1", "", "1"),
        ("BTC", day(6), "-1", "1", "1", "1", "1"),
        ("BTC", day(7), "1", "1", "0", "1", "1"),
        ("BTC", day(8), "1", "1", "1", "1", "-3"),
        ("BTC", day(9), "1", "1", "1", "1", " \t "),
    ]
    result, refused = run_features(spark, rows)
    assert [row.date for row in result.collect()] == [START]
    assertDataFrameEqual(
        refused.select("reason", "row_in_file"),
        spark.createDataFrame(
            [
                ("symbol missing", 1),
                ("date missing", 2),
                ("date is not a YYYY-MM-DD day", 3),
                ("date is not a YYYY-MM-DD day", 4),
                ("open is not a number", 5),
                ("high is not a number", 6),
                ("low is not a number", 7),
                ("close is not a number", 8),
                ("open is not positive", 9),
                ("low is not positive", 10),
                ("volume is negative", 11),
                ("volume is not a number", 12),
            ],
            "reason string, row_in_file long",
        ),
    )
    first = refused.where("row_in_file = 5").first()
    assert first.record.asDict() == dict(zip(("symbol", "date", "open", "high", "low", "close", "volume"), rows[5],
                                             strict=True))  # fmt: skip


def test_symbols_are_computed_apart_and_the_output_has_the_contract_columns(spark):
    rows = [price_row("AAA", n, 100.0 + n) for n in range(3)] + [price_row("BBB", n, 50.0) for n in range(3)]
    result, _ = run_features(spark, list(reversed(rows)))  # any order in the file
    assert tuple(result.columns) == OUTPUT_COLUMNS
    returns = sorted((row.symbol, row.date.day, row.return_1d) for row in result.collect())
    assert returns == [("AAA", 1, None), ("AAA", 2, 101 / 100 - 1), ("AAA", 3, 102 / 101 - 1),
                       ("BBB", 1, None), ("BBB", 2, 0.0), ("BBB", 3, 0.0)]  # fmt: skip
