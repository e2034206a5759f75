"""The local Airflow the way MWAA runs it: api-server, scheduler, DAG processor and triggerer on PostgreSQL.

    python -m include.local.airflow up      # `make airflow`: servers + Airflow, waits until healthy
    python -m include.local.airflow down    # `make airflow-down`: stops exactly what `up` started
    python -m include.local.airflow status

Every component is a process of its own (logs in `.local/logs/airflow-<component>.log`), started
with the same environment: `include.local.env.local_env()` (DAGs, plugins, local Spark, the
servers' endpoints and connections) plus the settings below. It binds 127.0.0.1 only, runs on the
`postgres` server's `airflow` database, and is sized for a 2-core machine (LocalExecutor with
`PARALLELISM` task slots: each local Glue stage is a Spark JVM). `up` writes
`.local/airflow/credentials.json` ({"url", "username", "password"}) for tools and scripts.
Starting it twice is harmless; `down` stops the components, then the servers `up` started.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from include.local import services
from include.local.env import airflow_connections, local_env
from include.local.paths import AIRFLOW_HOME, LOG_DIR, RUN_DIR, VENV_BIN
from include.local.server_defs import LOOPBACK, ServerDef, ServiceError, http_answers
from include.local.servers.postgres import url as postgres_url

USERNAME = "admin"
PARALLELISM = 3
HEALTH_TIMEOUT_S = 180
COMPONENTS = ("dag-processor", "scheduler", "triggerer")


@dataclass(frozen=True)
class Stack:
    """One local Airflow: its name prefix (for process records and logs), home, and database."""

    prefix: str = "airflow"
    home: Path = AIRFLOW_HOME
    database: str = "airflow"

    @property
    def credentials_file(self) -> Path:
        return self.home / "credentials.json"

    @property
    def record(self) -> Path:
        return RUN_DIR / f"{self.prefix}-stack.json"

    def component(self, name: str) -> str:
        return f"{self.prefix}-{name}"


def _secrets(stack: Stack) -> dict[str, str]:
    """Generated once per home: every component must share them (task tokens, sessions, the admin password)."""
    path = stack.home / "secrets.json"
    if not path.is_file():
        stack.home.mkdir(parents=True, exist_ok=True)
        values = {"jwt_secret": secrets.token_hex(32), "secret_key": secrets.token_hex(32),
                  "password": secrets.token_urlsafe(12)}  # fmt: skip
        path.write_text(json.dumps(values))
        path.chmod(0o600)
    return json.loads(path.read_text())


def airflow_env(stack: Stack, api_port: int | None = None, overrides: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of every component (and of the `airflow` CLI against this stack)."""
    values = _secrets(stack)
    passwords = stack.home / "passwords.json"
    passwords.write_text(json.dumps({USERNAME: values["password"]}))
    if api_port is None:
        api_port = services.read_running(stack.component("api-server")).ports["port"]
    env = {**os.environ, **local_env(), **(overrides or {})}
    env.update(airflow_connections(env))
    port = services.read_running("postgres").ports["port"]
    return {
        **env,
        "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",  # components start `airflow` from PATH
        "AIRFLOW_HOME": str(stack.home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": postgres_url(port, stack.database),
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": str(PARALLELISM),
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://{LOOPBACK}:{api_port}/execution/",
        "AIRFLOW__API__HOST": LOOPBACK,
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__API__BASE_URL": f"http://{LOOPBACK}:{api_port}",
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API_AUTH__JWT_SECRET": values["jwt_secret"],
        "AIRFLOW__API__SECRET_KEY": values["secret_key"],
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USERNAME}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_SEC": "10",
        # Warnings every component printed at start that are not the project's and buried real errors:
        # starlette's test client about httpx (imported by FastAPI, never used here).
        "PYTHONWARNINGS": "ignore::DeprecationWarning,ignore:Using `httpx` with `starlette.testclient`",
    }


def _component(stack: Stack, name: str, api_port: int | None = None) -> ServerDef:
    airflow = str(VENV_BIN / "airflow")
    if name == "api-server":
        return ServerDef(
            name=stack.component(name),
            ports=("port",),
            command=lambda ports: [airflow, "api-server", "--host", LOOPBACK, "--port", str(ports["port"])],
            is_ready=lambda ports: http_answers(f"http://{LOOPBACK}:{ports['port']}/api/v2/monitor/health"),
            env=lambda ports: {},
            ready_timeout=120,
        )
    # The scheduler's and triggerer's log servers bind every interface; the api-server reads the
    # local log files directly, so they are not started.
    serve_logs = ["--skip-serve-logs"] if name in ("scheduler", "triggerer") else []
    return ServerDef(name=stack.component(name), ports=(), command=lambda ports: [airflow, name, *serve_logs],
                     is_ready=lambda ports: True, env=lambda ports: {})  # fmt: skip


