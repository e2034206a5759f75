"""receivables_aggregator: AvailableNow throughput over a backlog, and produce-to-searchable latency when streaming.

    .venv/bin/python benchmarks/receivables.py [--events 200000] [--rate 100] [--seconds 30]

On the local servers (Kafka KRaft, moto for DynamoDB and S3, OpenSearch; started if needed and
stopped again if started here), on fresh topics (3 x 2 partitions) and a fresh table and index:
1. the backlog: about `--events` sample events produced to Kafka;
2. the yardsticks on the same servers: a bare consumer reading the whole backlog (the raw consume
   rate), and moto's own ceiling for the two DynamoDB calls the job makes (a bare boto3
   BatchWriteItem writer, and bare Queries against the table the job filled);
3. the job, `--trigger available_now`, as Glue would run it (a process, JVM start included), and
   where its time went (summed over Spark tasks: Kafka read, DynamoDB writes, history reads, indexing);
4. the job streaming (`processing_time`, 1 s micro-batches): `--rate` events/s for `--seconds`,
   each receivable's latency from its AGENDADO being produced to its document being searchable.

moto (a Python server, about 80-100 DynamoDB requests a second here) bounds the history reads, one
Query per receivable per batch, and so everything else: at the default 200,000 events the history
reads alone take about 40 minutes. The README's figures were measured with `--events 20000`; the
moto lines show the bound.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "spark_jobs")]

from include.local import services  # noqa: E402
from include.local.env import local_env  # noqa: E402
from include.local.servers.kafka import create_topics  # noqa: E402
from include.sample_data import receivables as sample  # noqa: E402

SERVERS = ["moto", "kafka", "opensearch"]
BUCKET = "receivables-bench"
EVENTS_PER_RECEIVABLE = 1.6  # what the sample generator averages


class Bench:
    def __init__(self, env: dict[str, str]):
        self.env = env
        self.tag = f"b{uuid.uuid4().hex[:6]}"
        self.topics = [f"{self.tag}-{topic}" for topic in sample.TOPICS.values()]
        create_topics(env["KAFKA_BOOTSTRAP_SERVERS"], *self.topics, partitions=2)
        import boto3

        if BUCKET not in {b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]}:
            boto3.client("s3").create_bucket(Bucket=BUCKET)

    def argv(self, name: str, *extra: str) -> list[str]:
        root = f"s3a://{BUCKET}/{self.tag}/{name}"
        return [sys.executable, str(REPO / "spark_jobs" / "receivables_aggregator.py"),
                "--bootstrap_servers", self.env["KAFKA_BOOTSTRAP_SERVERS"], "--checkpoint_path", f"{root}/cp",
                "--dead_letter_path", f"{root}/dl", "--search_url", self.env["SEARCH_URL"],
                "--topics", ",".join(self.topics), "--table", f"{self.tag}-{name}", "--index", f"{self.tag}-{name}",
                "--counts_path", f"{root}/counts.json", *extra]  # fmt: skip

    def counts(self, name: str) -> dict:
        import boto3

        body = boto3.client("s3").get_object(Bucket=BUCKET, Key=f"{self.tag}/{name}/counts.json")["Body"].read()
        return json.loads(body)


def bare_consumer(env: dict[str, str], topics: list[str], expected: int) -> float:
    """Messages/s of a plain confluent-kafka consumer reading the whole backlog once (partitions assigned
    directly, like Spark's Kafka source does: no consumer-group join)."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": env["KAFKA_BOOTSTRAP_SERVERS"], "group.id": f"bare-{uuid.uuid4().hex}",
                         "enable.auto.commit": False, "fetch.max.bytes": 52428800})  # fmt: skip
    consumer.assign([TopicPartition(topic, partition, OFFSET_BEGINNING) for topic in topics for partition in (0, 1)])
    seen, started = 0, time.monotonic()
    while seen < expected:
        batch = consumer.consume(10000, timeout=0.05)
        seen += sum(1 for message in batch if message.error() is None)
    elapsed = time.monotonic() - started
    consumer.close()
    return seen / elapsed


