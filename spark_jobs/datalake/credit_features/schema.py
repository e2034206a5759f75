"""The input columns, the fixed vocabularies and the output columns of credit_features.

The vocabularies are fixed here, never learned from a day's data, so every day's partition has
the same columns in the same order (a model trained on one day reads any other).
"""

from __future__ import annotations

import re

from pyspark.sql import types as T

INPUT_COLUMNS = (
    "id_cliente", "person_age", "person_income", "person_home_ownership", "person_emp_length",
    "loan_intent", "loan_grade", "loan_amnt", "loan_int_rate", "loan_percent_income",
    "cb_person_default_on_file", "cb_person_cred_hist_length",
)  # fmt: skip
CATEGORICAL = ("person_home_ownership", "loan_intent", "loan_grade", "cb_person_default_on_file")
MONEY = T.DecimalType(18, 2)
# The numeric input columns and the type each is stored as (money is decimal, never float).
NUMBERS = {
    "person_age": T.DoubleType(),  # ages may be fractional; the band uses the whole years
    "person_income": MONEY,
    "person_emp_length": T.DoubleType(),
    "loan_amnt": MONEY,
    "loan_int_rate": T.DoubleType(),
    "loan_percent_income": T.DoubleType(),
    "cb_person_cred_hist_length": T.IntegerType(),  # whole years: `3.0` is 3, `3.5` is not a value
}
# Out of these ranges a value is an entry error and becomes null (None: no bound).
VALID_RANGES = {
    "person_age": (18, 100),
    "person_emp_length": (0, 60),
    "person_income": (0, None),
    "loan_amnt": (0, None),
}
REFERENCE_RATES = {"A": 7.5, "B": 11.0, "C": 13.5, "D": 15.5, "E": 17.0, "F": 18.5, "G": 20.0}
UNKNOWN = "unknown"
# (label, inclusive lower bound), ascending; the first band has no lower bound unless one is given.
AGE_BANDS = (("18-25", 18), ("26-35", 26), ("36-45", 36), ("46-60", 46), ("61+", 61))
INCOME_BANDS = (("<25k", None), ("25k-60k", 25_000), ("60k-120k", 60_000), ("120k+", 120_000))
EMP_LENGTH_BANDS = (("<1", None), ("1-3", 1), ("4-7", 4), ("8+", 8))
ONE_HOT_VOCABULARIES = {
    "person_home_ownership": ("RENT", "OWN", "MORTGAGE", "OTHER"),
    "loan_intent": ("EDUCATION", "MEDICAL", "VENTURE", "PERSONAL", "DEBTCONSOLIDATION", "HOMEIMPROVEMENT"),
    "loan_grade": tuple(REFERENCE_RATES),
    "cb_person_default_on_file": ("Y", "N"),
    "age_band": tuple(label for label, _ in AGE_BANDS),
    "income_band": tuple(label for label, _ in INCOME_BANDS),
}
PARTITION = "anomesdia"


def one_hot_name(column: str, value: str) -> str:
    """`age_band`, `61+` -> `age_band_61plus`; `income_band`, `25k-60k` -> `income_band_25k_60k`."""
    spelled = value.lower().replace("<", "lt").replace("+", "plus")
    return f"{column}_{re.sub(r'[^a-z0-9]+', '_', spelled)}"


def one_hot_columns() -> list[tuple[str, str, str | None]]:
    """(output column, source column, value; None for `<column>_unknown`), in output order."""
    columns = []
    for source, vocabulary in ONE_HOT_VOCABULARIES.items():
        columns += [(one_hot_name(source, value), source, value) for value in vocabulary]
        columns.append((f"{source}_{UNKNOWN}", source, None))
    return columns


DERIVED_COLUMNS = ("loan_int_rate_imputed", "age_band", "income_band", "emp_length_band", "loan_to_income")
FEATURE_COLUMNS = (*INPUT_COLUMNS, *DERIVED_COLUMNS, *(name for name, _, _ in one_hot_columns()))
