"""One DagBag for all DAG tests, loaded the way a fresh MWAA environment would load it:
no Variables, no connections, no AWS credentials or endpoint in the environment."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from unittest import mock

import pytest

DAGS_FOLDER = Path(__file__).resolve().parents[2] / "dags"
SCRUBBED = ("AWS_", "AIRFLOW_CONN_", "AIRFLOW_VAR_", "PLATFORM", "KAFKA_", "MONGO_", "SEARCH_")


@functools.cache
def load_dagbag():
    """The project's DagBag, parsed once per test session with nothing configured."""
    from airflow.dag_processing.dagbag import DagBag

    clean_env = {key: value for key, value in os.environ.items() if not key.startswith(SCRUBBED)}
    with mock.patch.dict(os.environ, clean_env, clear=True):
        return DagBag(dag_folder=str(DAGS_FOLDER))


@pytest.fixture(scope="session")
def dagbag():
    return load_dagbag()


class _Variables:
    """`var.value` for rendering: every Variable unset, so templates fall back to their defaults."""

    @staticmethod
    def get(_name, default=None):
        return default


class _Connection:
    """`conn.<id>` for rendering: a connection as a deployment would define it (host, port, extra)."""

    def __init__(self, conn_id: str):
        self.conn_id, self.schema, self.host, self.port = conn_id, "https", f"{conn_id}.example.com", 443
        self.extra_dejson = {"bootstrap.servers": f"{conn_id}.example.com:9092"}


class _Connections:
    def __getattr__(self, conn_id: str) -> _Connection:
        return _Connection(conn_id)


class _TaskInstance:
    def __init__(self, xcoms: dict[str, object]):
        self._xcoms = xcoms

    def xcom_pull(self, task_ids=None, key="return_value"):
        return self._xcoms[task_ids]


def render(dag, value, xcoms: dict[str, object] | None = None, params: dict | None = None):
    """Render a templated field the way Airflow would, with no Variables set (and the run's `params`)."""
    context = {
        "var": {"value": _Variables()},
        "conn": _Connections(),
        "ti": _TaskInstance(xcoms or {}),
        "params": params or {},
    }
    environment = dag.get_template_env()
    if isinstance(value, str):
        return environment.from_string(value).render(**context)
    if isinstance(value, dict):
        return {key: render(dag, item, xcoms, params) for key, item in value.items()}
    if isinstance(value, list):
        return [render(dag, item, xcoms, params) for item in value]
    return value