def moto_ceiling(table: str, receivables: list[str], sample_items: int = 2000) -> tuple[float, float]:
    """(items/s of bare BatchWriteItem into a scratch table, Queries/s against the job's table) on moto."""
    import boto3

    from datalake.receivables import dynamo

    scratch = f"{table}-scratch"
    dynamo.ensure_table(scratch)
    rows = [{"id_recebivel": f"S-{n}", "sk": f"2024#{n}", "valor": n} for n in range(sample_items)]
    started = time.monotonic()
    dynamo.write_events(scratch, rows, threads=4)
    write_rate = sample_items / (time.monotonic() - started)
    boto3.client("dynamodb").delete_table(TableName=scratch)
    client = dynamo.client()
    probe = receivables[:200]
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda one: dynamo.history(client, table, one), probe))
    return write_rate, len(probe) / (time.monotonic() - started)


def available_now(bench: Bench, env: dict[str, str]) -> tuple[float, dict]:
    started = time.monotonic()
    result = subprocess.run(bench.argv("backlog", "--max_offsets_per_trigger", "20000"), env=env, cwd=REPO,
                            capture_output=True, text=True)  # fmt: skip
    wall = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit(f"the job failed:\n{result.stderr[-3000:]}")
    return wall, bench.counts("backlog")


