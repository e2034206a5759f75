"""docker-compose.yaml is consistent: no Docker engine runs here, so these checks stand in for `docker compose config`.

Every service the Airflow environment and connections name exists and listens on that port;
host ports are unique; named volumes are declared; images are pinned and match the versions
pinned for the local mode (Airflow from requirements-dev.in, the servers from their modules).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
COMPOSE_FILE = REPO / "docker-compose.yaml"
DOCKERFILE = REPO / "include" / "docker" / "Dockerfile"
DOCKERIGNORE = REPO / "include" / "docker" / "Dockerfile.dockerignore"

AIRFLOW_SERVICES = ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer")
DATA_SERVICES = ("postgres", "moto", "kafka", "mongo", "opensearch")
CONNECTIONS = ("AIRFLOW_CONN_AWS_DEFAULT", "AIRFLOW_CONN_KAFKA_DEFAULT", "AIRFLOW_CONN_MONGO_DEFAULT")
MOUNTS = ("dags", "plugins", "include", "spark_jobs")


def _pin(package: str) -> str:
    """The `==` version of a package in requirements-dev.in (extras like `moto[server]` allowed)."""
    for line in (REPO / "requirements-dev.in").read_text().splitlines():
        match = re.match(rf"^{re.escape(package)}(\[[^\]]*\])?==([^\s#;]+)", line.strip())
        if match:
            return match.group(2)
    raise AssertionError(f"{package} is not pinned with == in requirements-dev.in")


def _interpolate(value: str) -> str:
    """Compose's `${VAR:-default}` with an empty environment; `$$` is a literal dollar."""
    value = re.sub(r"\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}]*)\}", r"\1", value)
    return value.replace("$$", "$")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict[str, dict]:
    return compose["services"]


def _environment(service: dict) -> dict[str, str]:
    environment = service.get("environment", {})
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {key: _interpolate(str(value)) for key, value in environment.items()}


def _container_ports(service: dict) -> set[int]:
    ports = {int(str(port).split("/")[0]) for port in service.get("expose", [])}
    for mapping in service.get("ports", []):
        ports.add(int(str(mapping).split("/")[0].rsplit(":", 1)[-1]))
    return ports


def _host_bindings(services: dict) -> list[tuple[str, str, int]]:
    bindings = []
    for name, service in services.items():
        for mapping in service.get("ports", []):
            parts = str(mapping).split("/")[0].split(":")
            assert len(parts) == 3, f"{name}: publish as HOST_IP:HOST_PORT:CONTAINER_PORT, got {mapping!r}"
            bindings.append((name, parts[0], int(parts[1])))
    return bindings


