"""receivables_lifecycle on sample events: produce to Kafka, run the AvailableNow DAG, show documents and statuses."""

from __future__ import annotations

import json
import os

import boto3

from datalake.conventions import DEFAULTS
from include.demos.airflow_run import run_dag
from include.local.lake import clear_prefix
from include.sample_data import receivables as sample

LAKE_BUCKET = DEFAULTS["lake_bucket"]
STATE = "stream/receivables/"
INDEX, TABLE = "ciclo_vida_recebiveis", "Recebiveis"


def _fresh_start(search) -> None:
    """The demo starts from nothing: no checkpoint, dead letter, table or index (and empty topics, below)."""
    clear_prefix(LAKE_BUCKET, STATE)
    clear_prefix(LAKE_BUCKET, "quarantine/receivables/")
    dynamodb = boto3.client("dynamodb")
    if TABLE in dynamodb.list_tables()["TableNames"]:
        dynamodb.delete_table(TableName=TABLE)
    search.indices.delete(index=INDEX, ignore_unavailable=True)


def _latest_counts() -> dict:
    s3 = boto3.client("s3")
    listed = s3.list_objects_v2(Bucket=LAKE_BUCKET, Prefix=f"{STATE}_counts/")["Contents"]
    latest = max(listed, key=lambda entry: (entry["LastModified"], entry["Key"]))
    return json.loads(s3.get_object(Bucket=LAKE_BUCKET, Key=latest["Key"])["Body"].read())


def run() -> list[str]:
    from opensearchpy import OpenSearch

    search = OpenSearch(hosts=[os.environ["SEARCH_URL"]], timeout=30)
    _fresh_start(search)
    bootstrap = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    sample.recreate_topics(bootstrap, sample.TOPICS.values())
    produced = sample.produce(bootstrap, sample.generate(200, seed=3, bad_share=0.1, prefix="DEMO"))
    seconds = run_dag("receivables_lifecycle", {}, "receivables_lifecycle-1")

    counts = _latest_counts()
    search.indices.refresh(index=INDEX)
    statuses = search.search(index=INDEX, body={"size": 0, "aggs": {"s": {"terms": {"field": "status"}}}})
    shown = search.search(index=INDEX, body={"size": 3, "sort": [{"id_recebivel": "asc"}],
                                             "query": {"range": {"qtd_eventos": {"gte": 2}}}})  # fmt: skip
    buckets = statuses["aggregations"]["s"]["buckets"]
    return [
        f"receivables_lifecycle: {produced} events produced to Kafka, AvailableNow run ({seconds:.0f}s)",
        f"    consumed {counts['read']}, written to DynamoDB {counts['written']}, dead-lettered "
        f"{counts['quarantined']}, superseded {counts['superseded']}, documents indexed "
        f"{counts['documents_indexed']} in {counts['batches']} batch(es)",
        f"    time: {json.dumps(counts['seconds'], sort_keys=True)}",
        "    statuses in ciclo_vida_recebiveis: " + ", ".join(f"{b['key']} {b['doc_count']}" for b in buckets),
        "  lifecycle documents (a few with more than one event):",
        *(f"    {json.dumps(hit['_source'], sort_keys=True)}" for hit in shown["hits"]["hits"]),
    ]
