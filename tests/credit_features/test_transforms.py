"""credit_features transforms against SPEC rules, every expected value written out by hand."""

from __future__ import annotations

from decimal import Decimal

from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from datalake import quarantine
from datalake.credit_features import features
from datalake.credit_features.schema import FEATURE_COLUMNS

COLUMNS = (
    "id_cliente", "person_age", "person_income", "person_home_ownership", "person_emp_length",
    "loan_intent", "loan_grade", "loan_amnt", "loan_int_rate", "loan_percent_income",
    "cb_person_default_on_file", "cb_person_cred_hist_length",
)  # fmt: skip
RECORDS_DDL = ", ".join(f"{name} string" for name in (*COLUMNS, "malformed", "source_file")) + ", row_in_file long"
GOOD = {
    "id_cliente": "C1", "person_age": "30", "person_income": "50000", "person_home_ownership": "RENT",
    "person_emp_length": "5", "loan_intent": "EDUCATION", "loan_grade": "B", "loan_amnt": "10000",
    "loan_int_rate": "11.5", "loan_percent_income": "0.2", "cb_person_default_on_file": "N",
    "cb_person_cred_hist_length": "4",
}  # fmt: skip


def records(spark, *rows: dict, source_file: str = "a.csv"):
    """CSV records as `csv_input.read_folder` gives them: GOOD with each row's fields replaced."""
    values = []
    for index, row in enumerate(rows):
        fields = {**GOOD, **{k: v for k, v in row.items() if k in GOOD}}
        values.append((*fields.values(), row.get("malformed"), row.get("source_file", source_file),
                       row.get("row_in_file", index)))  # fmt: skip
    return spark.createDataFrame(values, RECORDS_DDL)


def features_of(spark, *rows: dict):
    accepted, _ = quarantine.split(features.parse(records(spark, *rows)))
    return features.to_features(accepted)


def test_output_columns_are_fixed_and_in_order():
    expected = (
        *COLUMNS,
        "loan_int_rate_imputed", "age_band", "income_band", "emp_length_band", "loan_to_income",
        "person_home_ownership_rent", "person_home_ownership_own", "person_home_ownership_mortgage",
        "person_home_ownership_other", "person_home_ownership_unknown",
        "loan_intent_education", "loan_intent_medical", "loan_intent_venture", "loan_intent_personal",
        "loan_intent_debtconsolidation", "loan_intent_homeimprovement", "loan_intent_unknown",
        "loan_grade_a", "loan_grade_b", "loan_grade_c", "loan_grade_d", "loan_grade_e", "loan_grade_f",
        "loan_grade_g", "loan_grade_unknown",
        "cb_person_default_on_file_y", "cb_person_default_on_file_n", "cb_person_default_on_file_unknown",
        "age_band_18_25", "age_band_26_35", "age_band_36_45", "age_band_46_60", "age_band_61plus",
        "age_band_unknown",
        "income_band_lt25k", "income_band_25k_60k", "income_band_60k_120k", "income_band_120kplus",
        "income_band_unknown",
    )  # fmt: skip
    assert expected == FEATURE_COLUMNS


def test_a_whole_row_cleansed_with_its_types(spark):
    row = {
        "id_cliente": " C9 ", "person_age": " 41.5 ", "person_income": " 1200.5 ",
        "person_home_ownership": " mortgage", "person_emp_length": "", "loan_intent": "homeImprovement ",
        "loan_grade": " b", "loan_amnt": "300",
        "loan_int_rate": "", "loan_percent_income": "0.25", "cb_person_default_on_file": "y",
        "cb_person_cred_hist_length": "3.0",
    }  # fmt: skip
    actual = features_of(spark, row).select(*COLUMNS, "loan_int_rate_imputed", "age_band", "income_band",
                                            "emp_length_band", "loan_to_income")  # fmt: skip
    expected = spark.createDataFrame(
        [("C9", 41.5, Decimal("1200.50"), "MORTGAGE", None, "HOMEIMPROVEMENT", "B", Decimal("300.00"), 11.0, 0.25,
          "Y", 3, True, "36-45", "<25k", "unknown", 0.2499)],
        "id_cliente string, person_age double, person_income decimal(18,2), person_home_ownership string,"
        " person_emp_length double, loan_intent string, loan_grade string, loan_amnt decimal(18,2),"
        " loan_int_rate double, loan_percent_income double, cb_person_default_on_file string,"
        " cb_person_cred_hist_length int, loan_int_rate_imputed boolean, age_band string, income_band string,"
        " emp_length_band string, loan_to_income double",
    )  # fmt: skip
    assertDataFrameEqual(actual, expected, rtol=0, atol=0, checkRowOrder=False)


