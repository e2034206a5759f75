"""crypto_ml at 100 symbols x 10 years of days: features rows/s against DuckDB, and training time per model.

    .venv/bin/python benchmarks/crypto_ml.py [--symbols 100] [--days 3650] [--skip-training]
        [--workdir .local/bench/crypto_ml]

One `raw.csv` (random-walk prices from `include.sample_data.crypto_ml`, rows shuffled) is written
once. The features job runs in-process through its `main(argv)` in one SparkSession, warmed up on
a small file first (JVM start-up is not counted). DuckDB, the single-machine yardstick, reads the
same file as text and computes the same features in SQL (parse, quarantine, last row per symbol
and day, the window features, Parquet). Target: Spark / DuckDB <= 3x. Next to it, the same
transforms in Spark without the job's bookkeeping (quarantine file, staging, lock, swap, read-back
counts), to show what the bookkeeping costs. The two outputs are then
compared row for row (an independent implementation of the same rules): every feature's largest
difference and the rows where one is null and the other is not.

Training: the training job's own pieces on the job's output: the time-ordered split, then each
model's fit + test-set scoring + metrics, timed one by one.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import time
from pathlib import Path

os.environ.setdefault("DATAPLATFORM_SPARK_MASTER", "local[2]")
os.environ.setdefault("AWS_ENDPOINT_URL", "")
os.environ.setdefault("SPARK_LOG_LEVEL", "ERROR")

import importlib.util

import duckdb

from datalake import csv_input, quarantine
from datalake.crypto_ml import features, training
from datalake.crypto_ml.schema import FEATURE_COLUMNS, INPUT_COLUMNS
from datalake.session import get_spark
from include.sample_data import crypto_ml as sample

REPO = Path(__file__).resolve().parents[1]
# This file shares the job's module name: load spark_jobs/crypto_features.py by its path.
_SPEC = importlib.util.spec_from_file_location("crypto_features_job", REPO / "spark_jobs" / "crypto_features.py")
job = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(job)
TARGET_RATIO = 3.0

DUCKDB_FEATURES = """
COPY (
WITH raw AS (
  SELECT *, row_number() OVER () AS row_in_file
  FROM read_csv('{input}', all_varchar = true, header = true, quote = '"', escape = '"')
), texts AS (
  SELECT NULLIF(trim(symbol), '') AS symbol, NULLIF(trim(date), '') AS date_text,
         {numbers_text}, row_in_file
  FROM raw
), typed AS (
  SELECT symbol,
         CASE WHEN regexp_full_match(date_text, '\\d{{4}}-\\d{{2}}-\\d{{2}}')
              THEN CAST(try_strptime(date_text, '%Y-%m-%d') AS DATE) END AS date,
         {numbers_typed}, row_in_file
  FROM texts
), latest AS (
  SELECT * FROM typed
  WHERE symbol IS NOT NULL AND date IS NOT NULL AND {numbers_valid}
    AND open > 0 AND high > 0 AND low > 0 AND close > 0 AND volume >= 0
  QUALIFY row_number() OVER (PARTITION BY symbol, date ORDER BY row_in_file DESC) = 1
), steps AS (
  SELECT symbol, date, open, high, low, close, volume,
         row_number() OVER by_date AS position,
         lag(close) OVER by_date AS previous_close,
         lag(close, 7) OVER by_date AS close_7_back,
         lag(volume) OVER by_date AS previous_volume,
         lead(close) OVER by_date AS next_close
  FROM latest WINDOW by_date AS (PARTITION BY symbol ORDER BY date)
), changes AS (
  SELECT *, close / previous_close - 1 AS return_1d,
         greatest(close - previous_close, 0) AS gain, greatest(previous_close - close, 0) AS loss
  FROM steps
)
SELECT symbol, date, open, high, low, close, volume,
       return_1d,
       ln(close / previous_close) AS log_return_1d,
       close / close_7_back - 1 AS return_7d,
       CASE WHEN position >= 7 THEN avg(close) OVER last_7 END AS sma_7,
       CASE WHEN position >= 21 THEN avg(close) OVER last_21 END AS sma_21,
       CASE WHEN position >= 8 THEN stddev_samp(return_1d) OVER last_7 END AS volatility_7,
       CASE WHEN position >= 15 THEN
         CASE WHEN avg(loss) OVER last_14 = 0 THEN 100.0
              ELSE 100 - 100 / (1 + avg(gain) OVER last_14 / avg(loss) OVER last_14) END END AS rsi_14,
       CASE WHEN previous_volume <> 0 THEN volume / previous_volume - 1 END AS volume_change_1d,
       (high - low) / close AS high_low_range,
       CASE WHEN next_close IS NOT NULL THEN CAST(next_close > close AS INTEGER) END AS target_up_next_day
FROM changes
WINDOW by_date AS (PARTITION BY symbol ORDER BY date),
       last_7 AS (PARTITION BY symbol ORDER BY date ROWS BETWEEN 6 PRECEDING AND CURRENT ROW),
       last_14 AS (PARTITION BY symbol ORDER BY date ROWS BETWEEN 13 PRECEDING AND CURRENT ROW),
       last_21 AS (PARTITION BY symbol ORDER BY date ROWS BETWEEN 20 PRECEDING AND CURRENT ROW)
) TO '{output}' (FORMAT parquet)
"""
NUMBERS = ("open", "high", "low", "close", "volume")


def duckdb_sql(input_file: Path, output: Path) -> str:
    return DUCKDB_FEATURES.format(
        input=input_file,
        output=output,
        numbers_text=", ".join(f"NULLIF(trim({n}), '') AS {n}" for n in NUMBERS),
        numbers_typed=", ".join(f"TRY_CAST({n} AS DOUBLE) AS {n}" for n in NUMBERS),
        numbers_valid=" AND ".join(f"isfinite({n})" for n in NUMBERS),
    )


def write_raw(path: Path, symbols: int, days: int) -> int:
    rows = sample.price_rows(symbols, days, seed=11)
    random.Random(3).shuffle(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(sample.HEADER)
        writer.writerows(rows)
    return len(rows)


def timed(function, *args) -> tuple[float, object]:
    started = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - started, result


def transform_only(spark, raw: Path, output: Path) -> None:
    """What DuckDB does, in Spark: read, parse, quarantine split, last row per day, features, Parquet.

    No quarantine output, no staging, locks, swap or read-back counts: the like-for-like figure.
    """
    records = csv_input.read_folder(spark, str(raw), INPUT_COLUMNS, multi_line=False)
    accepted, _ = quarantine.split(features.parse(records))
    rows = features.to_features(features.latest_per_day(accepted))
    rows.write.mode("overwrite").partitionBy("symbol").parquet(str(output))


def compare(spark_output: Path, duck_output: Path) -> list[str]:
    """Per feature: the largest absolute difference and the rows where exactly one side is null."""
    with duckdb.connect() as db:
        joined = (
            f"FROM read_parquet('{spark_output}/*/*.parquet', hive_partitioning = true) s "
            f"FULL JOIN read_parquet('{duck_output}') d ON s.symbol = d.symbol AND s.date = d.date"
        )
        unmatched = db.execute(f"SELECT count(*) {joined} WHERE s.symbol IS NULL OR d.symbol IS NULL").fetchone()[0]
        lines = [f"   rows only on one side: {unmatched}"]
        for name in (*FEATURE_COLUMNS, "target_up_next_day"):
            diff, nulls = db.execute(
                f"SELECT max(abs(s.{name} - d.{name})), count(*) FILTER ((s.{name} IS NULL) <> (d.{name} IS NULL)) "
                f"{joined}"
            ).fetchone()
            lines.append(f"   {name:<20} max |diff| {diff or 0:.3g}   null on one side only: {nulls}")
    return lines


def train_each_model(spark, features_path: Path) -> list[str]:
    features = spark.read.parquet(str(features_path)).persist()
    split_s, split = timed(training.split, features)
    train, test = split.train.persist(), split.test.persist()
    rows = (train.count(), test.count())
    lines = [f"   split {split_s:6.1f} s   train {rows[0]:,} rows, test {rows[1]:,} rows, from {split.test_start_date}"]
    for name, pipeline in training.pipelines(seed=42).items():
        fit_s, model = timed(pipeline.fit, train)
        score_s, metrics = timed(lambda m=model: training.metrics(m.transform(test)))
        lines.append(f"   {name:<24} fit {fit_s:6.1f} s   score + metrics {score_s:5.1f} s   ROC AUC "
                     f"{metrics['roc_auc']:.3f}")  # fmt: skip
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=100)
    parser.add_argument("--days", type=int, default=3650)
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument("--workdir", type=Path, default=REPO / ".local" / "bench" / "crypto_ml")
    args = parser.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    spark = get_spark("bench_crypto_ml")
    warm = args.workdir / "warm"
    write_raw(warm / "raw.csv", 3, 100)
    job.main(["--input_path", str(warm / "raw.csv"), "--output_path", str(warm / "out")])

    raw = args.workdir / "raw.csv"
    rows = write_raw(raw, args.symbols, args.days)
    size_mb = raw.stat().st_size / 1e6
    spark_out, duck_out = args.workdir / "spark_features", args.workdir / "duck_features.parquet"
    spark_s, counts = timed(job.main, ["--input_path", str(raw), "--output_path", str(spark_out)])
    duck_s, _ = timed(lambda: duckdb.execute(duckdb_sql(raw, duck_out)))
    plain_s, _ = timed(transform_only, spark, raw, args.workdir / "spark_plain")
    ratio = spark_s / duck_s
    print(f"crypto_features: {args.symbols} symbols x {args.days} days = {rows:,} rows ({size_mb:.0f} MB); "
          f"local[2], driver {os.environ.get('SPARK_DRIVER_MEMORY', '2g')}")  # fmt: skip
    print(f"   written {counts['written']:,}, quarantined {counts['quarantined']:,}")
    print(f"   Spark job    {spark_s:7.1f} s  {rows / spark_s:>10,.0f} rows/s")
    print(f"   DuckDB       {duck_s:7.1f} s  {rows / duck_s:>10,.0f} rows/s")
    print(f"   ratio        {ratio:7.2f}x  target <= {TARGET_RATIO:g}x  {'PASS' if ratio <= TARGET_RATIO else 'FAIL'}")
    plain_ratio = plain_s / duck_s
    print(
        f"   Spark transforms only (what DuckDB does: no quarantine file, staging, swap or counts) {plain_s:.1f} s, "
        f"{rows / plain_s:,.0f} rows/s, {plain_ratio:.2f}x DuckDB"
    )
    print("Spark's features against DuckDB's, row for row:")
    print("\n".join(compare(spark_out, duck_out)))
    if not args.skip_training:
        print(f"crypto_training's models on those {counts['written']:,} feature rows:")
        print("\n".join(train_each_model(spark, spark_out)))


if __name__ == "__main__":
    main()
