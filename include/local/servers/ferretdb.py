"""FerretDB 1.24 (the MongoDB wire protocol) on its SQLite backend, built once with `go install`.

`prepare` builds `github.com/FerretDB/FerretDB/cmd/ferretdb` with `go install` (GOBIN = the shared
download cache) once per machine: a few minutes on two cores, a no-op afterwards. The databases live
in `.local/ferretdb/data`, one SQLite file each, and survive restarts. v2 needs PostgreSQL with the
DocumentDB extension, so this stays on the v1 line.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from include.local.paths import CACHE_DIR, LOCAL_DIR, LOG_DIR
from include.local.server_defs import LOOPBACK, ServerDef, ServiceError

FERRETDB_VERSION = "v1.24.2"
MODULE = "github.com/FerretDB/FerretDB"
PACKAGE_DIR = "cmd/ferretdb"
INSTALL_DIR = CACHE_DIR / f"ferretdb-{FERRETDB_VERSION}"
BINARY = INSTALL_DIR / "ferretdb"
FERRETDB_DIR = LOCAL_DIR / "ferretdb"
DATA_DIR = FERRETDB_DIR / "data"
STATE_DIR = FERRETDB_DIR / "state"
BUILD_LOG = LOG_DIR / "ferretdb-build.log"
BUILD_TIMEOUT = 1800


def _installed() -> bool:
    return BINARY.is_file() and os.access(BINARY, os.X_OK)


def _go(go: str, log, args: list[str], cwd=None, gobin=None, capture=False) -> subprocess.CompletedProcess:
    env = {**os.environ, **({"GOBIN": str(gobin)} if gobin else {})}
    prefix = f"GOBIN={gobin} " if gobin else ""
    log.write(f"$ {prefix}go {' '.join(args)}  (in {cwd or os.getcwd()})\n".encode())
    log.flush()
    return subprocess.run(
        [go, *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE if capture else log,
        stderr=log,
        stdin=subprocess.DEVNULL,
        timeout=BUILD_TIMEOUT,
        check=False,
    )


def _writable_copy(module_dir: Path, target: Path) -> None:
    """Copy a module out of the read-only module cache."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(module_dir, target, copy_function=shutil.copyfile)
    for directory, _subdirs, _files in os.walk(target):
        os.chmod(directory, 0o755)


def prepare() -> None:
    """Build the binary into the shared cache unless it is there; create the data and state directories."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    if _installed():
        return
    go = shutil.which("go")
    if not go:
        raise ServiceError(
            f"ferretdb: go not found on PATH; Go 1.21+ is needed once to build FerretDB {FERRETDB_VERSION}"
        )
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    staging = INSTALL_DIR.with_name(f"{INSTALL_DIR.name}.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    # Not `go install pkg@version`, for two reasons: it asks the module proxy for the version list (to
    # report a deprecation), which the proxy reachable here refuses (403); and the binary it builds
    # panics at start, because FerretDB reads its version from build/version/version.txt, which its
    # release module does not contain (`task gen-version` writes it from git). So: fetch the one version
    # (checked against sum.golang.org), copy it, write version.txt and commit.txt as `task gen-version`
    # would, and `go install ./cmd/ferretdb` there, with FerretDB's own go.mod and go.sum.
    failed = True
    source = Path(tempfile.mkdtemp(prefix=f"ferretdb-{FERRETDB_VERSION}.src-", dir=INSTALL_DIR.parent))
    with open(BUILD_LOG, "wb") as log:
        try:
            download = _go(go, log, ["mod", "download", "-json", f"{MODULE}@{FERRETDB_VERSION}"], capture=True)
            module = json.loads(download.stdout or b"{}") if download.returncode == 0 else {}
            if module.get("Dir"):
                _writable_copy(Path(module["Dir"]), source)
                generated = source / "build" / "version"
                (generated / "version.txt").write_text(FERRETDB_VERSION + "\n")
                commit = module.get("Origin", {}).get("Hash")
                if commit:
                    (generated / "commit.txt").write_text(commit + "\n")
                build = _go(go, log, ["install", "-trimpath", f"./{PACKAGE_DIR}"], cwd=source, gobin=staging)
                failed = build.returncode != 0
        except (subprocess.TimeoutExpired, OSError) as error:
            log.write(f"{error}\n".encode())
        finally:
            shutil.rmtree(source, ignore_errors=True)
    if failed or not (staging / "ferretdb").is_file():
        shutil.rmtree(staging, ignore_errors=True)
        raise ServiceError(f"ferretdb: building FerretDB {FERRETDB_VERSION} with go install failed; see {BUILD_LOG}")
    INSTALL_DIR.mkdir(parents=True, exist_ok=True)
    os.replace(staging / "ferretdb", BINARY)  # atomic, so a concurrent start never sees half a binary
    shutil.rmtree(staging, ignore_errors=True)


def command(ports: dict[str, int]) -> list[str]:
    return [
        str(BINARY),
        "--handler=sqlite",
        f"--sqlite-url=file:{DATA_DIR}/",
        f"--listen-addr={LOOPBACK}:{ports['port']}",
        f"--debug-addr={LOOPBACK}:{ports['debug_port']}",
        f"--state-dir={STATE_DIR}",
        "--telemetry=disable",
        "--log-level=info",
    ]


def mongo_uri(ports: dict[str, int]) -> str:
    return f"mongodb://{LOOPBACK}:{ports['port']}/"


def is_ready(ports: dict[str, int]) -> bool:
    """Ready when a MongoDB `ping` is answered."""
    try:
        with socket.create_connection((LOOPBACK, ports["port"]), timeout=0.5):
            pass
    except OSError:
        return False
    from pymongo import MongoClient
    from pymongo.errors import PyMongoError

    client = MongoClient(mongo_uri(ports), serverSelectionTimeoutMS=2000, connectTimeoutMS=1000)
    try:
        return client.admin.command("ping").get("ok") == 1.0
    except PyMongoError:
        return False
    finally:
        client.close()


def env(ports: dict[str, int]) -> dict[str, str]:
    return {"MONGO_URI": mongo_uri(ports)}


FERRETDB = ServerDef(
    name="ferretdb",
    ports=("port", "debug_port"),
    command=command,
    is_ready=is_ready,
    env=env,
    prepare=prepare,
    ready_timeout=30,
)
