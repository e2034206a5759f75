"""Start and stop the local servers that stand in for AWS and the data stores.

    python -m include.local.services up [NAME ...]   # start (idempotent), write .local/services.env
    python -m include.local.services down            # stop exactly what `up` started
    python -m include.local.services status

Each server runs as its own process group on 127.0.0.1, on a free port (or `<NAME>_PORT`),
logs to `.local/logs/<name>.log`, and is recorded in `.local/run/<name>.json` so `down`
stops only what `up` started. The pytest fixtures call `ensure_up()` / `down()` from here.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from include.local.paths import LOG_DIR, RUN_DIR, SERVICES_ENV
from include.local.server_defs import ServerDef, ServiceError
from include.local.servers import SERVERS


@dataclass
class Running:
    name: str
    pid: int
    ports: dict[str, int]

    @property
    def state_file(self):
        return RUN_DIR / f"{self.name}.json"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wanted_port(server: ServerDef, port_name: str) -> int | None:
    """`<NAME>_<PORT>` from the environment (validated), or None to pick a free port."""
    variable = f"{server.name}_{port_name}".upper()
    wanted = os.environ.get(variable)
    if not wanted:
        return None
    if not wanted.strip().isdigit() or not 0 < int(wanted) < 65536:
        raise ServiceError(f"{server.name}: {variable}={wanted!r} is not a port number (1-65535); fix or unset it")
    if not port_is_free(int(wanted)):
        raise ServiceError(
            f"{server.name}: port {wanted} ({variable}) is already in use; "
            f"free it or unset {variable} to pick a free port"
        )
    return int(wanted)


def _choose_ports(server: ServerDef) -> dict[str, int]:
    return {name: _wanted_port(server, name) or free_port() for name in server.ports}


def read_running(name: str) -> Running | None:
    state_file = RUN_DIR / f"{name}.json"
    if not state_file.exists():
        return None
    state = json.loads(state_file.read_text())
    running = Running(name=name, pid=state["pid"], ports=state["ports"])
    if not _alive(running.pid):
        state_file.unlink(missing_ok=True)
        return None
    return running


def _stop_process_group(pid: int, stop_signal: int = signal.SIGTERM, timeout: float = 20) -> None:
    try:
        os.killpg(pid, stop_signal)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it if it is our child, so it stops being "alive"
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def start_server(server: ServerDef, env: dict[str, str] | None = None, ports: dict[str, int] | None = None) -> Running:
    """Start one server unless it already runs and answers; wait until it is ready.

    `env` is the environment to start it with (default: this process's); `ports` its ports, when
    the caller had to choose them first (default: free ones, or `<NAME>_<PORT>`).
    """
    running = read_running(server.name)
    if running and server.is_ready(running.ports):
        return running
    if running:  # alive but not answering: a stale process from a crashed run
        stop(server.name)
    server.prepare()
    ports = ports or _choose_ports(server)
    log_file = LOG_DIR / f"{server.name}.log"
    argv = server.command(ports)
    with open(log_file, "ab") as log:
        process = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**(os.environ if env is None else env), **server.extra_env(ports)},
            user=server.run_as(),
        )
    running = Running(name=server.name, pid=process.pid, ports=ports)
    state = {"pid": process.pid, "ports": ports, "stop_signal": int(server.stop_signal)}
    running.state_file.write_text(json.dumps(state))
    deadline = time.monotonic() + server.ready_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stop(server.name)
            raise ServiceError(f"{server.name} exited with code {process.returncode} at start; see {log_file}")
        if server.is_ready(ports):
            server.after_start(ports)
            return running
        time.sleep(0.25)
    stop(server.name)
    raise ServiceError(f"{server.name} did not become ready within {server.ready_timeout:.0f}s; see {log_file}")


def ensure_up(names: list[str] | None = None) -> dict[str, str]:
    """Start the named servers (all by default) unless they already run; return their env.

    Every `<NAME>_PORT` is checked before anything starts; if any server fails, the ones this
    call started are stopped again, whatever the failure.
    """
    names = list(SERVERS if names is None else names)
    unknown = [name for name in names if name not in SERVERS]
    if unknown:
        raise ServiceError(f"unknown server(s) {', '.join(unknown)}; known: {', '.join(SERVERS)}")
    for name in names:
        if not read_running(name):
            for port_name in SERVERS[name].ports:
                _wanted_port(SERVERS[name], port_name)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    already = {name for name in names if read_running(name)}
    try:
        with ThreadPoolExecutor(max_workers=len(names)) as pool:
            results = {name: pool.submit(start_server, SERVERS[name]) for name in names}
        errors = []
        for result in results.values():
            try:
                result.result()
            except ServiceError as error:
                errors.append(str(error))
        if errors:
            raise ServiceError("; ".join(errors))
    except BaseException:
        for name in names:
            if name not in already:
                stop(name)
        raise
    return write_env()


def current_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for name, server in SERVERS.items():
        running = read_running(name)
        if running:
            env.update(server.env(running.ports))
    return env


def write_env() -> dict[str, str]:
    env = current_env()
    lines = [f"{key}={value}" for key, value in sorted(env.items())]
    SERVICES_ENV.parent.mkdir(parents=True, exist_ok=True)
    SERVICES_ENV.write_text("# written by include/local/services.py; do not edit\n" + "\n".join(lines) + "\n")
    return env


def stop(name: str) -> bool:
    running = read_running(name)
    state_file = RUN_DIR / f"{name}.json"
    if running:
        stop_signal = json.loads(state_file.read_text()).get("stop_signal", signal.SIGTERM)
        _stop_process_group(running.pid, stop_signal)
    state_file.unlink(missing_ok=True)
    return running is not None


def down(names: list[str] | None = None) -> list[str]:
    stopped = [name for name in reversed(list(SERVERS if names is None else names)) if stop(name)]
    if any(read_running(name) for name in SERVERS):
        write_env()
    else:
        SERVICES_ENV.unlink(missing_ok=True)
    return stopped


def status() -> dict[str, str]:
    lines = {}
    for name, server in SERVERS.items():
        running = read_running(name)
        if not running:
            lines[name] = "stopped"
        else:
            state = "ready" if server.is_ready(running.ports) else "NOT ANSWERING"
            lines[name] = f"{state} pid={running.pid} ports={running.ports}"
    return lines


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"up", "down", "status"}:
        print("usage: python -m include.local.services up|down|status [NAME ...]", file=sys.stderr)
        return 2
    command, names = argv[0], argv[1:] or None
    try:
        if command == "up":
            started_at = time.monotonic()
            env = ensure_up(names)
            print(f"services up in {time.monotonic() - started_at:.1f}s; endpoints in {SERVICES_ENV}")
            for key, value in sorted(env.items()):
                print(f"  {key}={value}")
        elif command == "down":
            stopped = down(names)
            print(f"stopped: {', '.join(stopped) if stopped else 'nothing was running'}")
        else:
            for name, line in status().items():
                print(f"{name:12} {line}")
    except ServiceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
