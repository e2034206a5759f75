"""The environment of local mode: Airflow's home, DAGs and plugins, local Spark, and the servers.

    eval "$(.venv/bin/python -m include.local.env)"   # what the Makefile does before airflow or a job

One place builds it, and every local tool uses it: the Makefile, the local Glue runner's jobs,
the tests, the demo and the benchmarks. `.local/services.env` (written by `services.py`) is read
here and nowhere else. Values already in the environment win, so `PLATFORM=mwaa make ...` still
means mwaa.
"""

from __future__ import annotations

import json
import os
import shlex
from urllib.parse import quote, urlsplit

from dotenv import dotenv_values

from include.local.paths import AIRFLOW_HOME, CACHE_DIR, REPO_ROOT, SERVICES_ENV, VENV_BIN

LOCAL_SPARK_MASTER = "local[2]"


def services_env() -> dict[str, str]:
    """The running local servers' endpoints (empty when none runs)."""
    if not SERVICES_ENV.is_file():
        return {}
    return {key: value for key, value in dotenv_values(SERVICES_ENV).items() if value is not None}


def airflow_connections(services: dict[str, str]) -> dict[str, str]:
    """Airflow connections for the local servers, as `AIRFLOW_CONN_*` (no secrets: moto's dummy keys)."""
    connections = {}
    endpoint = services.get("AWS_ENDPOINT_URL")
    if endpoint:
        connections["AIRFLOW_CONN_AWS_DEFAULT"] = (
            f"aws://{services['AWS_ACCESS_KEY_ID']}:{services['AWS_SECRET_ACCESS_KEY']}@/"
            f"?region_name={services.get('AWS_DEFAULT_REGION', 'us-east-1')}&endpoint_url={quote(endpoint, safe='')}"
        )
    mongo_uri = services.get("MONGO_URI")
    if mongo_uri:
        address = urlsplit(mongo_uri)
        # plain mongodb:// (no SRV lookup, no TLS); fail in seconds, not 30 s, if the server is gone
        extra = {"srv": False, "ssl": False, "serverSelectionTimeoutMS": 10000}
        connection = {"conn_type": "mongo", "host": address.hostname, "port": address.port, "extra": extra}
        connections["AIRFLOW_CONN_MONGO_DEFAULT"] = json.dumps(connection)
    bootstrap = services.get("KAFKA_BOOTSTRAP_SERVERS")
    if bootstrap:
        connections["AIRFLOW_CONN_KAFKA_DEFAULT"] = json.dumps(
            {"conn_type": "kafka", "extra": {"bootstrap.servers": bootstrap, "group.id": "dataplatform-local"}}
        )
    search_url = services.get("SEARCH_URL")
    if (
        search_url
    ):  # the local node is plain HTTP without auth (production: https + SigV4, see dataplatform.receivables)
        address = urlsplit(search_url)
        connection = {"conn_type": "http", "schema": address.scheme, "host": address.hostname, "port": address.port,
                      "extra": {"auth": "none"}}  # fmt: skip
        connections["AIRFLOW_CONN_RECEIVABLES_SEARCH"] = json.dumps(connection)
    return connections


def local_env(with_services: bool = True) -> dict[str, str]:
    """Everything local mode needs, for Airflow and for a Glue script run by hand."""
    services = services_env() if with_services else {}
    defaults = {
        "AIRFLOW_HOME": str(AIRFLOW_HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{AIRFLOW_HOME}/airflow.db",
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
        "PLATFORM": "local",
        "DATAPLATFORM_SPARK_JOBS_DIR": str(REPO_ROOT / "spark_jobs"),
        "DATAPLATFORM_SPARK_PYTHON": str(VENV_BIN / "python"),
        "DATAPLATFORM_SPARK_MASTER": LOCAL_SPARK_MASTER,
        "DATAPLATFORM_CACHE": str(CACHE_DIR),
        # moto shows an object the instant its upload starts: no in-flight uploads to wait for, and a
        # run of the current hour may start on the files already there (-1: do not wait for the close).
        "AIRFLOW_VAR_DATAPLATFORM_LANDING_SETTLE_SECONDS": "-1",
        **services,
        **airflow_connections(services),
    }
    return {key: os.environ.get(key, value) for key, value in defaults.items()}


if __name__ == "__main__":
    for key, value in local_env().items():
        print(f"export {key}={shlex.quote(value)}")