def test_quarantine_reasons_first_problem_wins_and_empty_is_not_unparseable(spark):
    rows = [
        {"id_cliente": "", "person_age": "abc"},  # the id is checked first
        {"id_cliente": "  "},
        {"id_cliente": "C2", "person_age": "abc"},
        {"id_cliente": "C3", "person_income": "NaN"},
        {"id_cliente": "C4", "loan_int_rate": "Infinity"},
        {"id_cliente": "C5", "loan_amnt": "1,000"},
        {"id_cliente": "C6", "cb_person_cred_hist_length": "3.5"},
        {"id_cliente": "C7", "loan_percent_income": "nan"},
        {"id_cliente": "C8", "person_age": "", "person_income": "", "loan_amnt": " "},  # empty: null, fine
        {"id_cliente": "C9", "malformed": "C9,1,2"},
        {"id_cliente": "C10", "person_emp_length": "1e1"},  # a number, in exponent notation
    ]
    parsed = features.parse(records(spark, *rows)).select("id_cliente", "reason")
    expected = spark.createDataFrame(
        [(None, "missing id_cliente"), (None, "missing id_cliente"), ("C2", "unparseable person_age"),
         ("C3", "unparseable person_income"), ("C4", "unparseable loan_int_rate"), ("C5", "unparseable loan_amnt"),
         ("C6", "unparseable cb_person_cred_hist_length"), ("C7", "unparseable loan_percent_income"), ("C8", None),
         ("C9", "malformed CSV record: not as many fields as the header"), ("C10", None)],
        "id_cliente string, reason string",
    )  # fmt: skip
    assertDataFrameEqual(parsed, expected, checkRowOrder=False)


def test_a_file_with_a_wrong_header_is_quarantined_whole_with_its_problem(spark):
    both = records(spark, {"id_cliente": "C1"}, source_file="good.csv").unionByName(
        records(spark, {"id_cliente": "C2"}, {"id_cliente": "C3"}, source_file="swapped.csv")
    )
    parsed = features.parse(both, {"swapped.csv": "header has the expected columns in another order"})
    expected = spark.createDataFrame(
        [("C1", "good.csv", None), ("C2", "swapped.csv", "header has the expected columns in another order"),
         ("C3", "swapped.csv", "header has the expected columns in another order")],
        "id_cliente string, source_file string, reason string",
    )  # fmt: skip
    assertDataFrameEqual(parsed.select("id_cliente", "source_file", "reason"), expected, checkRowOrder=False)


def test_age_band_of_whole_years_on_inclusive_lower_bounds(spark):
    ages = ["17.9", "18", "25.99", "26", "35.5", "36", "45", "46", "60.9", "61", "100", "100.5", "", "-3"]
    actual = features_of(spark, *({"id_cliente": f"C{i}", "person_age": age} for i, age in enumerate(ages)))
    expected = spark.createDataFrame(
        [("C0", None, "unknown"), ("C1", 18.0, "18-25"), ("C2", 25.99, "18-25"), ("C3", 26.0, "26-35"),
         ("C4", 35.5, "26-35"), ("C5", 36.0, "36-45"), ("C6", 45.0, "36-45"), ("C7", 46.0, "46-60"),
         ("C8", 60.9, "46-60"), ("C9", 61.0, "61+"), ("C10", 100.0, "61+"), ("C11", None, "unknown"),
         ("C12", None, "unknown"), ("C13", None, "unknown")],
        "id_cliente string, person_age double, age_band string",
    )  # fmt: skip
    assertDataFrameEqual(actual.select("id_cliente", "person_age", "age_band"), expected, rtol=0, atol=0,
                         checkRowOrder=False)  # fmt: skip


