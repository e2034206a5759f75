"""car_telemetry jobs at scale, on local files: throughput, hourly cost against history, a DuckDB yardstick.

    .venv/bin/python benchmarks/car_telemetry.py [--records 1000000] [--cars 50000] [--history-days 30]
        [--hourly-records 20000] [--repeat 2] [--job-limit 420] [--workdir .local/bench/car_telemetry] [--keep]

The jobs run in-process through their `main(argv)` in one SparkSession, started and warmed up on a
small hour before any timing (JVM start-up is not counted). In one run:
1. bronze and silver records/s over `--records` landing records of one hour (JSON arrays of ~1000
   records, a few refused, 0.5% late readings of the day before), empty silver. A job still running
   after --job-limit s is cancelled and reported as such; silver then reads a stand-in's bronze hour;
2. one hourly silver run (`--hourly-records` of the latest day, from a bronze hour prepared by the
   stand-in) against a fresh copy of a silver history of `--cars` cars x 1 day and x --history-days
   (target t(30 d) / t(1 d) <= 1.25), and the seed's design against the long one (target >= 5x);
3. the consolidation alone, Spark with the job's functions vs DuckDB, same inputs (target <= 3x).
Hourly figures are the best of --repeat runs, taken in alternation so both sides see the same noise.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "spark_jobs"), str(Path(__file__).resolve().parent)]
os.environ.setdefault("AWS_ENDPOINT_URL", "")  # local files: keep the S3A jars out even if moto runs
os.environ.setdefault("SPARK_LOG_LEVEL", "ERROR")

import car_telemetry_bronze as bronze_job  # noqa: E402
import car_telemetry_data as data  # noqa: E402
import car_telemetry_silver as silver_job  # noqa: E402
import duckdb  # noqa: E402

from datalake.car_telemetry import bronze, schema, silver  # noqa: E402
from datalake.session import get_spark  # noqa: E402

HOUR = datetime(2025, 10, 29, 14, tzinfo=timezone.utc)
WINDOW = [f"--window_start={HOUR:%Y-%m-%dT%H:%M:%SZ}", f"--window_end={HOUR + timedelta(hours=1):%Y-%m-%dT%H:%M:%SZ}"]
WARMUP_RECORDS, WARMUP_RECORDS_PER_FILE = 5_000, 50
LATE_FRACTION = 0.005
TARGET_HISTORY_RATIO, TARGET_SEED_SPEEDUP, TARGET_DUCKDB_RATIO = 1.25, 5.0, 3.0


def timed(function, *args, spark=None, limit: float | None = None) -> tuple[float | None, object]:
    """Seconds and result of one call; with `limit`, Spark jobs running past it are cancelled: (None, None)."""
    done, fired, started = threading.Event(), threading.Event(), time.perf_counter()

    def watch() -> None:
        while not done.wait(1):
            if time.perf_counter() - started > limit:
                fired.set()
                spark.sparkContext.cancelAllJobs()

    watcher = threading.Thread(target=watch, daemon=True)
    if limit is not None:
        watcher.start()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            result = function(*args)
        return time.perf_counter() - started, result
    except Exception:
        if not fired.is_set():
            raise
        spark.catalog.clearCache()
        return None, None
    finally:
        done.set()


def silver_args(bronze_path: Path, silver_path: Path) -> list[str]:
    return [f"--bronze_path={bronze_path}", f"--silver_path={silver_path}", *WINDOW]


def throughput(spark, work: Path, cars: data.Fleet, records: int, per_file: int, limit: float) -> dict:
    """Both jobs over one landing hour; if bronze does not finish in time, silver reads the stand-in's bronze."""
    landed = data.write_landing(
        work / "landing", cars, records, HOUR, late_fraction=LATE_FRACTION, bad=True, per_file=per_file
    )
    paths = [f"--{name}_path={work / name}" for name in ("landing", "bronze", "quarantine")]
    bronze_s, counts = timed(bronze_job.main, [*paths, *WINDOW], spark=spark, limit=limit)
    if bronze_s is None:
        bronze_rows = data.write_bronze_stand_in(spark, work / "landing", work / "bronze")
    elif (counts["read"], counts["quarantined"]) != (records + landed.bad_files, landed.quarantined):
        raise SystemExit(f"error: bronze counts do not match the landing files: {counts}")
    else:
        bronze_rows = counts["written"]
    if bronze_rows != records - landed.refused:
        raise SystemExit(f"error: {bronze_rows} bronze rows for {records} records, {landed.refused} refused")
    silver_s, counts = timed(silver_job.main, silver_args(work / "bronze", work / "silver"), spark=spark, limit=limit)
    if counts and counts["read"] != bronze_rows:
        raise SystemExit(f"error: silver did not read what bronze wrote: {counts}")
    return {"landed": landed, "bronze_s": bronze_s, "silver_s": silver_s, "bronze_rows": bronze_rows, "silver": counts}


