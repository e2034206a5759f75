"""receivables_lifecycle end to end in local mode: Airflow runs the DAG, the Glue stage runs the real job on
local PySpark against the Kafka broker, moto (DynamoDB, S3 checkpoint) and OpenSearch, and the counts are
published. The connections come from the local servers' environment, as `make airflow` gives them."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest

from include.local.env import airflow_connections
from include.local.lake import clear_prefix
from include.sample_data import receivables as sample

pytestmark = [pytest.mark.integration, pytest.mark.slow]
STATE = "stream/receivables/"


@pytest.fixture
def receivables_env(local_dagbag, aws_env, kafka_env, search_env, monkeypatch):
    services = {**aws_env, **kafka_env, **search_env}
    for key, value in {**services, **airflow_connections(services)}.items():
        monkeypatch.setenv(key, value)
    clear_prefix("dp-lake", STATE)
    clear_prefix("dp-lake", "quarantine/receivables/")
    dynamodb = boto3.client("dynamodb")
    if "Recebiveis" in dynamodb.list_tables()["TableNames"]:
        dynamodb.delete_table(TableName="Recebiveis")
    from opensearchpy import OpenSearch

    search = OpenSearch(hosts=[search_env["SEARCH_URL"]])
    search.indices.delete(index="ciclo_vida_recebiveis", ignore_unavailable=True)
    sample.recreate_topics(kafka_env["KAFKA_BOOTSTRAP_SERVERS"], sample.TOPICS.values())
    return services, search


def _run(dagbag):
    run = dagbag.get_dag("receivables_lifecycle").test()
    return {ti.task_id: ti.state for ti in run.get_task_instances()}


def _latest_counts() -> dict:
    s3 = boto3.client("s3")
    listed = s3.list_objects_v2(Bucket="dp-lake", Prefix=f"{STATE}_counts/")["Contents"]
    latest = max(listed, key=lambda entry: (entry["LastModified"], entry["Key"]))
    return json.loads(s3.get_object(Bucket="dp-lake", Key=latest["Key"])["Body"].read())


def test_the_available_now_dag_indexes_new_events_and_publishes_its_counts(local_dagbag, receivables_env):
    """(A rerun with nothing new is tested on the job itself, tests/receivables: one JVM start less here.)"""
    services, search = receivables_env
    prefix = f"E2E{uuid.uuid4().hex[:6]}"
    triples = sample.generate(20, seed=9, bad_share=0.2, prefix=prefix)
    sample.produce(services["KAFKA_BOOTSTRAP_SERVERS"], triples)

    states = _run(local_dagbag)
    assert set(states.values()) == {"success"}, states
    first = _latest_counts()
    search.indices.refresh(index="ciclo_vida_recebiveis")
    ours = search.search(index="ciclo_vida_recebiveis", body={"query": {"prefix": {"id_recebivel": prefix}},
                                                             "size": 100})["hits"]["hits"]  # fmt: skip
    assert sorted(hit["_id"] for hit in ours) == [f"{prefix}-{n:07d}" for n in range(20)]
    assert {hit["_source"]["status"] for hit in ours} <= {"ATIVO", "ZERADO"}
    assert first["read"] >= len(triples)
    assert first["quarantined"] >= sum(key.startswith(f"{prefix}-BAD") for _topic, key, _value in triples)