def test_income_and_employment_bands_on_every_boundary(spark):
    rows = [
        ("C1", "24999.99", "0.99"), ("C2", "25000", "1"), ("C3", "59999.99", "3.99"), ("C4", "60000", "4"),
        ("C5", "119999.99", "7.99"), ("C6", "120000", "8"), ("C7", "", "60"), ("C8", "-0.01", "60.01"),
        ("C9", "0", "-0.5"), ("C10", "0", "0"),
    ]  # fmt: skip
    actual = features_of(
        spark, *({"id_cliente": i, "person_income": inc, "person_emp_length": emp} for i, inc, emp in rows)
    ).select("id_cliente", "person_income", "income_band", "person_emp_length", "emp_length_band")
    expected = spark.createDataFrame(
        [("C1", Decimal("24999.99"), "<25k", 0.99, "<1"), ("C2", Decimal("25000.00"), "25k-60k", 1.0, "1-3"),
         ("C3", Decimal("59999.99"), "25k-60k", 3.99, "1-3"), ("C4", Decimal("60000.00"), "60k-120k", 4.0, "4-7"),
         ("C5", Decimal("119999.99"), "60k-120k", 7.99, "4-7"), ("C6", Decimal("120000.00"), "120k+", 8.0, "8+"),
         ("C7", None, "unknown", 60.0, "8+"), ("C8", None, "unknown", None, "unknown"),
         ("C9", Decimal("0.00"), "<25k", None, "unknown"), ("C10", Decimal("0.00"), "<25k", 0.0, "<1")],
        "id_cliente string, person_income decimal(18,2), income_band string, person_emp_length double,"
        " emp_length_band string",
    )  # fmt: skip
    assertDataFrameEqual(actual, expected, rtol=0, atol=0, checkRowOrder=False)


def test_reference_rate_only_where_the_rate_is_missing_and_the_grade_known(spark):
    rows = [("C1", "a", ""), ("C2", " g ", ""), ("C3", "C", "9.99"), ("C4", "Z", ""), ("C5", "", "")]
    actual = features_of(
        spark, *({"id_cliente": i, "loan_grade": g, "loan_int_rate": r} for i, g, r in rows)
    ).select("id_cliente", "loan_grade", "loan_int_rate", "loan_int_rate_imputed", "loan_grade_a", "loan_grade_g",
             "loan_grade_unknown")  # fmt: skip
    expected = spark.createDataFrame(
        [("C1", "A", 7.5, True, 1, 0, 0), ("C2", "G", 20.0, True, 0, 1, 0), ("C3", "C", 9.99, False, 0, 0, 0),
         ("C4", "Z", None, False, 0, 0, 1), ("C5", None, None, False, 0, 0, 1)],
        "id_cliente string, loan_grade string, loan_int_rate double, loan_int_rate_imputed boolean,"
        " loan_grade_a int, loan_grade_g int, loan_grade_unknown int",
    )  # fmt: skip
    assertDataFrameEqual(actual, expected, rtol=0, atol=0, checkRowOrder=False)


def test_loan_to_income_rounds_half_away_from_zero_on_the_decimal_value(spark):
    rows = [("C1", "123.45", "1000"), ("C2", "1", "32"), ("C3", "2", "3"), ("C4", "5", "0"), ("C5", "5", ""),
            ("C6", "", "10"), ("C7", "1", "-10")]  # fmt: skip
    actual = features_of(
        spark, *({"id_cliente": i, "loan_amnt": loan, "person_income": income} for i, loan, income in rows)
    ).select("id_cliente", "loan_to_income")
    expected = spark.createDataFrame(
        [("C1", 0.1235), ("C2", 0.0313), ("C3", 0.6667), ("C4", None), ("C5", None), ("C6", None), ("C7", None)],
        "id_cliente string, loan_to_income double",
    )  # fmt: skip
    assertDataFrameEqual(actual, expected, rtol=0, atol=0, checkRowOrder=False)