def seed_design(spark, bronze_path: Path, silver_path: Path) -> None:
    """seeds/001: read ALL of silver, union the new rows, deduplicate everything, dynamic partition overwrite.

    The job's transforms, consolidation and writer: only the read and write scope differ.
    """
    hours = [bronze.hour_partition(HOUR)]
    incoming = silver.to_silver(silver_job.read_partitions(spark, str(bronze_path), hours, schema.BRONZE_SCHEMA))
    existing = spark.read.parquet(str(silver_path))
    silver_job.overwrite_days(silver.consolidate(incoming, existing), str(silver_path))


def fresh_copy(source: Path, target: Path) -> Path:
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    return target


def hourly_runs(spark, work: Path, cars: data.Fleet, args) -> dict:
    """The prepared bronze hour against each history, alternating, best of --repeat; then the seed's design."""
    data.write_landing(work / "hour" / "landing", cars, args.hourly_records, HOUR, seed=23)
    data.write_bronze_stand_in(spark, work / "hour" / "landing", work / "hour" / "bronze")
    data.write_history(data.history(spark, cars, HOUR.date(), args.history_days, HOUR.hour), work / "history_long")
    day = dict(zip(schema.EVENT_PARTITIONS, (HOUR.year, HOUR.month, HOUR.day), strict=True))
    shutil.copytree(
        schema.partition_path(str(work / "history_long"), day), schema.partition_path(str(work / "history_1"), day)
    )
    seconds: dict[str, list[float]] = {"1 day": [], "long": [], "seed": []}
    for attempt in range(args.repeat):
        for label, source in (("1 day", "history_1"), ("long", "history_long")):
            target = fresh_copy(work / source, work / "runs" / f"{source}_{attempt}")
            seconds[label].append(timed(silver_job.main, silver_args(work / "hour" / "bronze", target))[0])
        target = fresh_copy(work / "history_long", work / "runs" / f"seed_{attempt}")
        seconds["seed"].append(timed(seed_design, spark, work / "hour" / "bronze", target)[0])

    ours, seeds = (
        silver_job.read_partitions(spark, str(work / "runs" / run), [day], schema.SILVER_SCHEMA)
        for run in ("history_long_0", "seed_0")
    )
    agree = ours.count() == seeds.count() and ours.exceptAll(seeds).isEmpty()
    return {**{label: min(values) for label, values in seconds.items()}, "agree": agree}


def spark_consolidation(spark, new_rows: Path, history: Path, out: Path) -> None:
    """The job's own steps: the touched days of silver + the new rows -> consolidate -> one file per day."""
    incoming = spark.read.schema(schema.SILVER_SCHEMA).parquet(str(new_rows))
    days = silver.touched_days(incoming.groupBy(*schema.EVENT_PARTITIONS).count().collect())
    existing = silver_job.read_partitions(spark, str(history), days, schema.SILVER_SCHEMA)
    silver_job.overwrite_days(silver.consolidate(incoming, existing), str(out))


