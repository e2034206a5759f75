"""Run a DAG once through the real Airflow CLI (`airflow dags test`) in local mode."""

from __future__ import annotations

import json
import os
import subprocess
import time

from include.local.env import local_env
from include.local.paths import LOG_DIR, VENV_BIN


class DemoError(Exception):
    pass


def run_dag(dag_id: str, conf: dict, label: str) -> float:
    """`airflow dags test DAG --conf ...`; its whole log goes to .local/logs/demo-<label>.log."""
    log_file = LOG_DIR / f"demo-{label}.log"
    env = {**os.environ, **local_env(), "PLATFORM": "local"}
    started = time.monotonic()
    with open(log_file, "w") as log:
        result = subprocess.run(
            [str(VENV_BIN / "airflow"), "dags", "test", dag_id, "--conf", json.dumps(conf)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    elapsed = time.monotonic() - started
    text = log_file.read_text()
    if result.returncode != 0 or "state=failed" in text:
        raise DemoError(f"{dag_id} run failed after {elapsed:.0f}s; see {log_file}")
    return elapsed