def health(url: str) -> dict:
    with urllib.request.urlopen(f"{url}/api/v2/monitor/health", timeout=5) as response:
        return json.load(response)


def _wait_healthy(url: str) -> None:
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    state: dict = {}
    while time.monotonic() < deadline:
        try:
            state = health(url)
        except (urllib.error.URLError, OSError, ValueError):
            state = {}
        parts = ("metadatabase", "scheduler", "triggerer", "dag_processor")
        if state and all(state.get(part, {}).get("status") == "healthy" for part in parts):
            return
        time.sleep(1)
    raise ServiceError(f"Airflow at {url} not healthy within {HEALTH_TIMEOUT_S}s: {state}; see {LOG_DIR}/airflow-*.log")


def _migrate(stack: Stack, env: dict[str, str]) -> None:
    log_file = LOG_DIR / f"{stack.prefix}-db-migrate.log"
    with open(log_file, "wb") as log:
        result = subprocess.run([str(VENV_BIN / "airflow"), "db", "migrate"], env=env, stdout=log,
                                stderr=subprocess.STDOUT, check=False, timeout=600)  # fmt: skip
    if result.returncode != 0:
        raise ServiceError(f"airflow db migrate failed; see {log_file}")


def up(stack: Stack = Stack(), servers: list[str] | None = None, overrides: dict[str, str] | None = None) -> dict:
    """Start the servers and Airflow (each unless running); return the credentials."""
    already = {name for name in services.SERVERS if services.read_running(name)}
    services.ensure_up(sorted({*(servers or services.SERVERS), "postgres"}))
    started_servers = sorted({name for name in services.SERVERS if services.read_running(name)} - already)
    if not stack.record.is_file():
        stack.record.write_text(json.dumps({"servers": started_servers}))
    api = _component(stack, "api-server")
    existing = services.read_running(api.name)
    api_port = existing.ports["port"] if existing else services.free_port()
    env = airflow_env(stack, api_port, overrides)
    _migrate(stack, env)
    try:
        services.start_server(api, env, ports={"port": api_port})
        for name in COMPONENTS:
            services.start_server(_component(stack, name), env)
        url = f"http://{LOOPBACK}:{api_port}"
        _wait_healthy(url)
    except BaseException:
        down(stack)
        raise
    credentials = {"url": url, "username": USERNAME, "password": _secrets(stack)["password"]}
    stack.credentials_file.write_text(json.dumps(credentials, indent=2))
    stack.credentials_file.chmod(0o600)
    return credentials


def down(stack: Stack = Stack()) -> list[str]:
    stopped = [name for name in (*reversed(COMPONENTS), "api-server") if services.stop(stack.component(name))]
    if stack.record.is_file():
        started = json.loads(stack.record.read_text()).get("servers", [])
        services.down(started)
        stack.record.unlink()
    stack.credentials_file.unlink(missing_ok=True)
    return stopped


def status(stack: Stack = Stack()) -> dict[str, str]:
    return {
        name: ("running" if services.read_running(stack.component(name)) else "stopped")
        for name in ("api-server", *COMPONENTS)
    }


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"up", "down", "status"}:
        print("usage: python -m include.local.airflow up|down|status", file=sys.stderr)
        return 2
    try:
        if argv[0] == "up":
            started = time.monotonic()
            credentials = up()
            print(f"Airflow is up in {time.monotonic() - started:.0f}s: {credentials['url']} "
                  f"(user {credentials['username']}, password {credentials['password']}); "
                  f"credentials in {Stack().credentials_file}; logs in {LOG_DIR}/airflow-*.log")  # fmt: skip
            print("DAGs start paused: unpause one in the UI or with `airflow dags unpause <dag_id>`.")
        elif argv[0] == "down":
            stopped = down()
            print(f"stopped: {', '.join(stopped) if stopped else 'nothing was running'}")
        else:
            for name, state in status().items():
                print(f"{name:14} {state}")
    except ServiceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