def duckdb_consolidation(new_rows: Path, history: Path, out: Path) -> None:
    """The same in DuckDB: touched days found from the new rows, the job's total order, Parquet per day."""
    key, preferred, day_columns = schema.CONSOLIDATION_KEY, schema.CONSOLIDATION_ORDER, schema.EVENT_PARTITIONS
    rest = [name for name in schema.SILVER_COLUMNS if name not in (*preferred, *key)]
    order = ", ".join([f'"{n}" DESC NULLS LAST' for n in preferred] + [f'"{n}" ASC NULLS LAST' for n in rest])
    with duckdb.connect() as connection:
        combined = f"SELECT * FROM read_parquet('{new_rows}/*.parquet')"
        days = connection.execute(f"SELECT DISTINCT {', '.join(day_columns)} FROM ({combined})").fetchall()
        paths = [schema.partition_path(str(history), dict(zip(day_columns, day, strict=True))) for day in days]
        if files := [f"{path}/*.parquet" for path in paths if Path(path).is_dir()]:
            types = "{" + ", ".join(f"'{name}': INTEGER" for name in day_columns) + "}"
            combined += f" UNION ALL BY NAME FROM read_parquet({files!r}, hive_partitioning = 1, hive_types = {types})"
        ranked = f"row_number() OVER (PARTITION BY {', '.join(key)} ORDER BY {order})"
        connection.execute(
            f"COPY (SELECT {', '.join(schema.SILVER_COLUMNS)} FROM ({combined}) QUALIFY {ranked} = 1) "
            f"TO '{out}' (FORMAT parquet, PARTITION_BY ({', '.join(day_columns)}))"
        )


def outputs_agree(*paths: Path) -> bool:
    """Same rows chosen: compared on the key, the order columns and the partition values."""
    columns = ", ".join(f'"{name}"' for name in (*schema.CONSOLIDATION_KEY, *schema.CONSOLIDATION_ORDER))
    scans = [f"SELECT {columns} FROM read_parquet('{path}/**/*.parquet', hive_partitioning = 1)" for path in paths]
    differing = f"({scans[0]} EXCEPT ALL {scans[1]}) UNION ALL ({scans[1]} EXCEPT ALL {scans[0]})"
    return duckdb.sql(f"SELECT count(*) FROM ({differing})").fetchall() == [(0,)]


def consolidation(spark, work: Path, repeat: int) -> dict:
    """The new hour in silver shape as Parquet, then both engines on it and the long history, alternating."""
    hour = [bronze.hour_partition(HOUR)]
    bronze_rows = silver_job.read_partitions(spark, str(work / "hour" / "bronze"), hour, schema.BRONZE_SCHEMA)
    silver.to_silver(bronze_rows).coalesce(1).write.mode("overwrite").parquet(str(work / "new_rows"))
    seconds: dict[str, list[float]] = {"spark": [], "duckdb": []}
    for attempt in range(repeat):
        inputs = (work / "new_rows", work / "history_long")
        seconds["spark"].append(timed(spark_consolidation, spark, *inputs, work / "out" / f"spark_{attempt}")[0])
        seconds["duckdb"].append(timed(duckdb_consolidation, *inputs, work / "out" / f"duckdb_{attempt}")[0])
    agree = outputs_agree(work / "out" / "spark_0", work / "out" / "duckdb_0")
    return {**{label: min(values) for label, values in seconds.items()}, "agree": agree}


