"""credit_features transforms: CSV records (strings) -> typed, quarantined, de-duplicated -> features.

    records --parse--> typed rows + `reason`  --split--> refused -> to_quarantine
                                                      \\-> accepted -> latest_per_client -> to_features

Each step is a pure `DataFrame -> DataFrame` function; the job (`spark_jobs/credit_features.py`)
does the reading and writing.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from datalake.columns import trimmed
from datalake.credit_features.schema import (
    AGE_BANDS,
    CATEGORICAL,
    EMP_LENGTH_BANDS,
    FEATURE_COLUMNS,
    INCOME_BANDS,
    INPUT_COLUMNS,
    NUMBERS,
    ONE_HOT_VOCABULARIES,
    REFERENCE_RATES,
    UNKNOWN,
    VALID_RANGES,
    one_hot_columns,
)
from datalake.csv_input import MALFORMED, ROW_IN_FILE, SOURCE_FILE
from datalake.quarantine import REASON, first_reason

RECORD = "record"  # the input fields as received, kept in the quarantine
QUARANTINE_COLUMNS = (REASON, SOURCE_FILE, RECORD, MALFORMED)


def _text(name: str) -> Column:
    """The field trimmed, blank as null (padding outside quotes is the CSV reader's to drop)."""
    value = trimmed(F.col(name))
    return F.when(value != "", value)


def _parsed(name: str, data_type: T.DataType) -> Column:
    """The text as a number of `data_type`, or null when it is not one (NaN and Infinity are not numbers)."""
    text = f"`{name}`"
    if isinstance(data_type, T.DecimalType):
        return F.expr(f"try_cast({text} AS {data_type.simpleString()})")
    number = F.expr(f"try_cast({text} AS double)")
    finite = ~F.isnan(number) & (F.abs(number) < float("inf"))
    if isinstance(data_type, T.IntegerType):
        whole = finite & (number == F.floor(number)) & (F.abs(number) <= 2**31 - 1)
        return F.when(whole, number.cast("int"))
    return F.when(finite, number)


def parse(records: DataFrame, header_problems: dict[str, str] | None = None) -> DataFrame:
    """Typed columns and `reason` (null for a good row). `header_problems`: {file name: why its header is wrong}."""
    texts = records.select(
        F.struct(*INPUT_COLUMNS).alias(RECORD),
        MALFORMED,
        SOURCE_FILE,
        ROW_IN_FILE,
        *(_text(name).alias(name) for name in INPUT_COLUMNS),
    )
    problems = header_problems or {}
    checks = [
        *(F.when(F.col(SOURCE_FILE) == name, F.lit(problem)) for name, problem in sorted(problems.items())),
        F.when(F.col(MALFORMED).isNotNull(), F.lit("malformed CSV record: not as many fields as the header")),
        F.when(F.col("id_cliente").isNull(), F.lit("missing id_cliente")),
        *(
            F.when(F.col(name).isNotNull() & _parsed(name, data_type).isNull(), F.lit(f"unparseable {name}"))
            for name, data_type in NUMBERS.items()
        ),
    ]
    return texts.withColumns(
        {REASON: first_reason(*checks), **{name: _parsed(name, data_type) for name, data_type in NUMBERS.items()}}
    )


def to_quarantine(refused: DataFrame) -> DataFrame:
    return refused.select(*QUARANTINE_COLUMNS)


def latest_per_client(accepted: DataFrame) -> DataFrame:
    """One row per `id_cliente`: the last in file order (files in key order, rows in file order)."""
    last_first = Window.partitionBy("id_cliente").orderBy(F.desc(SOURCE_FILE), F.desc(ROW_IN_FILE))
    return (
        accepted.withColumn("_position", F.row_number().over(last_first))
        .where(F.col("_position") == 1)
        .drop("_position")
    )


def _in_range(name: str) -> Column:
    low, high = VALID_RANGES[name]
    value = F.col(name)
    valid = value >= low if high is None else value.between(low, high)
    return F.when(valid, value)


def band(value: Column, bands: Sequence[tuple[str, int | None]]) -> Column:
    """The label of the highest band whose (inclusive) lower bound `value` reaches; null -> `unknown`."""
    chosen = F.when(value.isNull(), F.lit(UNKNOWN))
    for label, lower in reversed(bands):
        chosen = chosen.when(value >= lower, F.lit(label)) if lower is not None else chosen.otherwise(F.lit(label))
    return chosen


def cleansed(rows: DataFrame) -> DataFrame:
    """Categories trimmed and upper-case; impossible ages, employment lengths and negative money as null."""
    return rows.withColumns(
        {
            **{name: F.upper(F.col(name)) for name in CATEGORICAL},
            **{name: _in_range(name) for name in VALID_RANGES},
        }
    )


def with_reference_rate(rows: DataFrame) -> DataFrame:
    """A missing `loan_int_rate` is its grade's reference rate, flagged; without a known grade it stays null."""
    reference = F.element_at(
        F.create_map(*(F.lit(x) for grade, rate in REFERENCE_RATES.items() for x in (grade, rate))),
        F.col("loan_grade"),
    )
    known_grade = F.coalesce(F.col("loan_grade").isin(*REFERENCE_RATES), F.lit(False))  # null grade: not known
    imputed = F.col("loan_int_rate").isNull() & known_grade
    return rows.withColumns(
        {
            "loan_int_rate": F.coalesce(F.col("loan_int_rate"), F.when(imputed, reference)),
            "loan_int_rate_imputed": imputed,
        }
    )


def with_bands(rows: DataFrame) -> DataFrame:
    income = F.col("person_income")
    return rows.withColumns(
        {
            "age_band": band(F.col("person_age").cast("int"), AGE_BANDS),  # whole years: 25.9 is 25
            "income_band": band(income, INCOME_BANDS),
            "emp_length_band": band(F.col("person_emp_length"), EMP_LENGTH_BANDS),
            # Decimal division rounded half away from zero, then the double nearest that decimal.
            "loan_to_income": F.when(
                income.isNotNull() & (income != 0), F.round(F.col("loan_amnt") / income, 4).cast("double")
            ),
        }
    )


def with_one_hot(rows: DataFrame) -> DataFrame:
    """0/1 for each value of each fixed vocabulary, and `<column>_unknown` for null or unseen values."""
    columns = {}
    for name, source, value in one_hot_columns():
        if value is None:
            hit = F.col(source).isNull() | ~F.col(source).isin(*ONE_HOT_VOCABULARIES[source])
        else:
            hit = F.col(source) == value
        columns[name] = F.when(hit, 1).otherwise(0)
    return rows.withColumns(columns)


def to_features(rows: DataFrame) -> DataFrame:
    """The output rows, in the output's column order (the select is the schema contract)."""
    return (
        rows.transform(cleansed)
        .transform(with_reference_rate)
        .transform(with_bands)
        .transform(with_one_hot)
        .select(*FEATURE_COLUMNS)
    )
