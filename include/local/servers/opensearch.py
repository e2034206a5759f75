"""OpenSearch: a real single-node search engine (Elasticsearch API) run from the Maven Central jars.

No Docker and no tarball: `prepare()` resolves `org.opensearch:opensearch` and the plugins the
packaged distribution ships as modules (Netty4 transport, mapper-extras, analysis-common,
reindex) with Maven into the shared cache, and compiles a small launcher
(`opensearch_node/LocalNode.java`, a subclass of `org.opensearch.node.Node`). Both steps are
skipped when their output is already there. The node keeps its config, data and logs in
`.local/opensearch/`, listens on 127.0.0.1 only and prints its log to `.local/logs/opensearch.log`.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

from include.local.paths import CACHE_DIR, LOCAL_DIR, LOG_DIR
from include.local.server_defs import LOOPBACK, ServerDef, ServiceError

VERSION = "2.19.3"
NAME = "opensearch"
HEAP = os.environ.get("OPENSEARCH_HEAP", "512m")

HOME = LOCAL_DIR / "opensearch"  # path.home: config/, data/, logs/
CACHE = CACHE_DIR / f"opensearch-{VERSION}"  # jars/ and the compiled launcher, shared by every clone
JARS = CACHE / "jars"
LAUNCHER_SOURCE = Path(__file__).resolve().parent / "opensearch_node" / "LocalNode.java"
LOG_FILE = LOG_DIR / f"{NAME}.log"

ARTIFACTS = (
    ("org.opensearch", "opensearch", VERSION),
    ("org.opensearch.plugin", "transport-netty4-client", VERSION),
    ("org.opensearch.plugin", "mapper-extras-client", VERSION),
    ("org.opensearch.plugin", "analysis-common", VERSION),
    ("org.opensearch.plugin", "reindex-client", VERSION),
    # The server's pom marks log4j-core optional; the distribution ships the version it declares.
    ("org.apache.logging.log4j", "log4j-core", "2.21.0"),
)
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

LOG4J2 = """\
status = error
appender.console.type = Console
appender.console.name = console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] [%node_name]%marker %m%n
rootLogger.level = info
rootLogger.appenderRef.console.ref = console
"""

# The JVM options of the packaged distribution's jvm.options that matter on Java 17, plus C1-only
# JIT: a dev node starts faster (and leaves CPU to Spark) without the optimising compiler.
JVM_OPTIONS = (
    "-XX:TieredStopAtLevel=1",
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-Dfile.encoding=UTF-8",
    "-Djava.locale.providers=SPI,COMPAT",
    "-Djna.nosys=true",
    "-Dio.netty.noUnsafe=true",
    "-Dio.netty.noKeySetOptimization=true",
    "-Dio.netty.recycler.maxCapacityPerThread=0",
    "-Dlog4j.shutdownHookEnabled=false",
    "-Dlog4j2.disable.jmx=true",
)


def _fail(what: str) -> Exception:

    return ServiceError(f"{NAME}: {what}; see {LOG_FILE}")


def _tool(name: str) -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / name).exists():
        return str(Path(java_home) / "bin" / name)
    found = shutil.which(name)
    if not found:
        raise _fail(f"`{name}` is not on PATH (Java 17 JDK and Maven are needed)")
    return found


def _pom() -> str:
    dependencies = "\n".join(
        f"    <dependency><groupId>{group}</groupId><artifactId>{artifact}</artifactId>"
        f"<version>{version}</version></dependency>"
        for group, artifact, version in ARTIFACTS
    )
    return f"""<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.dataplatform</groupId>
  <artifactId>opensearch-node</artifactId>
  <version>{VERSION}</version>
  <dependencies>
{dependencies}
  </dependencies>
