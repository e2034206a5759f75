from __future__ import annotations

import pytest


@pytest.fixture
def local_dagbag(aws_env, monkeypatch):
    """The project's DAGs in local mode, parsed with the local servers' environment."""
    from airflow.dag_processing.dagbag import DagBag

    from tests.dags.conftest import DAGS_FOLDER

    monkeypatch.setenv("PLATFORM", "local")
    return DagBag(dag_folder=str(DAGS_FOLDER))
