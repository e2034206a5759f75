"""The Mongo extract, ours next to the Amazon provider's `MongoToS3Operator`, and the features job.

    .venv/bin/python benchmarks/mongo_extract.py [--sizes 10000,100000,500000] [--job-size 100000]

Generated sessions (`include.sample_data.conversation_features`, one UTC day) are loaded into the
local FerretDB in steps up to each size; at each size both operators extract the day to the local
moto S3, each in a fresh process, and the figures are that process's wall time in `execute()` and
its peak RSS (`wait4`'s ru_maxrss), next to a process that only imports the same modules. The
provider's operator builds the whole result as one string before uploading it; ours streams.
Then the Glue job runs (local PySpark, local files) on the extract of `--job-size` sessions.
A third process reads the same query's cursor and writes nothing: the server's own ceiling (FerretDB
1.24 on SQLite reads about 1,000 such documents a second here, so it bounds both operators).
Targets: our peak RSS under 250 MB at every size and growing < 20% from the smallest to the
largest; our documents/s at least the provider's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATABASE, COLLECTION, BUCKET = "bench_conversations", "sessions", "dp-lake"
DAY = datetime(2025, 10, 29, tzinfo=timezone.utc)
WINDOW = ("2025-10-29T00:00:00Z", "2025-10-30T00:00:00Z")


def child(kind: str) -> None:
    """Runs in a fresh process: one extraction (or none), prints {"count", "seconds"}."""
    from airflow.providers.amazon.aws.transfers.mongo_to_s3 import MongoToS3Operator

    from datalake.conventions import parse_instant
    from dataplatform.mongo_extract import MongoWindowToS3Operator
    from dataplatform.mongo_window import window_filter

    start, end = (parse_instant("w", value) for value in WINDOW)
    prefix = f"raw/bench/{kind}/"
    if kind == "ours":
        operator = MongoWindowToS3Operator(task_id="ours", database=DATABASE, collection=COLLECTION,
                                           window_start=WINDOW[0], window_end=WINDOW[1],
                                           s3_prefix=f"s3://{BUCKET}/{prefix}")  # fmt: skip
    elif kind == "provider":
        operator = MongoToS3Operator(task_id="provider", mongo_db=DATABASE, mongo_collection=COLLECTION,
                                     mongo_query=window_filter("created_at", start, end), s3_bucket=BUCKET,
                                     s3_key=prefix + "extract.jsonl.gz", replace=True, compression="gzip")  # fmt: skip
    elif kind == "cursor":
        _read_only(window_filter("created_at", start, end))
        return
    else:
        print(json.dumps({"count": 0, "seconds": 0.0}))
        return
    started = time.perf_counter()
    result = operator.execute(context={})
    seconds = time.perf_counter() - started
    count = result["count"] if kind == "ours" else None
    print(json.dumps({"count": count, "seconds": seconds}))


def _read_only(query: dict) -> None:
    """The server's own ceiling: the same query's cursor read to the end, documents decoded, nothing written."""
    from airflow.providers.mongo.hooks.mongo import MongoHook

    collection = MongoHook().get_collection(COLLECTION, mongo_db=DATABASE)
    started = time.perf_counter()
    count = sum(1 for _ in collection.find(query, batch_size=1000))
    print(json.dumps({"count": count, "seconds": time.perf_counter() - started}))


def measure(kind: str, env: dict) -> dict:
    process = subprocess.Popen([sys.executable, __file__, "--child", kind], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)  # fmt: skip
    _, status, usage = os.wait4(process.pid, 0)
    output = process.stdout.read().strip().splitlines()
    if status != 0 or not output:
        raise RuntimeError(f"{kind} extraction failed (status {status})")
    return {**json.loads(output[-1]), "peak_rss_mb": usage.ru_maxrss / 1024}


def load_to(size: int, collection) -> int:
    from include.sample_data.conversation_features import generate, load

    have = collection.estimated_document_count()
    documents = generate(size, DAY, seed=11, messy=False)
    for _ in range(have):
        next(documents)  # the same sessions as a fresh load of `size`: only the new ones are inserted
    return have + load(collection, documents)


def run_job(env: dict, workdir: Path, count: int) -> dict:
    import boto3

    s3 = boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"])
    extract = workdir / "extract"
    extract.mkdir(parents=True)
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="raw/bench/ours/")["Contents"]
    for item in listed:
        s3.download_file(BUCKET, item["Key"], str(extract / item["Key"].rsplit("/", 1)[1]))
    job_env = {**env, "AWS_ENDPOINT_URL": ""}
    started = time.perf_counter()
    subprocess.run([sys.executable, str(REPO / "spark_jobs" / "conversation_features.py"), "--input_path",
                    str(extract), "--output_path", str(workdir / "gold"), "--window_start", WINDOW[0],
                    "--window_end", WINDOW[1]], env=job_env, check=True, capture_output=True)  # fmt: skip
    seconds = time.perf_counter() - started
    counts = json.loads(next((workdir / "gold" / "_counts").glob("*.json")).read_text())
    return {"sessions": count, "read": counts["read"], "written": counts["written"], "seconds": seconds}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000,500000")
    parser.add_argument("--job-size", type=int, default=100_000)
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return 0
    from pymongo import MongoClient

    from include.local import services
    from include.local.env import local_env

    already = {name for name in ("moto", "ferretdb") if services.read_running(name)}
    os.environ.update(services.ensure_up(["moto", "ferretdb"]))
    env = {**os.environ, **local_env()}
    sizes = [int(size) for size in args.sizes.split(",")]
    rows, job = [], None
    try:
        with MongoClient(env["MONGO_URI"]) as client, tempfile.TemporaryDirectory() as workdir:
            client.drop_database(DATABASE)
            collection = client[DATABASE][COLLECTION]
            baseline = measure("baseline", env)
            for size in sizes:
                started = time.perf_counter()
                load_to(size, collection)
                loaded_s = time.perf_counter() - started
                ours, provider = measure("ours", env), measure("provider", env)
                ceiling = measure("cursor", env)
                rows.append((size, loaded_s, ours, provider, ceiling))
                print(f"  {size:>7,} sessions loaded ({loaded_s:.0f}s): ours {ours['count'] / ours['seconds']:,.0f} "
                      f"docs/s {ours['peak_rss_mb']:.0f} MB; provider {ours['count'] / provider['seconds']:,.0f} "
                      f"docs/s {provider['peak_rss_mb']:.0f} MB", flush=True)  # fmt: skip
                if size == args.job_size:
                    job = run_job(env, Path(workdir), ours["count"])
            client.drop_database(DATABASE)
    finally:
        services.down([name for name in ("moto", "ferretdb") if name not in already])
    report(baseline, rows, job)
    return 0


def report(baseline: dict, rows: list, job: dict | None) -> None:
    print(f"\nMongo extract, FerretDB -> moto S3 (process that only imports: {baseline['peak_rss_mb']:.0f} MB)")
    print(f"{'sessions':>9} {'extracted':>9} | {'ours docs/s':>11} {'ours RSS MB':>11} | "
          f"{'provider docs/s':>15} {'provider RSS MB':>15} | {'speed ours/provider':>19} | "
          f"{'cursor only docs/s':>16}")  # fmt: skip
    for size, _, ours, provider, ceiling in rows:
        ours_rate, provider_rate = ours["count"] / ours["seconds"], ours["count"] / provider["seconds"]
        ratio = ours_rate / provider_rate
        print(f"{size:>9,} {ours['count']:>9,} | {ours_rate:>11,.0f} {ours['peak_rss_mb']:>11.0f} | "
              f"{provider_rate:>15,.0f} {provider['peak_rss_mb']:>15.0f} | {ratio:>18.2f}x | "
              f"{ceiling['count'] / ceiling['seconds']:>16,.0f}")  # fmt: skip
    peaks = [ours["peak_rss_mb"] for _, _, ours, _, _ in rows]
    growth = peaks[-1] / peaks[0] - 1
    print(f"our peak RSS: max {max(peaks):.0f} MB (target < 250: {'PASS' if max(peaks) < 250 else 'FAIL'}), "
          f"growth {growth:+.1%} from {rows[0][0]:,} to {rows[-1][0]:,} (target < 20%: "
          f"{'PASS' if growth < 0.2 else 'FAIL'})")  # fmt: skip
    slower = [size for size, _, ours, provider, _ in rows if ours["seconds"] > provider["seconds"]]
    print(f"throughput at least the provider's: {'PASS' if not slower else 'FAIL at ' + str(slower)}")
    if job:
        print(f"job conversation_features on {job['sessions']:,} sessions (local[2], local files, JVM start "
              f"included): {job['seconds']:.1f} s, {job['read'] / job['seconds']:,.0f} rows/s "
              f"(read {job['read']:,}, written {job['written']:,})")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
