"""The local Kafka broker, through the client code the pipelines use: Airflow's Kafka hooks and Spark's Kafka source."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid

import pytest

from include.local.paths import REPO_ROOT
from include.local.servers.kafka import create_topics

pytestmark = pytest.mark.integration

CONN_ID = "kafka_it"
MESSAGES = [
    (b"order-1", b'{"order_id": 1, "amount": 120}'),
    (b"order-2", b'{"order_id": 2, "amount": 80}'),
    (b"order-3", b'{"order_id": 3, "amount": 45}'),
]


def _topic(prefix: str) -> str:
    """A fresh topic: the broker keeps its data between runs."""
    return f"it-{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def kafka_conn(kafka_env, monkeypatch) -> str:
    """An Airflow connection to the local broker, given the way a deployment gives it: an env var."""
    extra = {
        "bootstrap.servers": kafka_env["KAFKA_BOOTSTRAP_SERVERS"],
        "group.id": f"it-{uuid.uuid4().hex[:8]}",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    }
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps({"conn_type": "kafka", "extra": extra}))
    return CONN_ID


def _produce(conn_id: str, topic: str) -> None:
    from airflow.providers.apache.kafka.hooks.produce import KafkaProducerHook

    delivered = []
    producer = KafkaProducerHook(kafka_config_id=conn_id).get_producer()
    for key, value in MESSAGES:
        producer.produce(topic, key=key, value=value, on_delivery=lambda err, msg: delivered.append(err))
    assert producer.flush(30) == 0
    assert delivered == [None, None, None]


def _consume(conn_id: str, topic: str, count: int, timeout: float = 30) -> list[tuple]:
    from airflow.providers.apache.kafka.hooks.consume import KafkaConsumerHook

    consumer = KafkaConsumerHook(topics=[topic], kafka_config_id=conn_id).get_consumer()
    received = []
    deadline = time.monotonic() + timeout
    try:
        while len(received) < count and time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is None:
                continue
            assert message.error() is None, message.error()
            received.append((message.topic(), message.partition(), message.offset(), message.key(), message.value()))
    finally:
        consumer.close()
    return received


def test_env_names_the_loopback_broker(kafka_env):
    host, _, port = kafka_env["KAFKA_BOOTSTRAP_SERVERS"].partition(":")
    assert host == "127.0.0.1"
    assert port.isdigit()


def test_round_trip_through_airflow_hooks_on_an_auto_created_topic(kafka_conn):
    topic = _topic("hooks")

    _produce(kafka_conn, topic)

    assert _consume(kafka_conn, topic, count=3) == [
        (topic, 0, 0, b"order-1", b'{"order_id": 1, "amount": 120}'),
        (topic, 0, 1, b"order-2", b'{"order_id": 2, "amount": 80}'),
        (topic, 0, 2, b"order-3", b'{"order_id": 3, "amount": 45}'),
    ]


def test_explicitly_created_topic_has_the_asked_partitions(kafka_conn, kafka_env):
    from airflow.providers.apache.kafka.hooks.client import KafkaAdminClientHook

    topic = _topic("explicit")
    create_topics(kafka_env["KAFKA_BOOTSTRAP_SERVERS"], topic, partitions=3)
    create_topics(kafka_env["KAFKA_BOOTSTRAP_SERVERS"], topic, partitions=3)  # a second time is harmless

    metadata = KafkaAdminClientHook(kafka_config_id=kafka_conn).get_conn.list_topics(topic, timeout=10)
    assert sorted(metadata.topics[topic].partitions) == [0, 1, 2]


SPARK_READ = """
import json, sys
from pyspark.sql import SparkSession
from datalake.session import KAFKA_PACKAGE
from include.local.paths import CACHE_DIR

spark = (
    SparkSession.builder.master("local[1]")
    .config("spark.ui.enabled", "false")
    .config("spark.jars.packages", KAFKA_PACKAGE)
    .config("spark.jars.ivy", str(CACHE_DIR / "ivy"))
    .getOrCreate()
)
spark.sparkContext.setLogLevel("ERROR")
rows = (
    spark.read.format("kafka")
    .option("kafka.bootstrap.servers", sys.argv[1])
    .option("subscribe", sys.argv[2])
    .option("startingOffsets", "earliest")
    .option("endingOffsets", "latest")
    .load()
    .selectExpr("topic", "partition", "offset", "CAST(key AS STRING) AS key", "CAST(value AS STRING) AS value")
    .orderBy("offset")
    .collect()
)
print("ROWS=" + json.dumps([list(row) for row in rows]))
spark.stop()
"""


@pytest.mark.slow
def test_spark_kafka_source_reads_the_topic_in_batch(kafka_conn, kafka_env):
    """Spark's own Kafka source (kafka-clients 3.4 inside) against the 4.x broker.

    In a fresh Python process: `spark.jars.packages` only counts when the JVM starts, and the test session's
    shared SparkSession may already be running without the Kafka connector.
    """
    topic = _topic("spark")
    create_topics(kafka_env["KAFKA_BOOTSTRAP_SERVERS"], topic)
    _produce(kafka_conn, topic)

    result = subprocess.run(
        [sys.executable, "-c", SPARK_READ, kafka_env["KAFKA_BOOTSTRAP_SERVERS"], topic],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT / "spark_jobs"), "PYSPARK_PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    [line] = [line for line in result.stdout.splitlines() if line.startswith("ROWS=")]
    assert json.loads(line.removeprefix("ROWS=")) == [
        [topic, 0, 0, "order-1", '{"order_id": 1, "amount": 120}'],
        [topic, 0, 1, "order-2", '{"order_id": 2, "amount": 80}'],
        [topic, 0, 2, "order-3", '{"order_id": 3, "amount": 45}'],
    ]
