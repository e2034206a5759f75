"""crypto_features transforms: price records (strings) -> typed, quarantined, de-duplicated -> features.

    records --parse--> typed rows + `reason` --split--> refused -> to_quarantine
                                                     \\-> accepted -> latest_per_day -> to_features

Every feature is a window function over one symbol's rows in date order. Windows count rows, not
calendar days (a missing day is simply not a row), and a feature whose window is not yet full is
null. No UDFs and nothing collected to the driver: Spark sorts each symbol once and computes every
column from that one sort.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from datalake.columns import trimmed
from datalake.crypto_ml.schema import INPUT_COLUMNS, OUTPUT_COLUMNS, PRICES, TARGET
from datalake.csv_input import MALFORMED, ROW_IN_FILE, SOURCE_FILE
from datalake.quarantine import REASON, first_reason

RECORD = "record"  # the input fields as received, kept in the quarantine
QUARANTINE_COLUMNS = (REASON, SOURCE_FILE, ROW_IN_FILE, RECORD, MALFORMED)
NUMBERS = (*PRICES, "volume")
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"


def _text(name: str) -> Column:
    value = trimmed(F.col(name))
    return F.when(value != "", value)


def _finite(name: str) -> Column:
    """The text as a double if it is a finite number (`NaN`, `Infinity` and `1e999` are not)."""
    cast = F.expr(f"try_cast(`{name}` AS double)")
    return F.when(~F.isnan(cast) & (F.abs(cast) < float("inf")), cast)


def parse(records: DataFrame, header_problems: dict[str, str] | None = None) -> DataFrame:
    """Typed `symbol`, `date`, prices and volume, and `reason` (null for a good row).

    Built in steps (text, typed, reason) so each value is parsed once per row.
    """
    texts = records.select(
        F.struct(*INPUT_COLUMNS).alias(RECORD),
        MALFORMED,
        SOURCE_FILE,
        ROW_IN_FILE,
        *(_text(name).alias(name) for name in INPUT_COLUMNS),
    )
    typed = texts.select(
        RECORD,
        MALFORMED,
        SOURCE_FILE,
        ROW_IN_FILE,
        "symbol",
        F.col("date").alias("_date_text"),
        # The strict pattern first: to_date alone takes `2025-1-5`; the parse refuses `2025-02-30`.
        F.when(F.col("date").rlike(DATE_PATTERN), F.expr("try_to_timestamp(date, 'yyyy-MM-dd')"))
        .cast("date")
        .alias("date"),
        *(_finite(name).alias(name) for name in NUMBERS),
    )
    problems = header_problems or {}
    header = F.element_at(F.create_map(*(F.lit(v) for pair in problems.items() for v in pair)), F.col(SOURCE_FILE))
    checks = [
        F.when(F.col(MALFORMED).isNotNull(), F.lit("malformed record: not the header's number of fields")),
        *([F.when(header.isNotNull(), header)] if problems else []),
        F.when(F.col("symbol").isNull(), F.lit("symbol missing")),
        F.when(F.col("_date_text").isNull(), F.lit("date missing")),
        F.when(F.col("date").isNull(), F.lit("date is not a YYYY-MM-DD day")),
        *(F.when(F.col(name).isNull(), F.lit(f"{name} is not a number")) for name in NUMBERS),
        *(F.when(F.col(name) <= 0, F.lit(f"{name} is not positive")) for name in PRICES),
        F.when(F.col("volume") < 0, F.lit("volume is negative")),
    ]
    return typed.withColumn(REASON, first_reason(*checks)).drop("_date_text")


def to_quarantine(refused: DataFrame) -> DataFrame:
    return refused.select(*QUARANTINE_COLUMNS)


def latest_per_day(accepted: DataFrame) -> DataFrame:
    """One row per (symbol, date): the last in file order (files in key order, then rows)."""
    order = Window.partitionBy("symbol").orderBy("date", SOURCE_FILE, ROW_IN_FILE)
    # Same partitioning and a finer order than the feature windows, so Spark sorts each symbol once.
    return (
        accepted.withColumn("_next_date", F.lead("date").over(order))
        .where(F.col("_next_date").isNull() | (F.col("_next_date") != F.col("date")))
        .select("symbol", "date", *NUMBERS)
    )


def _full(rows_needed: int, value: Column, position: Column) -> Column:
    """`value` where the window holds `rows_needed` rows, else null."""
    return F.when(position >= rows_needed, value)


def to_features(prices: DataFrame) -> DataFrame:
    """One row per (symbol, date) with every feature and the next-day target (see the module docstring)."""
    by_date = Window.partitionBy("symbol").orderBy("date")

    def last(rows: int) -> Window:
        return by_date.rowsBetween(-(rows - 1), Window.currentRow)

    previous_close = F.lag("close").over(by_date)
    change = F.col("close") - F.col("_previous_close")
    # Steps as separate projections: a nested window expression would be evaluated once per use.
    steps = prices.select(
        *prices.columns,
        F.row_number().over(by_date).alias("_position"),
        previous_close.alias("_previous_close"),
        F.lag("close", 7).over(by_date).alias("_close_7_back"),
        F.lag("volume").over(by_date).alias("_previous_volume"),
        F.lead("close").over(by_date).alias("_next_close"),
    ).select(
        "*",
        (F.col("close") / F.col("_previous_close") - 1).alias("return_1d"),
        F.greatest(change, F.lit(0.0)).alias("_gain"),
        F.greatest(-change, F.lit(0.0)).alias("_loss"),
    )
    position = F.col("_position")
    average_loss = F.avg("_loss").over(last(14))
    features = steps.select(
        "*",
        F.log(F.col("close") / F.col("_previous_close")).alias("log_return_1d"),
        (F.col("close") / F.col("_close_7_back") - 1).alias("return_7d"),
        _full(7, F.avg("close").over(last(7)), position).alias("sma_7"),
        _full(21, F.avg("close").over(last(21)), position).alias("sma_21"),
        # Seven daily returns need eight rows (the first row has no return).
        _full(8, F.stddev_samp("return_1d").over(last(7)), position).alias("volatility_7"),
        # Fourteen close-to-close changes need fifteen rows; no losses at all is an RSI of 100.
        _full(
            15,
            F.when(average_loss == 0, F.lit(100.0)).otherwise(
                100 - 100 / (1 + F.avg("_gain").over(last(14)) / average_loss)
            ),
            position,
        ).alias("rsi_14"),
        F.when(F.col("_previous_volume") != 0, F.col("volume") / F.col("_previous_volume") - 1).alias(
            "volume_change_1d"
        ),
        ((F.col("high") - F.col("low")) / F.col("close")).alias("high_low_range"),
        F.when(F.col("_next_close").isNotNull(), (F.col("_next_close") > F.col("close")).cast("int")).alias(TARGET),
    )
    return features.select(*OUTPUT_COLUMNS)
