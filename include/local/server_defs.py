"""The local servers: how each is prepared (installed, cached), started, probed and described.

A server is a `ServerDef`; `services.py` starts them in dependency order and writes the
union of their `env()` into `.local/services.env`.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

from include.local.paths import VENV_BIN

LOOPBACK = "127.0.0.1"
AWS_REGION = "us-east-1"


class ServiceError(Exception):
    """A server could not be started; the message is one line saying what to do.

    Defined here, not in services.py, so it is one class even when services.py runs as __main__.
    """


def _nothing(*_args) -> None:
    return None


@dataclass(frozen=True)
class ServerDef:
    name: str
    ports: tuple[str, ...]
    command: Callable[[dict[str, int]], list[str]]
    is_ready: Callable[[dict[str, int]], bool]
    env: Callable[[dict[str, int]], dict[str, str]]
    prepare: Callable[[], None] = _nothing
    after_start: Callable[[dict[str, int]], None] = _nothing
    extra_env: Callable[[dict[str, int]], dict[str, str]] = field(default=lambda ports: {})
    ready_timeout: float = 60
    needs: tuple[str, ...] = ()


def http_answers(url: str, timeout: float = 2) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status < 500
    except urllib.error.HTTPError as error:
        return error.code < 500
    except (urllib.error.URLError, OSError):
        return False


def _moto_after_start(ports: dict[str, int]) -> None:
    from include.local.aws_bootstrap import bootstrap

    bootstrap(f"http://{LOOPBACK}:{ports['port']}")


MOTO = ServerDef(
    name="moto",
    ports=("port",),
    command=lambda ports: [str(VENV_BIN / "moto_server"), "-H", LOOPBACK, "-p", str(ports["port"])],
    is_ready=lambda ports: http_answers(f"http://{LOOPBACK}:{ports['port']}/moto-api/"),
    env=lambda ports: {
        "AWS_ENDPOINT_URL": f"http://{LOOPBACK}:{ports['port']}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": AWS_REGION,
    },
    after_start=_moto_after_start,
    ready_timeout=30,
)

from include.local.servers.ferretdb import FERRETDB  # noqa: E402  (needs ServerDef above)
from include.local.servers.kafka import KAFKA  # noqa: E402  (needs ServerDef above)
from include.local.servers.opensearch import OPENSEARCH  # noqa: E402  (needs ServerDef above)

SERVERS: dict[str, ServerDef] = {server.name: server for server in (MOTO, KAFKA, FERRETDB, OPENSEARCH)}