def streaming_latency(bench: Bench, env: dict[str, str], rate: float, seconds: float) -> list[float]:
    """Produce-to-searchable seconds of each receivable sent at `rate` events/s while the job streams."""
    from confluent_kafka import Producer
    from opensearchpy import OpenSearch

    log = open(REPO / ".local" / "logs" / "bench-receivables-stream.log", "w")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(bench.argv("stream", "--trigger", "processing_time", "--window_seconds", "1",
                                          "--starting_offsets", "latest"), env=env, cwd=REPO, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    search = OpenSearch(hosts=[bench.env["SEARCH_URL"]], timeout=30)
    index = f"{bench.tag}-stream"
    try:
        while "progress " not in (REPO / ".local" / "logs" / "bench-receivables-stream.log").read_text():
            if process.poll() is not None:
                raise SystemExit("the streaming job died; see .local/logs/bench-receivables-stream.log")
            time.sleep(0.5)
        triples = sample.generate(int(rate * seconds / EVENTS_PER_RECEIVABLE), seed=11, prefix=f"L{bench.tag}")
        producer = Producer({"bootstrap.servers": bench.env["KAFKA_BOOTSTRAP_SERVERS"], "linger.ms": 0})
        sent: dict[str, float] = {}
        seen: dict[str, float] = {}
        done = threading.Event()

        def watch() -> None:
            while not done.is_set() or len(seen) < len(sent):
                pending = [key for key in sent if key not in seen][:500]
                if pending and search.indices.exists(index=index):
                    found = search.mget(index=index, body={"ids": pending}, _source=False, realtime=False,
                                        refresh=False)["docs"]  # fmt: skip
                    now = time.monotonic()
                    seen.update({doc["_id"]: now for doc in found if doc.get("found")})
                if done.is_set() and time.monotonic() > deadline:
                    return
                time.sleep(0.1)

        deadline = float("inf")
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        started = time.monotonic()
        for position, (topic, key, value) in enumerate(triples):
            delay = started + position / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            producer.produce(f"{bench.tag}-{topic}", key=key.encode(), value=value.encode())
            producer.poll(0)
            sent.setdefault(key, time.monotonic())
        producer.flush(30)
        deadline = time.monotonic() + 120
        done.set()
        watcher.join()
        return [seen[key] - sent[key] for key in sent if key in seen] + [float("inf")] * (len(sent) - len(seen))
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(120)
        log.close()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    options = parser.parse_args()
    already = {name for name in SERVERS if services.read_running(name)}
    try:
        os.environ.update(services.ensure_up(SERVERS))
        env = {**os.environ, **local_env(), "SPARK_LOG_LEVEL": "ERROR"}
        os.environ.update(env)
        bench = Bench(env)
        triples = sample.generate(int(options.events / EVENTS_PER_RECEIVABLE), seed=7, prefix=bench.tag)
        started = time.monotonic()
        produced = sample.produce(env["KAFKA_BOOTSTRAP_SERVERS"], triples, f"{bench.tag}-")
        produce_s = time.monotonic() - started
        consume_rate = bare_consumer(env, bench.topics, produced)
        wall, counts = available_now(bench, env)
        receivables = sorted({key for _topic, key, _value in triples})
        write_rate, query_rate = moto_ceiling(f"{bench.tag}-backlog", receivables)
        job_rate = counts["read"] / wall
        busy = counts["seconds"]
        print(f"receivables_aggregator benchmark ({produced} events of {len(receivables)} receivables; "
              f"3 topics x 2 partitions; local[2] on {os.cpu_count()} cores)")  # fmt: skip
        print(f"  produce backlog           {produced / produce_s:10.0f} events/s")
        print(f"  bare consumer (raw)       {consume_rate:10.0f} events/s")
        print(f"  job AvailableNow, whole   {job_rate:10.0f} events/s  ({counts['read']} events in {wall:.1f} s, "
              f"JVM start included; {counts['batches']} batches, {counts['documents_indexed']} documents)")  # fmt: skip
        print(f"  job / bare consumer       {job_rate / consume_rate:10.4f}")
        print(f"  job, batches only         {counts['read'] / busy['batch_s']:10.0f} events/s  (JVM start and "
              "query set-up left out)")  # fmt: skip
        print(f"  moto BatchWriteItem       {write_rate:10.0f} items/s   (bare boto3, 4 threads)")
        print(f"  moto Query                {query_rate:10.1f} queries/s (bare boto3, 8 threads, "
              f"table of {counts['written']} items: moto's own Query rate)")  # fmt: skip
        job_queries = counts["documents_indexed"] / busy["batch_s"]
        print(f"  job history reads         {job_queries:10.1f} queries/s over the batches' wall time "
              f"(moto's bare ceiling above: {job_queries / query_rate:.2f} of it)")  # fmt: skip
        print("  where the job's time went (summed over Spark tasks):")
        for name in ("kafka_read_s", "dynamodb_write_s", "history_read_s", "indexing_s"):
            print(f"    {name:18} {busy[name]:8.1f} s")
        print(f"    {'batch wall time':18} {busy['batch_s']:8.1f} s (sum of micro-batches; the rest is start-up)")
        latencies = streaming_latency(bench, env, options.rate, options.seconds)
        lines = (REPO / ".local" / "logs" / "bench-receivables-stream.log").read_text().splitlines()
        batches = [json.loads(line.removeprefix("batch ")) for line in lines if line.startswith("batch {")]
        if batches:
            print(f"  streaming batches: {len(batches)}, mean {statistics.mean(b['batch_s'] for b in batches):.2f} s "
                  f"each; history reads {sum(b['history_read_s'] for b in batches):.1f} s of "
                  f"{sum(b['batch_s'] for b in batches):.1f} s batch time (summed over tasks)")  # fmt: skip
        finite = [value for value in latencies if value != float("inf")]
        print(f"  streaming at {options.rate:.0f} events/s for {options.seconds:.0f} s, 1 s micro-batches: "
              f"{len(finite)}/{len(latencies)} receivables searchable; produce-to-searchable "
              f"p50 {_percentile(latencies, 0.5):.2f} s, p95 {_percentile(latencies, 0.95):.2f} s, "
              f"max {max(finite) if finite else float('nan'):.2f} s")  # fmt: skip
        print(f"  median of the searchable ones {statistics.median(finite) if finite else float('nan'):.2f} s")
    finally:
        started_here = [name for name in SERVERS if name not in already]
        if started_here:
            services.down(started_here)


if __name__ == "__main__":
    main()
