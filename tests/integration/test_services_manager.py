"""The service manager with the real Kafka and FerretDB servers: idempotent start and stop, clear errors.

Each test leaves its server as it found it (running on the same ports, or stopped): the session fixtures of
other test modules hold those ports.
"""

from __future__ import annotations

import socket
import sys

import pytest

from include.local import services
from include.local.server_defs import ServerDef
from include.local.servers import ferretdb, kafka

pytestmark = pytest.mark.integration

ENV_OF = {
    "kafka": lambda ports: {"KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{ports['port']}"},
    "ferretdb": lambda ports: {"MONGO_URI": f"mongodb://127.0.0.1:{ports['port']}/"},
}


@pytest.fixture(params=["kafka", "ferretdb"])
def server(request, monkeypatch) -> str:
    name = request.param
    before = services.read_running(name)
    yield name
    after = services.read_running(name)
    if before is None:
        if after is not None:
            services.down([name])
    elif after is None or after.ports != before.ports:
        services.down([name])
        with monkeypatch.context() as patch:
            for port_name, port in before.ports.items():
                patch.setenv(f"{name}_{port_name}".upper(), str(port))
            services.ensure_up([name])


def test_starting_twice_is_harmless(server):
    first_env = services.ensure_up([server])
    first = services.read_running(server)
    second_env = services.ensure_up([server])
    second = services.read_running(server)

    assert (second.pid, second.ports) == (first.pid, first.ports)
    for key, value in ENV_OF[server](first.ports).items():
        assert first_env[key] == second_env[key] == value


def test_down_then_down_is_harmless(server):
    services.ensure_up([server])
    ports = services.read_running(server).ports

    assert services.down([server]) == [server]
    assert services.down([server]) == []
    assert services.read_running(server) is None
    assert all(services.port_is_free(port) for port in ports.values())


def test_a_taken_port_gives_one_clear_line(server, monkeypatch):
    services.down([server])
    variable = f"{server.upper()}_PORT"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setenv(variable, str(port))

        with pytest.raises(services.ServiceError) as error:
            services.ensure_up([server])

    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(f"{server}: port {port} ({variable}) is already in use")
    assert services.read_running(server) is None


def test_missing_java_gives_one_clear_line(monkeypatch):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")

    with pytest.raises(services.ServiceError) as error:
        kafka.prepare()

    assert str(error.value) == (
        "kafka: java not found on PATH; Kafka needs Java 17 (apt-get install openjdk-17-jre-headless)"
    )


def test_missing_go_gives_one_clear_line(monkeypatch, tmp_path):
    monkeypatch.setattr(ferretdb, "BINARY", tmp_path / "not-built" / "ferretdb")
    monkeypatch.setenv("PATH", "/nonexistent")

    with pytest.raises(services.ServiceError) as error:
        ferretdb.prepare()

    assert str(error.value) == "ferretdb: go not found on PATH; Go 1.21+ is needed once to build FerretDB v1.24.2"


def _fake(name: str, command: list[str], ready: bool = True) -> ServerDef:
    return ServerDef(name=name, ports=("port",), command=lambda ports: command, is_ready=lambda ports: ready,
                     env=lambda ports: {}, ready_timeout=10)  # fmt: skip


@pytest.fixture
def fake_servers(monkeypatch):
    """Two throwaway servers in the registry: `sleeper` (starts fine) and `broken` (exits at once)."""
    sleeper = _fake("sleeper", [sys.executable, "-c", "import time; time.sleep(120)"])
    # A broken server never answers its readiness probe (a fake that always said "ready" raced its own exit).
    broken = _fake("broken", ["false"], ready=False)
    for server in (sleeper, broken):
        monkeypatch.setitem(services.SERVERS, server.name, server)
    yield
    services.down(["sleeper", "broken"])


def test_a_port_that_is_not_a_number_is_one_line_and_starts_nothing(fake_servers, monkeypatch):
    """As `MOTO_PORT=notaport make services-up`: every port is checked before any server starts."""
    monkeypatch.setenv("BROKEN_PORT", "notaport")
    with pytest.raises(services.ServiceError) as error:
        services.ensure_up(["sleeper", "broken"])
    assert str(error.value) == "broken: BROKEN_PORT='notaport' is not a port number (1-65535); fix or unset it"
    assert services.read_running("sleeper") is None


def test_a_server_that_fails_to_start_stops_the_others_it_started_with(fake_servers):
    with pytest.raises(services.ServiceError, match="broken exited with code 1 at start"):
        services.ensure_up(["sleeper", "broken"])
    assert services.read_running("sleeper") is None, "sleeper was left running after broken failed"
