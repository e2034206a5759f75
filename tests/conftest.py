"""Shared fixtures: one SparkSession, and the real local servers started once per test session.

Servers that this test session started are stopped at its end; servers that were already
running (`make services-up`) are left running.
"""

from __future__ import annotations

import logging
import os

import pytest

from include.local.env import airflow_connections, local_env

# Before anything imports Airflow: the checkout's local Airflow home, DAGs and plugins
# (never ~/airflow); local servers are added per test by the fixtures below.
for _key, _value in local_env(with_services=False).items():
    os.environ.setdefault(_key, _value)

from include.local import services  # noqa: E402

_STARTED_BY_TESTS: set[str] = set()


def start_servers(*names: str) -> dict[str, str]:
    """Start the named servers (and what they need) unless running; return the full env."""
    already = {name for name in services.SERVERS if services.read_running(name)}
    env = services.ensure_up(list(names))
    _STARTED_BY_TESTS.update({name for name in services.SERVERS if services.read_running(name)} - already)
    return env


def pytest_sessionfinish(session, exitstatus):
    if _STARTED_BY_TESTS:
        services.down(sorted(_STARTED_BY_TESTS))


@pytest.fixture(scope="session")
def spark():
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", os.sys.executable)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("tests")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.default.parallelism", "2")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    logging.getLogger("py4j").setLevel(logging.WARNING)  # its goodbye lines hit closed log streams
    session.stop()


@pytest.fixture(scope="session")
def moto_env() -> dict[str, str]:
    """The moto server (S3, Glue Data Catalog, DynamoDB) as environment variables."""
    return start_servers("moto")


@pytest.fixture(scope="session")
def search_env() -> dict[str, str]:
    """The OpenSearch node (Elasticsearch API) as environment variables: SEARCH_URL, SEARCH_ENGINE(_VERSION)."""
    return start_servers("opensearch")


@pytest.fixture(scope="session")
def kafka_env() -> dict[str, str]:
    """The Kafka broker (KRaft, one node) as environment variables: KAFKA_BOOTSTRAP_SERVERS."""
    return start_servers("kafka")


@pytest.fixture(scope="session")
def mongo_env() -> dict[str, str]:
    """FerretDB (the MongoDB wire protocol, SQLite backend) as environment variables: MONGO_URI."""
    return start_servers("ferretdb")


@pytest.fixture
def aws_env(moto_env, monkeypatch) -> dict[str, str]:
    """For one test: boto3, Airflow's AWS hooks and local Spark all point at the moto server."""
    for key, value in {**moto_env, **airflow_connections(moto_env)}.items():
        monkeypatch.setenv(key, value)
    return moto_env