def report(spark, args, scale: dict, hourly: dict, yardstick: dict) -> None:
    conf, landed, long = spark.sparkContext.getConf(), scale["landed"], f"{args.history_days} days"
    print(
        f"\ncar_telemetry benchmark: {os.cpu_count()} cores; Spark {spark.version} {conf.get('spark.master')}, "
        f"{spark.conf.get('spark.sql.shuffle.partitions')} shuffle partitions, driver memory "
        f"{conf.get('spark.driver.memory', '1g')}; DuckDB {duckdb.__version__}; local files\n\n"
        f"1. Throughput: {landed.records:,} landing records in {landed.files:,} files of up to "
        f"{args.records_per_file:,} ({landed.quarantined} refused records/files, {LATE_FRACTION:.1%} late), "
        f"empty silver;\n   main() in-process, cancelled after {args.job_limit:.0f} s\n"
        f"   {'job':28} {'seconds':>9} {'records/s':>11}"
    )
    for job, seconds in (("car_telemetry_bronze", scale["bronze_s"]), ("car_telemetry_silver", scale["silver_s"])):
        if seconds is None:
            limit, ceiling = f"> {args.job_limit:.0f}", f"< {landed.records / args.job_limit:,.0f}"
            print(f"   {job:28} {limit:>9} {ceiling:>11}  DID NOT FINISH at this scale: cancelled")
        else:
            print(f"   {job:28} {seconds:9.1f} {landed.records / seconds:11,.0f}")
    if scale["bronze_s"] is None:
        print("   so silver read a bronze hour written by the stand-in (the job's parse and writer)")
    if scale["silver"]:
        print(f"   silver wrote {scale['silver']['written']:,} rows (one a car and day) of {scale['bronze_rows']:,}")

    print(
        f"\n2. Hourly silver run (main()): {args.hourly_records:,} new records of the latest day, one prepared bronze "
        f"hour;\n   history of {args.cars:,} cars a day, a fresh copy for each run; best of {args.repeat}\n"
        f"   {'run':42} {'history rows':>13} {'seconds':>9}"
    )
    for label, key, days in (
        ("ours, 1 day", "1 day", 1),
        (f"ours, {long}", "long", args.history_days),
        (f"seed design (re-reads all silver), {long}", "seed", args.history_days),
    ):
        print(f"   {label:42} {args.cars * days:13,} {hourly[key]:9.1f}")
    print(f"   seed and ours give the same rows for the touched day: {'yes' if hourly['agree'] else 'NO'}")

    print(
        f"\n3. Consolidation alone: {long} of history + the {args.hourly_records:,} new rows already in silver shape "
        f"(Parquet); best of {args.repeat}.\n   Each side times: find the touched days from the new rows, read those "
        "days of silver, union,\n   keep one row a car and day (the job's total order), write Parquet partitioned "
        "by day to a new folder.\n"
        f"   {'Spark (the job functions read_partitions, consolidate, overwrite_days)':72} {yardstick['spark']:6.1f} s"
        f"\n   {'DuckDB (one COPY (... QUALIFY row_number() ...) TO ... PARTITION_BY)':72} {yardstick['duckdb']:6.1f} s"
        f"\n   same rows chosen by both: {'yes' if yardstick['agree'] else 'NO'}; for scale, the whole hourly job at "
        f"{long} is {hourly['long'] / yardstick['duckdb']:.1f}x the DuckDB time\n\n"
        f"   {'target':32} {'ratio':>7}   {'goal':>7}"
    )
    for name, value, target, at_most in (
        (f"t({long}) / t(1 day)", hourly["long"] / hourly["1 day"], TARGET_HISTORY_RATIO, True),
        (f"seed / ours at {long}", hourly["seed"] / hourly["long"], TARGET_SEED_SPEEDUP, False),
        ("Spark / DuckDB consolidation", yardstick["spark"] / yardstick["duckdb"], TARGET_DUCKDB_RATIO, True),
    ):
        passed = value <= target if at_most else value >= target
        print(f"   {name:32} {value:7.2f}   {'<=' if at_most else '>='} {target:<5} {'PASS' if passed else 'FAIL'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="landing records for the throughput run")
    parser.add_argument("--records-per-file", type=int, default=data.RECORDS_PER_FILE)
    parser.add_argument("--job-limit", type=float, default=420, help="seconds before a throughput job is cancelled")
    parser.add_argument("--cars", type=int, default=50_000, help="fleet size (history rows a day)")
    parser.add_argument("--history-days", type=int, default=30)
    parser.add_argument("--hourly-records", type=int, default=20_000, help="new records of the hourly run")
    parser.add_argument("--repeat", type=int, default=2, help="runs per hourly figure; the best counts")
    parser.add_argument("--workdir", type=Path, default=REPO / ".local" / "bench" / "car_telemetry")
    parser.add_argument("--keep", action="store_true", help="leave the generated data in --workdir")
    args = parser.parse_args()
    if args.history_days < 2 or min(args.records, args.records_per_file, args.cars, args.hourly_records) < 1:
        parser.error("--history-days must be at least 2 and the other figures at least 1")

    work = args.workdir.resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    started = time.perf_counter()
    spark = get_spark("car_telemetry_benchmark")
    # Class loading and JIT off the clock; small files keep the warm-up short.
    throughput(spark, work / "warmup", data.fleet(100), WARMUP_RECORDS, WARMUP_RECORDS_PER_FILE, args.job_limit)
    cars = data.fleet(args.cars)
    scale = throughput(spark, work / "scale", cars, args.records, args.records_per_file, args.job_limit)
    hourly = hourly_runs(spark, work, cars, args)
    yardstick = consolidation(spark, work, max(args.repeat, 1))
    report(spark, args, scale, hourly, yardstick)
    print(f"\nwhole benchmark: {time.perf_counter() - started:.0f} s; data in {work}{'' if args.keep else ' (gone)'}")
    spark.stop()
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
