"""What `foreachBatch` does with one micro-batch: validate, store events, recompute and index documents.

Two Spark actions per batch, so every event of the batch is in DynamoDB before any history is read:
1. per Kafka partition: parse and validate each message, write the valid events to DynamoDB in
   chunks of 25 (one client per partition, on the executors), return the dead letters and the
   receivables touched;
2. per slice of those receivables: read each one's whole history (a bounded pool of Query threads),
   compute its document and bulk-index it.
Every write is idempotent (an item by its key, a document by `id_recebivel`, the dead letter of a
batch by its batch id), so a batch that runs again after a crash leaves the same result.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from datalake import storage
from datalake.receivables import dynamo, events, lifecycle, search

TIMINGS = ("kafka_read_s", "dynamodb_write_s", "history_read_s", "indexing_s")


@dataclass(frozen=True)
class Sinks:
    table: str
    index: str
    search_url: str
    search_auth: str
    dead_letter_path: str


def _store_partition(sinks: Sinks, rows) -> list[dict]:
    started = time.monotonic()
    messages = [events.Message(row.topic, row.partition, row.offset, row.key, row.value) for row in rows]
    read_s = time.monotonic() - started
    valid: dict[tuple[str, str], dict] = {}
    dead = []
    for message in messages:
        event, refused = events.classify(message)
        if refused:
            dead.append(refused)
        else:  # the same key twice in one request is refused by DynamoDB: the later delivery wins
            valid[(event["id_recebivel"], event["sk"])] = event
    started = time.monotonic()
    written = dynamo.write_events(sinks.table, valid.values())
    summary = {
        "read": len(messages),
        "written": written,
        "superseded": len(messages) - len(dead) - written,
        "dead": dead,
        "ids": sorted({key[0] for key in valid}),
        "kafka_read_s": read_s,
        "dynamodb_write_s": time.monotonic() - started,
    }
    return [summary]


def _index_partition(sinks: Sinks, ids) -> list[dict]:
    ids = list(ids)
    started = time.monotonic()
    stored = dynamo.histories(sinks.table, ids)
    read_s = time.monotonic() - started
    documents = [doc for doc in (lifecycle.document(one, stored[one]) for one in ids) if doc is not None]
    started = time.monotonic()
    indexed = search.index_documents(search.client(sinks.search_url, sinks.search_auth), sinks.index, documents)
    return [{"indexed": indexed, "history_read_s": read_s, "indexing_s": time.monotonic() - started}]


def dead_letter_file(dead_letter_path: str, batch_id: int) -> str:
    """One file per batch: a batch run again after a crash replaces its own file."""
    return f"{dead_letter_path.rstrip('/')}/batch_id={batch_id:09d}.jsonl"


def process(sinks: Sinks, batch: DataFrame, batch_id: int) -> dict:
    """Run one micro-batch; returns its counts and where the time went (summed over tasks)."""
    spark = batch.sparkSession
    wall = time.monotonic()
    messages = batch.select(
        "topic", "partition", "offset", F.col("key").cast("string").alias("key"),
        F.col("value").cast("string").alias("value"),
    )  # fmt: skip
    stored = messages.rdd.mapPartitions(lambda rows: _store_partition(sinks, rows)).collect()
    dead = [line for part in stored for line in part["dead"]]
    if dead:
        lines = "".join(json.dumps(line, sort_keys=True, ensure_ascii=False) + "\n" for line in dead)
        storage.write_text(spark, dead_letter_file(sinks.dead_letter_path, batch_id), lines)
    ids = sorted({one for part in stored for one in part["ids"]})
    slices = max(1, min(len(ids) // 200 + 1, spark.sparkContext.defaultParallelism))
    indexed = (
        spark.sparkContext.parallelize(ids, slices).mapPartitions(lambda part: _index_partition(sinks, part)).collect()
        if ids
        else []
    )
    counts = {
        "read": sum(part["read"] for part in stored),
        "written": sum(part["written"] for part in stored),
        "quarantined": len(dead),
        "superseded": sum(part["superseded"] for part in stored),
        "receivables": len(ids),
        "documents_indexed": sum(part["indexed"] for part in indexed),
        "batches": 1,
    }
    timings = {name: sum(part.get(name, 0.0) for part in [*stored, *indexed]) for name in TIMINGS}
    return {**counts, **timings, "batch_s": time.monotonic() - wall}