</project>
"""


def _run(argv: list[str], what: str) -> None:
    with open(LOG_FILE, "ab") as log:
        log.write(f"\n$ {' '.join(argv)}\n".encode())
        log.flush()
        result = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, check=False)
    if result.returncode != 0:
        raise _fail(f"{what} failed (exit {result.returncode})")


def _resolve_jars() -> None:
    pom = _pom()
    marker = JARS / ".complete"  # holds the pom's hash: a changed artifact list resolves again
    digest = hashlib.sha256(pom.encode()).hexdigest()
    if marker.exists() and marker.read_text().strip() == digest:
        return
    staging = CACHE / "jars.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    (CACHE / "pom.xml").write_text(pom)
    _run(
        [
            _tool("mvn"),
            "-q",
            "-B",
            "-f",
            str(CACHE / "pom.xml"),
            f"{DEPENDENCY_PLUGIN}:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={staging}",
        ],
        f"resolving OpenSearch {VERSION} from Maven Central",
    )
    shutil.rmtree(JARS, ignore_errors=True)
    staging.rename(JARS)
    marker.write_text(digest + "\n")


def _classes_dir() -> Path:
    digest = hashlib.sha256(LAUNCHER_SOURCE.read_bytes()).hexdigest()[:12]
    return CACHE / f"classes-{digest}"


def _compile_launcher() -> None:
    classes = _classes_dir()
    if (classes / "LocalNode.class").exists():
        return
    staging = CACHE / "classes.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    _run(
        [_tool("javac"), "-nowarn", "--release", "17", "-cp", f"{JARS}/*", "-d", str(staging), str(LAUNCHER_SOURCE)],
        "compiling the launcher",
    )
    staging.rename(classes)


def prepare() -> None:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two `up`s at once resolve the jars once
        _resolve_jars()
        _compile_launcher()
    for sub in ("config", "data", "logs", "plugins", "modules", "tmp"):
        (HOME / sub).mkdir(parents=True, exist_ok=True)
    (HOME / "config" / "log4j2.properties").write_text(LOG4J2)


def _settings(ports: dict[str, int]) -> dict[str, object]:
    return {
        "cluster.name": "dataplatform-local",
        "node.name": "local",
        "path.data": str(HOME / "data"),
        "path.logs": str(HOME / "logs"),
        "network.host": LOOPBACK,
        "http.port": ports["port"],
        "transport.port": ports["transport_port"],
        "http.type": "netty4",
        "transport.type": "netty4",
        "discovery.type": "single-node",
        # A dev machine's disk may be fuller than a server's: never flip indices to read-only.
        "cluster.routing.allocation.disk.threshold_enabled": False,
        "action.auto_create_index": True,
    }


def command(ports: dict[str, int]) -> list[str]:
    config = HOME / "config" / "opensearch.yml"
    # JSON is YAML; one key per line keeps it readable.
    config.write_text("\n".join(f"{key}: {json.dumps(value)}" for key, value in _settings(ports).items()) + "\n")
    return [
        _tool("java"),
        f"-Xms{HEAP}",
        f"-Xmx{HEAP}",
        *JVM_OPTIONS,
        f"-Djava.io.tmpdir={HOME / 'tmp'}",
        "-cp",
        f"{_classes_dir()}:{JARS}/*",
        "LocalNode",
        str(HOME),
    ]


def _get_json(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def is_ready(ports: dict[str, int]) -> bool:
    base = f"http://{LOOPBACK}:{ports['port']}"
    info = _get_json(f"{base}/")
    if not info or info.get("version", {}).get("distribution") != NAME:
        return False
    health = _get_json(f"{base}/_cluster/health")
    return bool(health) and health.get("status") in {"green", "yellow"}


OPENSEARCH = ServerDef(
    name=NAME,
    ports=("port", "transport_port"),
    command=command,
    is_ready=is_ready,
    env=lambda ports: {
        "SEARCH_URL": f"http://{LOOPBACK}:{ports['port']}",
        "SEARCH_ENGINE": NAME,
        "SEARCH_ENGINE_VERSION": VERSION,
    },
    prepare=prepare,
    ready_timeout=120,
)
