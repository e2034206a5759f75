"""The environment of a local Airflow: where its home, DAGs and plugins are, and the servers.

    eval "$(.venv/bin/python -m include.local.env)"   # what the Makefile does before airflow

Values already in the environment win, so `PLATFORM=mwaa make ...` still means mwaa.
"""

from __future__ import annotations

import os
import shlex

from include.local.paths import AIRFLOW_HOME, REPO_ROOT, SERVICES_ENV, VENV_BIN


def services_env() -> dict[str, str]:
    if not SERVICES_ENV.is_file():
        return {}
    env = {}
    for line in SERVICES_ENV.read_text().splitlines():
        key, separator, value = line.partition("=")
        if separator and not key.startswith("#"):
            env[key.strip()] = value.strip()
    return env


def local_airflow_env(with_services: bool = True) -> dict[str, str]:
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
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), str(REPO_ROOT / "plugins")]),
    }
    env = {**defaults, **(services_env() if with_services else {})}
    return {key: os.environ.get(key, value) if key != "PYTHONPATH" else value for key, value in env.items()}


if __name__ == "__main__":
    for key, value in local_airflow_env().items():
        print(f"export {key}={shlex.quote(value)}")
