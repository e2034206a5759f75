"""What a local server is: how it is prepared (installed, cached), started, probed and described.

Each server module in `include/local/servers/` defines one `ServerDef`; the registry is
`include.local.servers.SERVERS`; `services.py` starts and stops them.
"""

from __future__ import annotations

import signal
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

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
    run_as: Callable[[], str | None] = _nothing  # the system user to run as, None for the current one
    stop_signal: int = signal.SIGTERM
    ready_timeout: float = 60


def http_answers(url: str, timeout: float = 2) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status < 500
    except urllib.error.HTTPError as error:
        return error.code < 500
    except (urllib.error.URLError, OSError):
        return False
