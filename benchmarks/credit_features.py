"""credit_features at 1M and 5M rows: rows/s of the job against DuckDB doing the same work on the same files.

    .venv/bin/python benchmarks/credit_features.py [--rows 1000000,5000000] [--files 1] [--repeat 1]
        [--workdir .local/bench/credit_features] [--keep]

The day's CSV (realistic rows from `include.sample_data.credit_features`, 1% duplicates, a few bad
rows) is written once per size as `--files` files. The job runs in-process through its `main(argv)`
in one SparkSession, warmed up on a small day first (JVM start-up is not counted). DuckDB, the
single-machine yardstick, reads the same files as text and does the same work: trim and parse,
quarantine with reasons (to JSON), last row per client in file order, bands, the reference rate,
one-hot columns, Parquet. Target: Spark / DuckDB <= 3x at 5M rows. Where the job's time goes is
printed next to it: the CSV scan alone, parse + quarantine, and the rest (de-duplication, features,
writes, swap, read-back counts).
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from pathlib import Path

os.environ.setdefault("DATAPLATFORM_SPARK_MASTER", "local[2]")
os.environ.setdefault("AWS_ENDPOINT_URL", "")
os.environ.setdefault("SPARK_LOG_LEVEL", "ERROR")

import importlib.util

import duckdb

from datalake import csv_input, quarantine
from datalake.credit_features import features
from datalake.credit_features.schema import (
    AGE_BANDS,
    CATEGORICAL,
    EMP_LENGTH_BANDS,
    INCOME_BANDS,
    INPUT_COLUMNS,
    NUMBERS,
    REFERENCE_RATES,
    VALID_RANGES,
    one_hot_columns,
)
from datalake.session import get_spark
from include.sample_data import credit_features as sample

REPO = Path(__file__).resolve().parents[1]
# This file shares the job's module name: load spark_jobs/credit_features.py by its path.
_SPEC = importlib.util.spec_from_file_location("credit_features_job", REPO / "spark_jobs" / "credit_features.py")
job = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(job)
DAY = "20251029"
TARGET_RATIO = 3.0
BASE_ROWS = 100_000  # generated once; larger days are copies with new ids (and 1% repeated clients)


def write_day(folder: Path, rows: int, files: int) -> None:
    """`rows` records in `files` CSV files under `folder/anomesdia=DAY/`."""
    day = folder / f"anomesdia={DAY}"
    day.mkdir(parents=True, exist_ok=True)
    header, *body = sample.generate(BASE_ROWS, seed=5, bad=True).split("\r\n")
    body = [line for line in body if line]
    per_file = -(-rows // files)
    written = 0
    for index in range(files):
        with open(day / f"credit_{index:03d}.csv", "w", encoding="utf-8", newline="") as out:
            out.write(header + "\r\n")
            count = min(per_file, rows - written)
            for position in range(written, written + count):
                copy, offset = divmod(position, len(body))
                # Ids of copy k get prefix CLIk-; every 100th line repeats a client of the copy before (a duplicate).
                prefix = f"CLI{copy - 1 if copy and position % 100 == 0 else copy}-"
                out.write(body[offset].replace("CLI-", prefix, 1) + "\r\n")
            written += count


def _number_sql(name: str) -> str:
    kind = NUMBERS[name].simpleString()
    if kind.startswith("decimal"):
        return f"TRY_CAST({name} AS {kind.upper()})"
    value = f"TRY_CAST({name} AS DOUBLE)"
    finite = f"isfinite({value})"
    if kind == "int":
        return f"CASE WHEN {finite} AND {value} = floor({value}) THEN CAST({value} AS INTEGER) END"
    return f"CASE WHEN {finite} THEN {value} END"


def _band_sql(value: str, bands) -> str:
    cases = " ".join(f"WHEN {value} >= {lower} THEN '{label}'" for label, lower in reversed(bands) if lower is not None)
    fallback = next((f"'{label}'" for label, lower in bands if lower is None), "NULL")
    return f"CASE WHEN {value} IS NULL THEN 'unknown' {cases} ELSE {fallback} END"


def duckdb_job(day: Path, out: Path) -> None:
    texts = ", ".join(
        f"NULLIF(trim(regexp_replace(trim({c}), '^\"(.*)\"$', '\\1', 's')), '') AS {c}" for c in INPUT_COLUMNS
    )
    checks = " ".join(
        [
            "WHEN id_cliente IS NULL THEN 'missing id_cliente'",
            *(f"WHEN {c} IS NOT NULL AND {_number_sql(c)} IS NULL THEN 'unparseable {c}'" for c in NUMBERS),
        ]
    )
    typed = ", ".join(f"{_number_sql(c)} AS {c}" if c in NUMBERS else c for c in INPUT_COLUMNS)
    cleansed = {c: f"upper({c})" for c in CATEGORICAL}
    for name, (low, high) in VALID_RANGES.items():
        cleansed[name] = (
            f"CASE WHEN {name} {'>= ' + str(low) if high is None else f'BETWEEN {low} AND {high}'} THEN {name} END"
        )
    rates = " ".join(f"WHEN '{grade}' THEN {rate}" for grade, rate in REFERENCE_RATES.items())
    grades = ", ".join(f"'{g}'" for g in REFERENCE_RATES)
    one_hot = []
    for name, source, value in one_hot_columns():
        if value is None:
            vocabulary = ", ".join(f"'{v}'" for _, s, v in one_hot_columns() if s == source and v is not None)
            one_hot.append(f"CASE WHEN {source} IS NULL OR {source} NOT IN ({vocabulary}) THEN 1 ELSE 0 END AS {name}")
        else:
            one_hot.append(f"CASE WHEN {source} = '{value}' THEN 1 ELSE 0 END AS {name}")
    select_cleansed = ", ".join(f"{cleansed.get(c, c)} AS {c}" for c in INPUT_COLUMNS)
    with duckdb.connect() as db:
        db.execute("SET preserve_insertion_order = true")
        db.execute(
            f"CREATE TEMP TABLE parsed AS SELECT *, CASE {checks} END AS reason FROM ("
            f" SELECT {texts}, filename AS source_file, row_number() OVER () AS row_in_file"
            f" FROM read_csv('{day}/*.csv', all_varchar = true, header = true, filename = true, quote = '\"',"
            f" escape = '\"', store_rejects = true))"
        )
        db.execute(f"COPY (SELECT * FROM parsed WHERE reason IS NOT NULL) TO '{out}/quarantine.json' (FORMAT json)")
        # Records of the wrong width: DuckDB keeps them aside (store_rejects), the job quarantines them.
        db.execute(f"COPY (SELECT * FROM reject_errors) TO '{out}/malformed.json' (FORMAT json)")
        db.execute(
            f"COPY (WITH latest AS (SELECT {typed} FROM parsed WHERE reason IS NULL"
            f"  QUALIFY row_number() OVER (PARTITION BY id_cliente ORDER BY source_file DESC, row_in_file DESC) = 1),"
            f" clean AS (SELECT {select_cleansed} FROM latest),"
            f" rated AS (SELECT * REPLACE (coalesce(loan_int_rate, CASE loan_grade {rates} END) AS loan_int_rate),"
            f"  loan_int_rate IS NULL AND coalesce(loan_grade IN ({grades}), false) AS loan_int_rate_imputed"
            f"  FROM clean),"
            f" banded AS (SELECT *, {_band_sql('CAST(trunc(person_age) AS INTEGER)', AGE_BANDS)} AS age_band,"
            f"  {_band_sql('person_income', INCOME_BANDS)} AS income_band,"
            f"  {_band_sql('person_emp_length', EMP_LENGTH_BANDS)} AS emp_length_band,"
            f"  CASE WHEN person_income <> 0 THEN CAST(round(loan_amnt / person_income, 4) AS DOUBLE) END"
            f"  AS loan_to_income"
            f"  FROM rated)"
            f" SELECT *, {', '.join(one_hot)} FROM banded) TO '{out}/features.parquet' (FORMAT parquet)"
        )


def timed(function, *args) -> tuple[float, object]:
    started = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - started, result


def breakdown(spark, day_folder: str) -> dict[str, float]:
    records = csv_input.read_folder(spark, day_folder, INPUT_COLUMNS)
    scan, _ = timed(lambda: records.write.format("noop").mode("overwrite").save())
    parse, _ = timed(lambda: quarantine.reason_counts(features.parse(records)))
    return {"CSV scan": scan, "parse + quarantine reasons": parse}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1000000,5000000")
    parser.add_argument("--files", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=REPO / ".local" / "bench" / "credit_features")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    sizes = [int(size) for size in args.rows.split(",")]
    spark = get_spark("bench_credit_features")
    shutil.rmtree(args.workdir, ignore_errors=True)
    warm = args.workdir / "warm"
    write_day(warm / "in", 5_000, 1)
    job.main(["--input_path", str(warm / "in"), "--output_path", str(warm / "out"), "--anomesdia", DAY])

    print(f"credit_features, {args.files} file(s) per day, best of {args.repeat}; local[2], driver "
          f"{os.environ.get('SPARK_DRIVER_MEMORY', '2g')}")  # fmt: skip
    ratio = None
    for rows in sizes:
        base = args.workdir / f"rows_{rows}"
        write_day(base / "in", rows, args.files)
        size_mb = sum(f.stat().st_size for f in (base / "in" / f"anomesdia={DAY}").iterdir()) / 1e6
        spark_s, duck_s = [], []
        for attempt in range(args.repeat):
            out = base / f"out_{attempt}"
            seconds, counts = timed(job.main, ["--input_path", str(base / "in"), "--output_path", str(out),
                                              "--anomesdia", DAY])  # fmt: skip
            spark_s.append(seconds)
            duck_out = base / f"duck_{attempt}"
            duck_out.mkdir()
            duck_s.append(timed(duckdb_job, base / "in" / f"anomesdia={DAY}", duck_out)[0])
        best_spark, best_duck = min(spark_s), min(duck_s)
        ratio = best_spark / best_duck
        print(f"\n{rows:>9,} rows ({size_mb:.0f} MB): written {counts['written']:,}, quarantined "
              f"{counts['quarantined']:,}, superseded {counts['superseded']:,}")  # fmt: skip
        print(f"   Spark job    {best_spark:7.1f} s  {rows / best_spark:>10,.0f} rows/s")
        print(f"   DuckDB       {best_duck:7.1f} s  {rows / best_duck:>10,.0f} rows/s")
        print(f"   ratio        {ratio:7.2f}x  target <= {TARGET_RATIO:g}x at 5M  "
              f"{'PASS' if ratio <= TARGET_RATIO else 'FAIL'}")  # fmt: skip
        parts = breakdown(spark, str(base / "in" / f"anomesdia={DAY}"))
        for name, seconds in parts.items():
            print(f"   where: {name:30} {seconds:6.1f} s ({seconds / best_spark:4.0%} of the job)")
        rest = best_spark - sum(parts.values())
        print(f"   where: {'the rest (dedup, features, writes)':30} {rest:6.1f} s ({rest / best_spark:4.0%})")
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    spark.stop()


if __name__ == "__main__":
    main()