def _endpoints(environment: dict[str, str]) -> dict[str, tuple[str, int]]:
    """Every host:port the Airflow environment points at, by where it was found."""
    found: dict[str, tuple[str, int]] = {}
    for key in ("AWS_ENDPOINT_URL", "MONGO_URI", "SEARCH_URL", "AIRFLOW__CORE__EXECUTION_API_SERVER_URL"):
        url = urlsplit(environment[key])
        found[key] = (url.hostname, url.port)
    database = urlsplit(environment["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    found["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = (database.hostname, database.port or 5432)
    host, port = environment["KAFKA_BOOTSTRAP_SERVERS"].split(":")
    found["KAFKA_BOOTSTRAP_SERVERS"] = (host, int(port))
    aws = json.loads(environment["AIRFLOW_CONN_AWS_DEFAULT"])
    url = urlsplit(aws["extra"]["endpoint_url"])
    found["AIRFLOW_CONN_AWS_DEFAULT"] = (url.hostname, url.port)
    kafka = json.loads(environment["AIRFLOW_CONN_KAFKA_DEFAULT"])
    host, port = kafka["extra"]["bootstrap.servers"].split(":")
    found["AIRFLOW_CONN_KAFKA_DEFAULT"] = (host, int(port))
    mongo = json.loads(environment["AIRFLOW_CONN_MONGO_DEFAULT"])
    found["AIRFLOW_CONN_MONGO_DEFAULT"] = (mongo["host"], mongo["port"])
    return found


def test_the_file_parses_and_has_every_service(services):
    assert set(AIRFLOW_SERVICES) | {"airflow-init"} | set(DATA_SERVICES) <= set(services)


def test_every_image_tag_is_pinned(services):
    for name, service in services.items():
        if "build" in service:
            continue
        image = service["image"]
        repository, _, tag = image.rpartition(":")
        assert repository, f"{name}: {image!r} has no tag"
        assert re.fullmatch(r"\d+(\.\d+)+(-[\w.]+)?", tag), f"{name}: pin a version tag, not {image!r}"
    base = re.search(r"^ARG AIRFLOW_IMAGE=(\S+)$", DOCKERFILE.read_text(), re.MULTILINE)
    assert base, "the Dockerfile's base image must be a pinned ARG default"
    assert re.search(r":\d+\.\d+\.\d+-python3\.\d+$", base.group(1))


def test_airflow_image_is_the_pinned_airflow_version(services):
    airflow = _pin("apache-airflow")
    expected = f"apache/airflow:{airflow}-python3.12"  # MWAA runs Python 3.12
    assert re.search(r"^ARG AIRFLOW_IMAGE=(\S+)$", DOCKERFILE.read_text(), re.MULTILINE).group(1) == expected
    for name in (*AIRFLOW_SERVICES, "airflow-init"):
        build = services[name]["build"]
        assert build["args"]["AIRFLOW_IMAGE"] == expected, name
        assert (REPO / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE
        assert airflow in services[name]["image"], name
    # The MWAA requirements installed into that image are constrained for the same Airflow and Python.
    first_line = (REPO / "requirements.txt").read_text().splitlines()[0]
    assert f"constraints-{airflow}/constraints-3.12.txt" in first_line


def test_the_spark_runner_image_has_java_17_and_the_pinned_pyspark():
    dockerfile = DOCKERFILE.read_text()
    assert "openjdk-17-jre-headless" in dockerfile
    for package in ("pyspark", "pandas", "pyarrow", "opensearch-py"):
        assert f"{package}=={_pin(package)}" in dockerfile, (
            f"the Dockerfile's {package} differs from requirements-dev.in"
        )
    # The build context is the repo root, filtered by Dockerfile.dockerignore: each COPY source must get through.
    allowed = {line[1:] for line in DOCKERIGNORE.read_text().splitlines() if line.startswith("!")}
    for line in dockerfile.splitlines():
        if line.startswith("COPY "):
            sources = [word for word in line.split()[1:-1] if not word.startswith("--")]
            for source in sources:
                assert (REPO / source).is_file(), source
                assert source in allowed, f"{source} is excluded by {DOCKERIGNORE.name}"


def test_airflow_runs_locally_with_local_executor_and_the_spark_jobs(services):
    for name in (*AIRFLOW_SERVICES, "airflow-init"):
        environment = _environment(services[name])
        assert environment["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor", name
        assert environment["PLATFORM"] == "local", name
        assert environment["DATAPLATFORM_SPARK_JOBS_DIR"] == "/opt/airflow/spark_jobs", name
        assert environment["AWS_ENDPOINT_URL"] == "http://moto:5000", name
        assert environment["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092", name
        assert environment["MONGO_URI"] == "mongodb://mongo:27017/", name
        assert environment["SEARCH_URL"] == "http://opensearch:9200", name
        assert environment["AWS_ACCESS_KEY_ID"] == environment["AWS_SECRET_ACCESS_KEY"] == "testing", name
        connections = {key: json.loads(environment[key]) for key in CONNECTIONS}
        assert connections["AIRFLOW_CONN_AWS_DEFAULT"]["conn_type"] == "aws"
        assert connections["AIRFLOW_CONN_AWS_DEFAULT"]["extra"]["endpoint_url"] == environment["AWS_ENDPOINT_URL"]
        assert connections["AIRFLOW_CONN_KAFKA_DEFAULT"]["conn_type"] == "kafka"
        assert connections["AIRFLOW_CONN_KAFKA_DEFAULT"]["extra"]["bootstrap.servers"] == "kafka:9092"
        assert connections["AIRFLOW_CONN_MONGO_DEFAULT"]["conn_type"] == "mongo"


def test_every_endpoint_names_a_service_listening_on_that_port(services):
    for name in (*AIRFLOW_SERVICES, "airflow-init"):
        for where, (host, port) in _endpoints(_environment(services[name])).items():
            assert host in services, f"{name}: {where} names {host!r}, which is not a service"
            assert port in _container_ports(services[host]) or (host, port) == ("postgres", 5432), (
                f"{name}: {where} uses {host}:{port}, which {host} neither exposes nor publishes"
            )
    kafka = _environment(services["kafka"])
    assert "PLAINTEXT://kafka:9092" in kafka["KAFKA_ADVERTISED_LISTENERS"].split(",")


def test_the_code_is_mounted_under_opt_airflow(services):
    for name in (*AIRFLOW_SERVICES, "airflow-init"):
        volumes = set(services[name]["volumes"])
        for folder in MOUNTS:
            assert f"./{folder}:/opt/airflow/{folder}" in volumes, f"{name} does not mount ./{folder}"
            assert (REPO / folder).is_dir()


def test_host_ports_are_unique_and_on_loopback(services):
    bindings = _host_bindings(services)
    assert bindings, "the UI and the data services should be reachable from the host"
    ports = [port for _, _, port in bindings]
    assert len(ports) == len(set(ports)), f"a host port is published twice: {bindings}"
    assert {address for _, address, _ in bindings} == {"127.0.0.1"}


def test_named_volumes_are_declared_and_used(compose, services):
    declared = set(compose.get("volumes") or {})
    used = set()
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = str(volume).split(":")[0]
            if not source.startswith((".", "/", "~")):
                assert source in declared, f"{name}: volume {source!r} is not declared"
                used.add(source)
    assert declared == used, f"declared but unused: {declared - used}"


def test_dependencies_exist_and_wait_for_health(services):
    for name, service in services.items():
        for dependency, rule in (service.get("depends_on") or {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency!r}"
            if rule.get("condition") == "service_healthy":
                assert "healthcheck" in services[dependency], f"{name} waits for {dependency}'s health; it has none"


def test_data_services_have_healthchecks(services):
    for name in (*DATA_SERVICES, *AIRFLOW_SERVICES):
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"


def test_server_images_match_the_local_servers():
    """docker-compose runs the same engines and versions as the no-Docker local mode."""
    from include.local import server_defs  # noqa: F401  (loads the server modules in order)
    from include.local.servers import kafka, opensearch

    services = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    assert services["opensearch"]["image"] == f"opensearchproject/opensearch:{opensearch.VERSION}"
    assert services["kafka"]["image"] == f"apache/kafka:{kafka.KAFKA_VERSION}"
    assert services["moto"]["image"] == f"motoserver/moto:{_pin('moto')}"


def test_opensearch_is_a_single_plain_http_node(services):
    environment = _environment(services["opensearch"])
    assert environment["discovery.type"] == "single-node"
    assert environment["DISABLE_SECURITY_PLUGIN"] == "true"