def test_one_hot_of_known_unseen_and_missing_values(spark):
    rows = [
        {"id_cliente": "C1", "person_home_ownership": "own", "loan_intent": "debtconsolidation",
         "cb_person_default_on_file": " n"},
        {"id_cliente": "C2", "person_home_ownership": "CONDO", "loan_intent": "", "cb_person_default_on_file": "x"},
    ]  # fmt: skip
    actual = features_of(spark, *rows).select(
        "id_cliente", "person_home_ownership", "person_home_ownership_own", "person_home_ownership_unknown",
        "loan_intent_debtconsolidation", "loan_intent_unknown", "cb_person_default_on_file_n",
        "cb_person_default_on_file_unknown", "age_band_26_35", "income_band_25k_60k",
    )  # fmt: skip
    expected = spark.createDataFrame(
        [("C1", "OWN", 1, 0, 1, 0, 1, 0, 1, 1), ("C2", "CONDO", 0, 1, 0, 1, 0, 1, 1, 1)],
        "id_cliente string, person_home_ownership string, person_home_ownership_own int,"
        " person_home_ownership_unknown int, loan_intent_debtconsolidation int, loan_intent_unknown int,"
        " cb_person_default_on_file_n int, cb_person_default_on_file_unknown int, age_band_26_35 int,"
        " income_band_25k_60k int",
    )  # fmt: skip
    assertDataFrameEqual(actual, expected, checkRowOrder=False)


def test_each_row_has_exactly_one_hot_value_per_vocabulary(spark):
    row = features_of(spark, {"person_home_ownership": "OTHER", "person_age": ""}).first().asDict()
    for prefix in ("person_home_ownership_", "loan_intent_", "loan_grade_", "cb_person_default_on_file_",
                   "age_band_", "income_band_"):  # fmt: skip
        assert sum(value for name, value in row.items() if name.startswith(prefix) and isinstance(value, int)) == 1


def test_last_row_in_file_order_wins_and_quarantine_comes_first(spark):
    rows = records(
        spark,
        {"id_cliente": "C1", "loan_amnt": "1", "source_file": "a.csv", "row_in_file": 0},
        {"id_cliente": "C1", "loan_amnt": "2", "source_file": "a.csv", "row_in_file": 7},
        {"id_cliente": "C1", "loan_amnt": "3", "source_file": "b.csv", "row_in_file": 1},  # later file beats row id
        {"id_cliente": "C2", "loan_amnt": "4", "source_file": "a.csv", "row_in_file": 2},  # valid, then
        {"id_cliente": "C2", "loan_amnt": "x", "source_file": "a.csv", "row_in_file": 3},  # invalid: valid kept
        {"id_cliente": "C3", "loan_amnt": "x", "source_file": "a.csv", "row_in_file": 4},  # invalid, then
        {"id_cliente": "C3", "loan_amnt": "6", "source_file": "a.csv", "row_in_file": 5},  # valid: valid kept
        {"id_cliente": "c1", "loan_amnt": "7", "source_file": "a.csv", "row_in_file": 6},  # ids are case-sensitive
    )
    accepted, refused = quarantine.split(features.parse(rows))
    latest = features.latest_per_client(accepted).select("id_cliente", F.col("loan_amnt").cast("int"))
    expected = spark.createDataFrame([("C1", 3), ("C2", 4), ("C3", 6), ("c1", 7)], "id_cliente string, loan_amnt int")
    assertDataFrameEqual(latest, expected, checkRowOrder=False)
    assert sorted(r["id_cliente"] for r in refused.collect()) == ["C2", "C3"]


def test_quarantine_keeps_the_record_as_received(spark):
    refused = features.to_quarantine(quarantine.split(features.parse(records(spark, {"person_age": " x "})))[1])
    row = refused.first()
    assert row["reason"] == "unparseable person_age"
    assert row["record"]["person_age"] == " x "
    assert row["source_file"] == "a.csv"
