"""credit_features through its command line, as Glue runs it, on files written the ways producers write them.

One scenario (Spark runs are shared): day 2025-10-29 holds a CRLF file with a byte-order mark, a
quoted multi-line field, padded and quoted values and an odd name; a second file that repeats a
client; a file whose header has the columns in another order; an empty and a header-only file;
files that are not data. Days 28 and 30 were written before and must not be read or touched.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.jobs import GLUE_ARGS, one_error_line, run, run_in_process, succeeded

pytestmark = pytest.mark.slow

HEADER = (
    "id_cliente,person_age,person_income,person_home_ownership,person_emp_length,loan_intent,loan_grade,"
    "loan_amnt,loan_int_rate,loan_percent_income,cb_person_default_on_file,cb_person_cred_hist_length"
)
FIRST = (
    "\ufeff" + HEADER + "\r\n"
    'C1,25,"59,000",rent,3,EDUCATION,B,10000,,0.17,N,3\r\n'  # a quoted comma: unparseable income
    'C2," 30 ",60000, own ,"10",MEDICAL,A," 12000.5 ",7.9,0.2,Y,5\r\n'
    'C3,40,80000,MORTGAGE,2,"HOME\r\nIMPROVEMENT",C,5000,13.1,0.06,N,8\r\n'  # a line break inside quotes (read as \n)
    'C4,50,"",OTHER,,VENTURE,D,2500,,0.1,N,12\r\n'
    'C5, "61" ,130000,RENT,8,PERSONAL,E,1000,17.2,0.01,N,20\r\n'  # spaces outside the quotes
    ",33,40000,RENT,1,EDUCATION,A,100,7,0.1,N,2\r\n"
)
SECOND = (
    HEADER + "\n"
    "C2,31,61000,OWN,11,MEDICAL,A,12000,8.1,0.2,Y,5\n"  # the later file: this C2 wins
    "C6,22,24000,RENT,0.5,EDUCATION,F\n"  # too few fields
    "C7,45,100000,RENT,abc,EDUCATION,G,1000,19,0.01,N,3\n"
)
SWAPPED = (
    "person_age,id_cliente" + HEADER.removeprefix("id_cliente,person_age") + "\n30,C8,1,RENT,1,MEDICAL,A,1,1,1,N,1\n"
)
NEIGHBOUR = HEADER + "\nN1,30,50000,RENT,5,EDUCATION,B,10000,11.5,0.2,N,4\n"


def write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(text.encode("utf-8"))


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    root = tmp_path_factory.mktemp("credit")
    day = root / "transient" / "anomesdia=20251029"
    write(day, "01 a+b [é].csv", FIRST)
    write(day, "02.csv", SECOND)
    write(day, "03 swapped.csv", SWAPPED)
    write(day, "04 empty.csv", "")
    write(day, "05 header only.csv", HEADER + "\r\n")
    write(day, "notes.txt", "not data")
    write(day, "_SUCCESS", "")
    for neighbour in ("20251028", "20251030"):
        write(root / "transient" / f"anomesdia={neighbour}", "n.csv", NEIGHBOUR)
    return root


def args(root: Path, day: str = "20251029", *extra: str) -> list[str]:
    return ["--input_path", str(root / "transient"), "--output_path", str(root / "gold"), "--anomesdia", day, *extra]


def table(path: Path) -> list[dict]:
    return sorted(pq.read_table(path).to_pylist(), key=lambda row: row["id_cliente"])


def snapshot(partition: Path) -> list[tuple[str, int]]:
    return sorted((file.name, file.stat().st_mtime_ns) for file in partition.iterdir())


@pytest.fixture(scope="module")
def first_run(lake):
    for neighbour in ("20251028", "20251030"):
        run_in_process("credit_features.py", *args(lake, neighbour))
    before = {day: snapshot(lake / "gold" / f"anomesdia={day}") for day in ("20251028", "20251030")}
    result = succeeded(run("credit_features.py", *args(lake), *GLUE_ARGS))
    counts = json.loads((lake / "gold" / "_counts" / "20251029T000000Z_20251030T000000Z.json").read_text())
    return {"before": before, "counts": counts, "rows": table(lake / "gold" / "anomesdia=20251029"), "log": result}


def test_the_day_is_read_cleansed_and_deduplicated(first_run):
    picked = [
        {k: row[k] for k in ("id_cliente", "person_age", "person_home_ownership", "loan_intent", "loan_amnt",
                              "loan_int_rate", "loan_int_rate_imputed", "income_band")}
        for row in first_run["rows"]
    ]  # fmt: skip
    from decimal import Decimal

    assert picked == [
        {"id_cliente": "C2", "person_age": 31.0, "person_home_ownership": "OWN", "loan_intent": "MEDICAL",
         "loan_amnt": Decimal("12000.00"), "loan_int_rate": 8.1, "loan_int_rate_imputed": False,
         "income_band": "60k-120k"},
        {"id_cliente": "C3", "person_age": 40.0, "person_home_ownership": "MORTGAGE",
         "loan_intent": "HOME\nIMPROVEMENT", "loan_amnt": Decimal("5000.00"), "loan_int_rate": 13.1,
         "loan_int_rate_imputed": False, "income_band": "60k-120k"},
        {"id_cliente": "C4", "person_age": 50.0, "person_home_ownership": "OTHER", "loan_intent": "VENTURE",
         "loan_amnt": Decimal("2500.00"), "loan_int_rate": 15.5, "loan_int_rate_imputed": True,
         "income_band": "unknown"},
        {"id_cliente": "C5", "person_age": 61.0, "person_home_ownership": "RENT", "loan_intent": "PERSONAL",
         "loan_amnt": Decimal("1000.00"), "loan_int_rate": 17.2, "loan_int_rate_imputed": False,
         "income_band": "120k+"},
    ]  # fmt: skip
    c3 = first_run["rows"][1]
    assert (c3["loan_intent_homeimprovement"], c3["loan_intent_unknown"]) == (0, 1)


def test_counts_balance_and_name_every_reason(first_run):
    counts = first_run["counts"]
    assert {k: counts[k] for k in ("files_read", "read", "written", "quarantined", "superseded", "replaced")} == {
        "files_read": 5, "read": 10, "written": 4, "quarantined": 5, "superseded": 1, "replaced": 0,
    }  # fmt: skip
    assert counts["quarantine_reasons"] == {
        "header has the expected columns in another order": 1,
        "malformed CSV record: not as many fields as the header": 1,
        "missing id_cliente": 1,
        "unparseable person_emp_length": 1,
        "unparseable person_income": 1,
    }
    assert counts["files_with_header_problems"] == {
        "03 swapped.csv": "header has the expected columns in another order"
    }
    assert "quarantine_reasons" in first_run["log"].stdout


def test_quarantine_holds_each_refused_record_with_its_reason(lake, first_run):
    files = (lake / "gold" / "_quarantine" / "anomesdia=20251029").glob("*.json")
    refused = sorted(
        (json.loads(line) for f in files for line in f.read_text().splitlines()), key=lambda r: r["reason"]
    )
    assert [(r["reason"], r["source_file"], r["record"].get("id_cliente")) for r in refused] == [
        ("header has the expected columns in another order", "03 swapped.csv", "30"),
        ("malformed CSV record: not as many fields as the header", "02.csv", "C6"),
        ("missing id_cliente", "01 a+b [é].csv", None),
        ("unparseable person_emp_length", "02.csv", "C7"),
        ("unparseable person_income", "01 a+b [é].csv", "C1"),
    ]


def test_a_rerun_gives_the_same_day_and_leaves_the_neighbours_alone(lake, first_run):
    counts = run_in_process("credit_features.py", *args(lake))
    assert table(lake / "gold" / "anomesdia=20251029") == first_run["rows"]
    assert (counts["written"], counts["replaced"], counts["quarantined"]) == (4, 4, 5)
    for day, files in first_run["before"].items():
        assert snapshot(lake / "gold" / f"anomesdia={day}") == files, f"day {day} was touched"
    assert [row["id_cliente"] for row in table(lake / "gold" / "anomesdia=20251028")] == ["N1"]
    manifest = json.loads((lake / "gold" / "_manifests" / "20251029T000000Z_20251030T000000Z.json").read_text())
    assert manifest["partitions"] == [{"anomesdia": "20251029"}]
    assert manifest["partition_keys"] == [{"Name": "anomesdia", "Type": "string"}]
    assert len(manifest["columns"]) == 12 + 5 + 34  # input, derived, one-hot


def test_a_day_of_only_empty_files_is_a_run_with_zero_rows(lake):
    write(lake / "transient" / "anomesdia=20251101", "empty.csv", "")
    write(lake / "transient" / "anomesdia=20251101", "header.csv", HEADER + "\n")
    counts = run_in_process("credit_features.py", *args(lake, "20251101"))
    assert (counts["read"], counts["written"], counts["quarantined"], counts["files_read"]) == (0, 0, 0, 2)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--anomesdia", "2025-10-29"], "--anomesdia '2025-10-29' is not a day as YYYYMMDD"),
        (["--anomesdia", "2025101"], "--anomesdia '2025101' is not a day as YYYYMMDD"),
        (["--anomesdia", "20251032"], "--anomesdia '20251032' is not a day as YYYYMMDD"),
        (["--anomesdia", "20251029", "--outptu_path", "x"], "unknown argument --outptu_path (did you mean"),
    ],
)  # fmt: skip
def test_bad_arguments_get_one_line(tmp_path, argv, message):
    base = ["--input_path", str(tmp_path), "--output_path", str(tmp_path / "out")]
    assert message in one_error_line(run("credit_features.py", *base, *argv))


def test_a_missing_day_is_an_error_not_an_empty_day(lake):
    from datalake.cli import JobError

    with pytest.raises(JobError, match=r"no input for anomesdia=20251231: .*anomesdia=20251231 does not exist"):
        run_in_process("credit_features.py", *args(lake, "20251231"))
    with pytest.raises(JobError, match=r"--input_path .*nowhere does not exist"):
        run_in_process("credit_features.py", "--input_path", str(lake / "nowhere"), "--output_path", "o",
                       "--anomesdia", "20251029")  # fmt: skip
