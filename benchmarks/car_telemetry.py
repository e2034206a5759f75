"""car_telemetry jobs at scale, on local files: throughput and where it goes, hourly cost against history,
DuckDB yardsticks, and peak memory against landing-file size.

    .venv/bin/python benchmarks/car_telemetry.py [--records 1000000] [--records-per-file 1000] [--cars 50000]
        [--history-days 30] [--hourly-records 20000] [--repeat 2] [--job-limit 420]
        [--memory-sizes 1,50,500] [--skip-memory] [--workdir .local/bench/car_telemetry] [--keep]

The jobs run in-process through their `main(argv)` in one SparkSession, warmed up on a small hour
before any timing (JVM start-up is not counted). Compared figures are the best of --repeat runs
taken in alternation, so both sides see the same noise. In one run:
1. bronze over `--records` landing records of one hour (JSON arrays of --records-per-file records,
   a few refused records and two unreadable files, 0.5% late readings of the day before) against
   DuckDB reading the same files with the same declared schema and writing the same ingest-hour
   partitioned Parquet (target Spark / DuckDB <= 5x). A job past --job-limit s is cancelled;
2. where bronze's time goes: listing, scan (records to a `noop` sink), parse, and the rest (staging
   writes, swap, read-back counts) as the job's total minus those;
3. silver over that bronze hour, empty silver;
4. one hourly silver run (`--hourly-records` new records of the latest day) against a fresh copy of a
   silver history of `--cars` cars x 1 day and x --history-days (target t(30 d) / t(1 d) <= 1.25),
   and the seed's design, which re-reads all of silver, against the long one (target >= 5x);
5. the consolidation alone, Spark with the job's functions vs DuckDB, same inputs (target <= 3x),
   and where Spark's time goes;
6. (car_telemetry_memory) peak RSS of the bronze job as its own process, driver memory 1g, on one
   landing file of each --memory-sizes MB (target peak(largest) / peak(smallest) <= 1.5), and on
   two 50 MB files in one window (the case that ran out of memory before).
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("DATAPLATFORM_SPARK_MASTER", "local[2]")
os.environ.setdefault("AWS_ENDPOINT_URL", "")  # local files: keep the S3A jars out even if moto runs
os.environ.setdefault("SPARK_LOG_LEVEL", "ERROR")

import car_telemetry_bronze as bronze_job
import car_telemetry_data as data
import car_telemetry_memory as memory
import car_telemetry_silver as silver_job
import duckdb

from datalake import conventions, landing, tables
from datalake.car_telemetry import bronze, silver
from datalake.car_telemetry.schema import BRONZE_SCHEMA, EVENT_PARTITIONS, SILVER_SCHEMA
from datalake.session import get_spark

REPO = Path(__file__).resolve().parents[1]
HOUR, SPAN = memory.HOUR, (memory.HOUR, memory.HOUR + timedelta(hours=1))
WARMUP_RECORDS, WARMUP_RECORDS_PER_FILE = 5_000, 50
LATE_FRACTION = 0.005
TARGET_BRONZE_RATIO, TARGET_HISTORY_RATIO, TARGET_SEED_SPEEDUP = 5.0, 1.25, 5.0
timed, verdict, noop = memory.timed, memory.verdict, memory.noop


def bronze_args(landing_path: Path, out: Path) -> list[str]:
    return [f"--landing_path={landing_path}", f"--bronze_path={out / 'bronze'}",
            f"--quarantine_path={out / 'quarantine'}", *memory.WINDOW]  # fmt: skip


def silver_args(bronze_path: Path, silver_path: Path) -> list[str]:
    return [f"--bronze_path={bronze_path}", f"--silver_path={silver_path}", *memory.WINDOW]


def bronze_runs(spark, work: Path, cars: data.Fleet, records: int, per_file: int, args) -> dict:
    """Bronze main(), DuckDB's bronze and bronze's parts, alternating; then silver main() on the bronze hour."""
    landed = data.write_landing(work / "landing", cars, records, HOUR, late_fraction=LATE_FRACTION, bad=True,
                                per_file=per_file)  # fmt: skip
    seconds: dict[str, list[float]] = {name: [] for name in ("spark", "duckdb", "listing", "scan", "parse")}
    done, duckdb_rows = None, 0
    for attempt in range(args.repeat):
        out = work / f"run_{attempt}"
        elapsed, counts = timed(bronze_job.main, bronze_args(work / "landing", out), spark=spark, limit=args.job_limit)
        if elapsed is not None:
            expected = (records + landed.bad_files, landed.quarantined, records - landed.refused)
            if (counts["read"], counts["quarantined"], counts["written"]) != expected:
                raise SystemExit(f"error: bronze counts do not match the landing files: {counts}")
            seconds["spark"].append(elapsed)
            done = out / "bronze"
        elapsed, duckdb_rows = timed(data.duckdb_bronze, work / "landing", out / "duckdb_bronze", SPAN)
        seconds["duckdb"].append(elapsed)
        elapsed, listed = timed(landing.list_files, str(work / "landing"))
        seconds["listing"].append(elapsed)
        files = [file for file in landing.files_in_window(listed, *SPAN) if landing.is_landing_file(file.path)]
        seconds["scan"].append(timed(noop, landing.read_records(spark, files))[0])
        records_with_ts = landing.with_ingest_ts(landing.read_records(spark, files))
        seconds["parse"].append(timed(noop, bronze.parse_records(records_with_ts))[0])
    best = {name: min(values) if values else None for name, values in seconds.items()}
    result = {**best, "landed": landed, "duckdb_rows": duckdb_rows, "bronze_rows": records - landed.refused}
    if done is None:
        return {**result, "silver_s": None, "silver": None}
    silver_s, counts = timed(silver_job.main, silver_args(done, work / "silver"), spark=spark, limit=args.job_limit)
    if counts and counts["read"] != result["bronze_rows"]:
        raise SystemExit(f"error: silver did not read what bronze wrote: {counts}")
    return {**result, "silver_s": silver_s, "silver": counts}


def seed_design(spark, bronze_path: Path, silver_path: Path) -> None:
    """seeds/001: read ALL of silver, union the new rows, consolidate everything, dynamic partition overwrite.

    The job's transforms and consolidation; only the read and write scope differ.
    """
    hour = [conventions.hour_partition(HOUR)]
    incoming = silver.to_silver(tables.read_partitions(spark, str(bronze_path), hour, BRONZE_SCHEMA))
    existing = spark.read.schema(SILVER_SCHEMA).parquet(str(silver_path))
    (
        silver.consolidate(incoming, existing)
        .repartition(*EVENT_PARTITIONS)
        .sortWithinPartitions("carChassis")
        .write.mode("overwrite")
        .option("partitionOverwriteMode", "dynamic")
        .partitionBy(*EVENT_PARTITIONS)
        .parquet(str(silver_path))
    )


def fresh_copy(source: Path, target: Path) -> Path:
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    return target


def hourly_runs(spark, work: Path, cars: data.Fleet, args) -> dict:
    """The bronze job's hour against each history, alternating, best of --repeat; then the seed's design."""
    data.write_landing(work / "hour" / "landing", cars, args.hourly_records, HOUR, seed=23)
    timed(bronze_job.main, bronze_args(work / "hour" / "landing", work / "hour"))
    data.write_history(data.history(spark, cars, HOUR.date(), args.history_days, HOUR.hour), work / "history_long")
    day = dict(zip(EVENT_PARTITIONS, (HOUR.year, HOUR.month, HOUR.day), strict=True))
    shutil.copytree(
        tables.partition_path(str(work / "history_long"), day), tables.partition_path(str(work / "history_1"), day)
    )
    seconds: dict[str, list[float]] = {"1 day": [], "long": [], "seed": []}
    for attempt in range(args.repeat):
        for label, source in (("1 day", "history_1"), ("long", "history_long")):
            target = fresh_copy(work / source, work / "runs" / f"{source}_{attempt}")
            seconds[label].append(timed(silver_job.main, silver_args(work / "hour" / "bronze", target))[0])
        target = fresh_copy(work / "history_long", work / "runs" / f"seed_{attempt}")
        seconds["seed"].append(timed(seed_design, spark, work / "hour" / "bronze", target)[0])
    ours, seeds = (
        tables.read_partitions(spark, str(work / "runs" / run), [day], SILVER_SCHEMA)
        for run in ("history_long_0", "seed_0")
    )
    agree = ours.count() == seeds.count() and ours.exceptAll(seeds).isEmpty()
    return {**{label: min(values) for label, values in seconds.items()}, "agree": agree}


def report_bronze(args, result: dict) -> None:
    landed, spark_s, duckdb_s = result["landed"], result["spark"], result["duckdb"]
    print(
        f"\n1. Bronze: {landed.records:,} landing records in {landed.files:,} files of up to {args.records_per_file:,}"
        f" ({landed.refused} refused records, {landed.bad_files} unreadable files, {LATE_FRACTION:.1%} late);"
        f" best of {args.repeat}, alternating\n   {'engine':66} {'seconds':>8} {'records/s':>10}"
    )
    if spark_s is None:
        print(f"   {'Spark: car_telemetry_bronze main(), in-process':66} {'> ' + str(args.job_limit):>8}  CANCELLED")
    else:
        print(
            f"   {'Spark: car_telemetry_bronze main(), in-process':66} {spark_s:8.1f} {landed.records / spark_s:10,.0f}"
        )
    print(
        f"   {'DuckDB: read_json(declared schema) + mtime -> COPY PARTITION_BY':66} {duckdb_s:8.1f} "
        f"{landed.records / duckdb_s:10,.0f}\n   (DuckDB cannot skip a file that is not JSON, so it reads the "
        f"{landed.files - landed.bad_files:,} good files; it wrote {result['duckdb_rows']:,} rows, Spark "
        f"{result['bronze_rows']:,}:\n   ignore_errors nulls a field of the wrong type where bronze refuses the record)"
    )
    if spark_s is not None:
        verdict("Spark / DuckDB bronze", spark_s / duckdb_s, TARGET_BRONZE_RATIO)
        parse = result["parse"] - result["scan"]
        rest = spark_s - result["listing"] - result["parse"]
        print(f"\n2. Where bronze's time goes (each part's best of {args.repeat}; the rest = total - the others)")
        for label, value in (
            ("listing (landing.list_files)", result["listing"]),
            ("scan: landing.read_records -> noop", result["scan"]),
            ("parse: parse_records(with_ingest_ts(...)) -> noop, minus scan", parse),
            ("the rest: persist, staging writes, swap, read-back counts", rest),
            ("bronze job total", spark_s),
        ):
            print(f"   {label:66} {value:8.2f} s {value / spark_s:6.0%}")
        if rest < 0:
            print("   (the rest is negative: the parts ran at noisier moments than the best whole job; raise --repeat)")
    print(f"\n3. Silver on that bronze hour, empty silver\n   {'job':66} {'seconds':>8} {'records/s':>10}")
    if result["silver_s"] is None:
        print(f"   {'car_telemetry_silver main()':66} {'-':>8}  NOT MEASURED (bronze cancelled, or past --job-limit)")
    else:
        silver_s = result["silver_s"]
        print(f"   {'car_telemetry_silver main()':66} {silver_s:8.1f} {result['bronze_rows'] / silver_s:10,.0f}")
        print(f"   silver wrote {result['silver']['written']:,} rows (one a car and day) of {result['bronze_rows']:,}")


def report_hourly(args, hourly: dict) -> None:
    long = f"{args.history_days} days"
    print(
        f"\n4. Hourly silver run (main()): {args.hourly_records:,} new records of the latest day, one bronze hour;\n"
        f"   history of {args.cars:,} cars a day, a fresh copy for each run; best of {args.repeat}\n"
        f"   {'run':58} {'history rows':>13} {'seconds':>9}"
    )
    for label, key, days in (
        ("ours, 1 day", "1 day", 1),
        (f"ours, {long}", "long", args.history_days),
        (f"seed design (re-reads all silver), {long}", "seed", args.history_days),
    ):
        print(f"   {label:58} {args.cars * days:13,} {hourly[key]:9.2f}")
    print(f"   seed and ours give the same rows for the touched day: {'yes' if hourly['agree'] else 'NO'}")
    verdict(f"t({long}) / t(1 day)", hourly["long"] / hourly["1 day"], TARGET_HISTORY_RATIO)
    verdict(f"seed / ours at {long}", hourly["seed"] / hourly["long"], TARGET_SEED_SPEEDUP, at_most=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="landing records for the throughput run")
    parser.add_argument("--records-per-file", type=int, default=data.RECORDS_PER_FILE)
    parser.add_argument("--job-limit", type=float, default=420, help="seconds before a throughput job is cancelled")
    parser.add_argument("--cars", type=int, default=50_000, help="fleet size (history rows a day)")
    parser.add_argument("--history-days", type=int, default=30)
    parser.add_argument("--hourly-records", type=int, default=20_000, help="new records of the hourly run")
    parser.add_argument("--repeat", type=int, default=2, help="runs per compared figure; the best counts")
    parser.add_argument("--memory-sizes", default="1,50,500", help="landing-file sizes (MB) of the memory runs")
    parser.add_argument("--skip-memory", action="store_true", help="leave out the peak-memory runs")
    parser.add_argument("--workdir", type=Path, default=REPO / ".local" / "bench" / "car_telemetry")
    parser.add_argument("--keep", action="store_true", help="leave the generated data in --workdir")
    args = parser.parse_args()
    if args.history_days < 2 or min(args.records, args.records_per_file, args.cars, args.hourly_records) < 1:
        parser.error("--history-days must be at least 2 and the other figures at least 1")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    try:
        sizes = [float(size) for size in args.memory_sizes.split(",")]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) <= 0:
        parser.error(f"--memory-sizes must be MB figures above 0 separated by commas, not {args.memory_sizes!r}")

    work = args.workdir.resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    started = time.perf_counter()
    spark = get_spark("car_telemetry_benchmark")
    conf = spark.sparkContext.getConf()
    print(
        f"car_telemetry benchmark: {os.cpu_count()} cores; Spark {spark.version} {conf.get('spark.master')}, "
        f"{spark.conf.get('spark.sql.shuffle.partitions')} shuffle partitions, driver memory "
        f"{conf.get('spark.driver.memory', '1g')}; DuckDB {duckdb.__version__}; local files",
        flush=True,
    )
    # Class loading, JIT and Python workers off the clock; small files keep the warm-up short.
    warm = argparse.Namespace(**{**vars(args), "repeat": 1})
    bronze_runs(spark, work / "warmup", data.fleet(100), WARMUP_RECORDS, WARMUP_RECORDS_PER_FILE, warm)
    cars = data.fleet(args.cars)
    report_bronze(args, bronze_runs(spark, work / "scale", cars, args.records, args.records_per_file, args))
    report_hourly(args, hourly_runs(spark, work, cars, args))
    memory.report_consolidation(args, memory.consolidation(spark, work, args.repeat))
    spark.stop()
    if not args.skip_memory:
        memory.report_memory(memory.measure(work / "memory", cars, sizes, args.keep))
    print(f"\nwhole benchmark: {time.perf_counter() - started:.0f} s; data in {work}{'' if args.keep else ' (gone)'}")
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
