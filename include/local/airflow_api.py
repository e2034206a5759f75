"""A small client for the local Airflow's REST API v2 (what the UI uses), for scripts and tests.

client = AirflowClient.from_credentials()           # .local/airflow/credentials.json (`make airflow`)
run_id = client.trigger("car_telemetry", conf={...})  # logical_date null, like the UI form left empty
client.wait_for_run("car_telemetry", run_id)
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from include.local.paths import AIRFLOW_HOME

FINISHED = {"success", "failed"}


class AirflowApiError(RuntimeError):
    """The API answered with an error; the message has the status and the body."""


class AirflowClient:
    def __init__(self, url: str, username: str, password: str):
        self.url, self.username, self.password = url.rstrip("/"), username, password
        self._token: str | None = None

    @classmethod
    def from_credentials(cls, path: Path = AIRFLOW_HOME / "credentials.json") -> AirflowClient:
        credentials = json.loads(path.read_text())
        return cls(credentials["url"], credentials["username"], credentials["password"])

    def _send(self, method: str, path: str, body: dict | None = None, auth: bool = True) -> dict:
        request = urllib.request.Request(
            f"{self.url}{path}",
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {self.token}"} if auth else {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read().decode()
        except urllib.error.HTTPError as error:
            raise AirflowApiError(f"{method} {path}: HTTP {error.code}: {error.read().decode()[:500]}") from None
        return json.loads(text) if text else {}

    @property
    def token(self) -> str:
        if self._token is None:
            answer = self._send("POST", "/auth/token", {"username": self.username, "password": self.password}, False)
            self._token = answer["access_token"]
        return self._token

    def get(self, path: str) -> dict:
        return self._send("GET", path)

    def trigger(self, dag_id: str, conf: dict | None = None, logical_date: str | None = None) -> str:
        """A manual run; `logical_date` None is the UI form with the date cleared."""
        body = {"conf": conf or {}, "logical_date": logical_date}
        return self._send("POST", f"/api/v2/dags/{dag_id}/dagRuns", body)["dag_run_id"]

    def set_paused(self, dag_id: str, paused: bool) -> None:
        self._send("PATCH", f"/api/v2/dags/{dag_id}?update_mask=is_paused", {"is_paused": paused})

    def set_variable(self, key: str, value: str) -> None:
        try:
            self._send("PATCH", f"/api/v2/variables/{key}", {"key": key, "value": value})
        except AirflowApiError:
            self._send("POST", "/api/v2/variables", {"key": key, "value": value})

    def runs(self, dag_id: str, **filters: str) -> list[dict]:
        query = urllib.parse.urlencode({"limit": 100, "order_by": "run_after", **filters})
        return self.get(f"/api/v2/dags/{dag_id}/dagRuns?{query}")["dag_runs"]

    def run(self, dag_id: str, run_id: str) -> dict:
        return self.get(f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id, safe='')}")

    def task_instances(self, dag_id: str, run_id: str) -> dict[str, dict]:
        path = f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id, safe='')}/taskInstances"
        return {ti["task_id"]: ti for ti in self.get(path)["task_instances"]}

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 900) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.run(dag_id, run_id)
            if run["state"] in FINISHED:
                return run
            time.sleep(3)
        raise TimeoutError(f"{dag_id} run {run_id} did not finish within {timeout:.0f}s: {self.run(dag_id, run_id)}")

    def wait_for_task_state(self, dag_id: str, run_id: str, task_id: str, states: set[str], timeout: float = 600):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.task_instances(dag_id, run_id).get(task_id, {}).get("state")
            if state in states:
                return state
            time.sleep(2)
        raise TimeoutError(f"{dag_id}.{task_id} in {run_id} never reached {states}")

    def wait_for_dag(self, dag_id: str, timeout: float = 180) -> None:
        """Until the DAG processor has parsed and stored the DAG."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.get(f"/api/v2/dags/{dag_id}")
                return
            except AirflowApiError:
                time.sleep(2)
        raise TimeoutError(f"DAG {dag_id} not parsed within {timeout:.0f}s")
