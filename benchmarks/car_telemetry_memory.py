"""Parts of `benchmarks/car_telemetry.py`: how it times a call, the consolidation yardstick, peak memory.

`timed` runs a call in-process and returns its seconds (muting its prints), cancelling Spark jobs
past a limit. Consolidation (section 5): Spark with the silver job's own functions against one
DuckDB statement, same inputs, same total order, then where Spark's time goes.

Peak memory (section 6): the bronze job runs as Glue runs it, `python spark_jobs/car_telemetry_bronze.py ...`
(local[2], driver memory 1g, local files), on an hour holding one landing file of each size (one
JSON array of the benchmark's records), then on two 50 MB files in one window (the case that ran
a default executor out of memory when a file was read as one string). The resident set of the
whole process tree (the Python driver, its JVM and the JVM's Python workers) is summed every
0.2 s (less a fork of the JVM that has not exec'd yet); the peak is the largest sum. Seconds
include the JVM start.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import car_telemetry_data as data
import duckdb
import psutil

from datalake import conventions, tables
from datalake.car_telemetry import silver
from datalake.car_telemetry.schema import (
    BRONZE_SCHEMA,
    CONSOLIDATION_KEY,
    CONSOLIDATION_ORDER,
    EVENT_PARTITIONS,
    SILVER_COLUMNS,
    SILVER_SCHEMA,
)

REPO = Path(__file__).resolve().parents[1]
HOUR = datetime(2025, 10, 29, 14, tzinfo=timezone.utc)
WINDOW = [f"--window_start={HOUR:%Y-%m-%dT%H:%M:%SZ}", f"--window_end={HOUR + timedelta(hours=1):%Y-%m-%dT%H:%M:%SZ}"]
MB = 1 << 20
SAMPLE_S = 0.2
JOB_TIMEOUT_S = 3600
TARGET_FLAT, TARGET_DUCKDB_RATIO = 1.5, 3.0
TWO_FILES_MB = 50


def timed(function, *args, spark=None, limit: float | None = None) -> tuple[float | None, object]:
    """Seconds and result of one call, prints muted; with `limit`, Spark jobs past it are cancelled: (None, None)."""
    done, fired, started = threading.Event(), threading.Event(), time.perf_counter()

    def watch() -> None:
        while not done.wait(1):
            if time.perf_counter() - started > limit:
                fired.set()
                spark.sparkContext.cancelAllJobs()

    if limit is not None:
        threading.Thread(target=watch, daemon=True).start()
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


def verdict(name: str, value: float, target: float, at_most: bool = True) -> None:
    """One table line: the ratio, the goal and PASS/FAIL."""
    passed = value <= target if at_most else value >= target
    print(f"   {name:66} {value:8.2f}x  target {'<=' if at_most else '>='} {target:g}x  {'PASS' if passed else 'FAIL'}")


def noop(rows) -> None:
    rows.write.format("noop").mode("overwrite").save()


def duckdb_consolidation(new_rows: Path, history: Path, out: Path) -> None:
    """Silver's consolidation in DuckDB: touched days from the new rows, the job's total order, Parquet per day
    sorted by carChassis (as the job writes it)."""
    rest = [name for name in SILVER_COLUMNS if name not in (*CONSOLIDATION_ORDER, *CONSOLIDATION_KEY)]
    order = ", ".join([f'"{n}" DESC NULLS LAST' for n in CONSOLIDATION_ORDER] + [f'"{n}" ASC NULLS LAST' for n in rest])
    with duckdb.connect() as connection:
        combined = f"SELECT * FROM read_parquet('{new_rows}/*.parquet')"
        days = connection.execute(f"SELECT DISTINCT {', '.join(EVENT_PARTITIONS)} FROM ({combined})").fetchall()
        paths = [tables.partition_path(str(history), dict(zip(EVENT_PARTITIONS, day, strict=True))) for day in days]
        if files := [f"{path}/*.parquet" for path in paths if Path(path).is_dir()]:
            types = "{" + ", ".join(f"'{name}': INTEGER" for name in EVENT_PARTITIONS) + "}"
            combined += f" UNION ALL BY NAME FROM read_parquet({files!r}, hive_partitioning = 1, hive_types = {types})"
        ranked = f"row_number() OVER (PARTITION BY {', '.join(CONSOLIDATION_KEY)} ORDER BY {order})"
        connection.execute(
            f"COPY (SELECT {', '.join(SILVER_COLUMNS)} FROM ({combined}) QUALIFY {ranked} = 1 ORDER BY carChassis) "
            f"TO '{out}' (FORMAT parquet, PARTITION_BY ({', '.join(EVENT_PARTITIONS)}))"
        )


def outputs_agree(*paths: str | Path) -> bool:
    """Same rows chosen: compared on the key, the order columns and the partition values."""
    columns = ", ".join(f'"{name}"' for name in (*CONSOLIDATION_KEY, *CONSOLIDATION_ORDER))
    scans = [f"SELECT {columns} FROM read_parquet('{path}/**/*.parquet', hive_partitioning = 1)" for path in paths]
    differing = f"({scans[0]} EXCEPT ALL {scans[1]}) UNION ALL ({scans[1]} EXCEPT ALL {scans[0]})"
    return duckdb.sql(f"SELECT count(*) FROM ({differing})").fetchall() == [(0,)]


def spark_consolidation(spark, new_rows: Path, history: Path, out: Path) -> str:
    """The job's steps: the touched days of silver + the new rows -> consolidate -> staged, one file per day."""
    incoming = spark.read.schema(SILVER_SCHEMA).parquet(str(new_rows))
    days = silver.touched_days(incoming.select(*EVENT_PARTITIONS).distinct().collect())
    existing = tables.read_partitions(spark, str(history), days, SILVER_SCHEMA)
    return tables.stage(silver.consolidate(incoming, existing), str(out), "bench", EVENT_PARTITIONS, ["carChassis"])


def consolidation(spark, work: Path, repeat: int) -> dict:
    """The new hour in silver shape as Parquet, then both engines on it and the long history, alternating;
    then Spark's parts: a trivial job, the touched days, the read, the consolidation to a noop sink."""
    hour = [conventions.hour_partition(HOUR)]
    bronze_rows = tables.read_partitions(spark, str(work / "hour" / "bronze"), hour, BRONZE_SCHEMA)
    silver.to_silver(bronze_rows).coalesce(1).write.mode("overwrite").parquet(str(work / "new_rows"))
    inputs = (work / "new_rows", work / "history_long")
    incoming = spark.read.schema(SILVER_SCHEMA).parquet(str(inputs[0]))
    days = silver.touched_days(incoming.select(*EVENT_PARTITIONS).distinct().collect())
    existing = tables.read_partitions(spark, str(inputs[1]), days, SILVER_SCHEMA)
    parts = {
        "trivial": lambda: noop(spark.range(1)),
        "days": lambda: incoming.select(*EVENT_PARTITIONS).distinct().collect(),
        "read": lambda: noop(incoming.unionByName(existing)),
        "consolidate": lambda: noop(silver.consolidate(incoming, existing)),
    }
    seconds: dict[str, list[float]] = {name: [] for name in ("spark", "duckdb", *parts)}
    staged = []
    for attempt in range(repeat):
        elapsed, path = timed(spark_consolidation, spark, *inputs, work / "out" / f"spark_{attempt}")
        seconds["spark"].append(elapsed)
        staged.append(path)
        seconds["duckdb"].append(timed(duckdb_consolidation, *inputs, work / "out" / f"duckdb_{attempt}")[0])
        for name, part in parts.items():
            seconds[name].append(timed(part)[0])
    agree = outputs_agree(staged[0], work / "out" / "duckdb_0")
    rows = {"new": incoming.count(), "existing": existing.count()}
    return {**{name: min(values) for name, values in seconds.items()}, "agree": agree, **rows}


def report_consolidation(args, result: dict) -> None:
    spark_s, duckdb_s = result["spark"], result["duckdb"]
    print(
        f"\n5. Consolidation alone: {result['new']:,} new rows in silver shape (Parquet) + the {result['existing']:,}"
        f" rows of the day they touch\n   in {args.history_days} days of history; best of {args.repeat}. Each side: "
        "find the touched days, read them, union, keep one row\n   a car and day (the job's total order), write "
        f"Parquet partitioned by day to a new folder\n   {'engine':66} {'seconds':>8}\n"
        f"   {'Spark: tables.read_partitions, silver.consolidate, tables.stage':66} {spark_s:8.2f}\n"
        f"   {'DuckDB: one COPY (... QUALIFY row_number() = 1 ORDER BY carChassis)':66} {duckdb_s:8.2f}\n"
        f"   same rows chosen by both: {'yes' if result['agree'] else 'NO'}"
    )
    verdict("Spark / DuckDB consolidation", spark_s / duckdb_s, TARGET_DUCKDB_RATIO)
    write = spark_s - result["days"] - result["consolidate"]
    print("   where Spark's time goes (each part's best; a part is one or more Spark jobs):")
    for label, value in (
        ("one trivial Spark job (range(1) -> noop): the floor of any action", result["trivial"]),
        ("touched days (distinct -> collect)", result["days"]),
        ("read both inputs (union -> noop)", result["read"]),
        ("rank and keep the best (consolidate -> noop, minus the read)", result["consolidate"] - result["read"]),
        ("write: shuffle by day, sort, Parquet (the rest)", write),
    ):
        print(f"   {label:66} {value:8.2f} s {value / spark_s:6.0%}")


def tree_rss(process: psutil.Process) -> tuple[int, int]:
    """(the whole tree's, the JVM's) RSS: the process and all its descendants, less any fork of the JVM
    that has not yet exec'd the command it starts (same command line, the JVM's pages: it would count them twice)."""
    members = {}
    for member in (process, *process.children(recursive=True)):
        with contextlib.suppress(psutil.Error):
            members[member.pid] = (member.ppid(), member.cmdline(), member.memory_info().rss)
    total = jvm = 0
    for ppid, command, rss in members.values():
        is_java = bool(command) and command[0].endswith("java")
        if not (is_java and ppid in members and members[ppid][1] == command):
            total, jvm = total + rss, jvm + (rss if is_java else 0)
    return total, jvm


def run_bronze(landing_path: Path, out: Path) -> dict:
    """The bronze job as its own process on `landing_path`: peak RSS of its tree, seconds, exit code, counts."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYSPARK_GATEWAY")}
    env.update(DATAPLATFORM_SPARK_MASTER="local[2]", AWS_ENDPOINT_URL="", SPARK_DRIVER_MEMORY="1g",
               SPARK_LOG_LEVEL="ERROR")  # fmt: skip
    command = [sys.executable, str(REPO / "spark_jobs" / "car_telemetry_bronze.py"), f"--landing_path={landing_path}",
               f"--bronze_path={out / 'bronze'}", f"--quarantine_path={out / 'quarantine'}", *WINDOW]  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    peak, started = (0, 0), time.perf_counter()
    with (out / "stdout.txt").open("w") as stdout, (out / "stderr.txt").open("w") as stderr:
        job = subprocess.Popen(command, cwd=REPO, env=env, stdout=stdout, stderr=stderr, start_new_session=True)
        tree = psutil.Process(job.pid)
        try:
            while job.poll() is None and time.perf_counter() - started < JOB_TIMEOUT_S:
                peak = max(peak, tree_rss(tree))
                time.sleep(SAMPLE_S)
        finally:
            if job.poll() is None:  # timed out (or this benchmark was interrupted): the job's own process group
                os.killpg(job.pid, signal.SIGKILL)
                job.wait()
    seconds = time.perf_counter() - started
    lines = (out / "stdout.txt").read_text().splitlines()
    counts = next((json.loads(line.split(": ", 1)[1]) for line in lines if line.startswith("counts ")), None)
    error = (out / "stderr.txt").read_text().strip().splitlines()[-1:] if job.returncode else []
    error = ["timed out"] if seconds >= JOB_TIMEOUT_S else error
    return {"peak_mb": peak[0] / MB, "jvm_mb": peak[1] / MB, "seconds": seconds, "code": job.returncode,
            "counts": counts, "error": error}  # fmt: skip


def measure(work: Path, cars: data.Fleet, sizes_mb: list[float], keep: bool) -> dict:
    """One run per file size, then the two-file run; each run's files removed after it unless `keep`."""
    runs = []
    for size in [*sizes_mb, None]:
        file_sizes = [size] if size else [TWO_FILES_MB, TWO_FILES_MB]
        folder = work / (f"file_{size:g}MB" if size else f"two_files_{TWO_FILES_MB}MB")
        hour = folder / "landing" / f"{HOUR:%Y/%m/%d/%H}"
        records = sum(data.write_array_file(hour / f"batch-{index}.json", cars, int(mb * MB), HOUR, seed=13 + index)
                      for index, mb in enumerate(file_sizes))  # fmt: skip
        file_mb = sum(path.stat().st_size for path in hour.iterdir()) / MB
        runs.append({"size": size, "file_mb": file_mb, "files": len(file_sizes), "records": records,
                     **run_bronze(folder / "landing", folder)})  # fmt: skip
        if not keep:
            shutil.rmtree(folder)
    return {"runs": runs}


def report_memory(measured: dict) -> None:
    print(
        "\n6. Peak memory against landing-file size: car_telemetry_bronze.py as its own process (local[2], driver "
        "memory 1g),\n   one hour holding the file(s). RSS summed over the whole process tree every "
        f"{SAMPLE_S} s (a forked Python worker's shared\n   pages count in each; a fork of the JVM not yet exec'd "
        "does not); JVM: its share at the peak (its heap grows\n   lazily up to the 1g driver memory); seconds include "
        "the JVM start\n"
        f"   {'landing file(s)':26} {'records':>10} {'written':>10} {'peak RSS MB':>12} {'JVM':>6} {'seconds':>8}  "
        "result"
    )
    for run in measured["runs"]:
        label = f"{run['files']} x {run['file_mb'] / run['files']:,.1f} MB"
        written = f"{run['counts']['written']:,}" if run["counts"] else "-"
        result = "ok" if run["code"] == 0 else f"FAILED (exit {run['code']}): {' '.join(run['error'])}"
        line = f"{label:26} {run['records']:10,} {written:>10} {run['peak_mb']:12,.0f} {run['jvm_mb']:6,.0f}"
        line += f" {run['seconds']:8.1f}"
        print(f"   {line}  {result}")
    singles = [run for run in measured["runs"] if run["size"] and run["code"] == 0]
    if len(singles) >= 2:
        largest, smallest = max(singles, key=lambda r: r["file_mb"]), min(singles, key=lambda r: r["file_mb"])
        name = f"peak RSS, {largest['file_mb']:,.0f} MB file / {smallest['file_mb']:,.0f} MB file"
        verdict(name, largest["peak_mb"] / smallest["peak_mb"], TARGET_FLAT)
    two = measured["runs"][-1]
    succeeded = two["code"] == 0 and two["counts"] and two["counts"]["written"] == two["records"]
    print(f"   two {TWO_FILES_MB} MB files in one window: {'succeeded' if succeeded else 'FAILED'}, "
          f"all {two['records']:,} records written: {'yes' if succeeded else 'NO'}")  # fmt: skip
