"""`make deploy` end to end against the moto server (S3 with versioning, Secrets Manager) and an in-process
MWAA stand-in (moto has no MWAA; see mwaa_stand_in.py): the order of the steps, what the environment ends up
running, a deploy that changes nothing in plugins, a failed environment update, a rollback."""

from __future__ import annotations

import json
import shutil
import uuid
import zipfile
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from include.deploy.__main__ import main
from include.deploy.release import SECRETS_BACKEND, Clients
from include.dist import DIST, build, write_manifest, write_zip
from tests.deploy.mwaa_stand_in import MwaaStandIn

pytestmark = pytest.mark.integration

ENV = "deploytest"
NAME = f"dataplatform-{ENV}"
OPTIONS = {
    "secrets.backend": SECRETS_BACKEND,
    "secrets.backend_kwargs": json.dumps({"connections_prefix": "t/connections", "variables_prefix": "t/variables"}),
    "dataplatform.platform": "mwaa",
}


@pytest.fixture(scope="module")
def bundles(tmp_path_factory) -> dict[str, Path]:
    """v1: this checkout. v2: v1 with a changed plugins.zip, a changed DAG file and one more. v3: v2, changed again."""
    root = tmp_path_factory.mktemp("bundles")
    build("v1")
    shutil.copytree(DIST, root / "v1")
    _variant(root / "v1", root / "v2", "v2", note="two", dag="new_pipeline.py")
    _variant(root / "v2", root / "v3", "v3", note="three")
    return {version: root / version for version in ("v1", "v2", "v3")}


def _variant(source: Path, target: Path, version: str, note: str, dag: str | None = None) -> None:
    shutil.copytree(source, target)
    old = json.loads((source / "manifest.json").read_text())["version"]
    (target / "glue" / old).rename(target / "glue" / version)
    with zipfile.ZipFile(source / "plugins.zip") as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    entries["dataplatform/release_note.txt"] = note.encode()
    staging = target / "staging"
    for name, data in entries.items():
        (staging / name).parent.mkdir(parents=True, exist_ok=True)
        (staging / name).write_bytes(data)
    write_zip(target / "plugins.zip", [(staging / name, name) for name in entries])
    shutil.rmtree(staging)
    if dag:
        (target / "dags" / dag).write_text('"""A DAG file that only v2 has."""\n')
        changed = target / "dags" / "car_telemetry.py"
        changed.write_text(changed.read_text() + "# changed in v2\n")
    write_manifest(version, target)


@pytest.fixture
def world(aws_env):
    """A versioned bucket on the moto server, the stand-in environment, and a journal of every write in order."""
    bucket = f"airflow-deploytest-{uuid.uuid4().hex[:10]}"
    s3, secrets, mwaa = boto3.client("s3"), boto3.client("secretsmanager"), boto3.client("mwaa")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    secrets_left = secrets.list_secrets(Filters=[{"Key": "name", "Values": ["t/variables/"]}])["SecretList"]
    for secret in secrets_left:
        secrets.delete_secret(SecretId=secret["ARN"], ForceDeleteWithoutRecovery=True)
    # What the CDK stack creates: the Variable naming the bucket the DAGs start Glue code from.
    secrets.create_secret(Name="t/variables/dataplatform_artifacts_bucket", SecretString=bucket)
    journal: list[str] = []
    stand_in = MwaaStandIn(NAME, bucket, OPTIONS, journal=journal)
    stand_in.attach(mwaa)
    for client in (s3, secrets):
        client.meta.events.register("before-parameter-build", lambda model, params, **_: _note(journal, model, params))
    return {"bucket": bucket, "mwaa": stand_in, "journal": journal, "clients": Clients(s3, mwaa, secrets)}


def _note(journal: list[str], model, params) -> None:
    if model.name in ("PutObject", "DeleteObject", "CopyObject", "UpdateEnvironment", "PutSecretValue", "CreateSecret"):
        journal.append(f"{model.name} {params.get('Key') or params.get('SecretId') or params.get('Name', '')}")


def _deploy(world, bundle: Path, *extra: str) -> int:
    return main(["deploy", "--env", ENV, "--dist", str(bundle), "--poll-seconds", "0", *extra], world["clients"])


def _code_version(world) -> str:
    return world["clients"].secrets.get_secret_value(SecretId="t/variables/dataplatform_code_version")["SecretString"]


def _object(world, key: str, version: str | None = None) -> bytes:
    extra = {"VersionId": version} if version else {}
    return world["clients"].s3.get_object(Bucket=world["bucket"], Key=key, **extra)["Body"].read()


def _dag_keys(world) -> set[str]:
    listed = world["clients"].s3.list_objects_v2(Bucket=world["bucket"], Prefix="dags/")
    return {item["Key"] for item in listed.get("Contents", [])}


def _position(journal: list[str], prefix: str, last: bool = False) -> int:
    positions = [index for index, entry in enumerate(journal) if entry.startswith(prefix)]
    assert positions, f"{prefix!r} never happened: {journal}"
    return positions[-1] if last else positions[0]


def test_deploy_uploads_code_before_the_environment_update_and_dags_last(world, bundles):
    assert _deploy(world, bundles["v1"]) == 0
    journal, bucket, s3 = world["journal"], world["bucket"], world["clients"].s3
    last_glue = _position(journal, "PutObject glue/v1/", last=True)
    update = _position(journal, "UpdateEnvironment")
    variable = _position(journal, "PutSecretValue t/variables/dataplatform_code_version")
    first_dag = _position(journal, "PutObject dags/")
    assert last_glue < _position(journal, "PutObject plugins.zip") < update < variable < first_dag
    # The variable moved only once the environment was AVAILABLE again (the stand-in answers UPDATING once).
    assert journal[update + 1 : variable] == ["GetEnvironment UPDATING", "GetEnvironment AVAILABLE"]
    environment = world["mwaa"].environment
    assert environment["Status"] == "AVAILABLE"
    head = s3.head_object(Bucket=bucket, Key="plugins.zip")
    assert environment["PluginsS3ObjectVersion"] == head["VersionId"]
    assert (
        environment["RequirementsS3ObjectVersion"] == s3.head_object(Bucket=bucket, Key="requirements.txt")["VersionId"]
    )
    assert _object(world, "plugins.zip") == (bundles["v1"] / "plugins.zip").read_bytes()
    assert _code_version(world) == "v1"
    manifest = json.loads((bundles["v1"] / "manifest.json").read_text())
    for entry in manifest["files"]:
        key = entry["path"] if entry["path"].startswith("glue/") or entry["path"].startswith("dags/") else None
        if key:
            assert _object(world, key) == (bundles["v1"] / entry["path"]).read_bytes(), key
    assert _dag_keys(world) == set(manifest["dags"])
    history = json.loads(_object(world, "deployments/history.json"))
    assert [(record["version"], record["action"]) for record in history] == [("v1", "deploy")]


def test_a_second_deploy_of_unchanged_plugins_does_not_update_the_environment(world, bundles):
    assert _deploy(world, bundles["v1"]) == 0
    plugins_version = world["mwaa"].environment["PluginsS3ObjectVersion"]
    assert _deploy(world, bundles["v1"]) == 0
    assert len(world["mwaa"].updates) == 1, "same plugins and requirements: no 20-minute environment update"
    assert world["mwaa"].environment["PluginsS3ObjectVersion"] == plugins_version


def test_changed_plugins_update_the_environment_and_a_rollback_restores_everything(world, bundles):
    assert _deploy(world, bundles["v1"]) == 0
    v1 = dict(world["mwaa"].environment)
    v1_dags = {key: _object(world, key) for key in _dag_keys(world)}
    assert _deploy(world, bundles["v2"]) == 0
    v2 = world["mwaa"].environment
    assert v2["PluginsS3ObjectVersion"] != v1["PluginsS3ObjectVersion"]
    assert v2["RequirementsS3ObjectVersion"] == v1["RequirementsS3ObjectVersion"], "requirements did not change"
    assert _code_version(world) == "v2"
    assert "dags/new_pipeline.py" in _dag_keys(world)

    world["journal"].clear()
    assert main(["rollback", "--env", ENV, "--poll-seconds", "0"], world["clients"]) == 0
    restored = world["mwaa"].environment
    # The environment runs v1's bytes, and they are the latest objects again (a copy of v1's versions).
    assert _object(world, "plugins.zip", restored["PluginsS3ObjectVersion"]) == _object(
        world, "plugins.zip", v1["PluginsS3ObjectVersion"]
    )
    assert _object(world, "plugins.zip") == (bundles["v1"] / "plugins.zip").read_bytes()
    assert restored["RequirementsS3ObjectVersion"] == v1["RequirementsS3ObjectVersion"], "unchanged: not copied"
    assert _code_version(world) == "v1"
    assert {key: _object(world, key) for key in _dag_keys(world)} == v1_dags, "the v1 DAG files, and only them"
    journal = world["journal"]
    secret = _position(journal, "PutSecretValue")
    assert _position(journal, "UpdateEnvironment") < secret < _position(journal, "CopyObject dags/car_telemetry.py")
    assert secret < _position(journal, "DeleteObject dags/new_pipeline.py")
    assert not [entry for entry in journal if entry.startswith("PutObject glue/")], "a rollback uploads no code"
    assert _object(world, "glue/v2/datalake.zip"), "v2's code stays for runs that still use it"
    history = json.loads(_object(world, "deployments/history.json"))
    assert [(record["version"], record["action"]) for record in history] == [
        ("v1", "deploy"),
        ("v2", "deploy"),
        ("v1", "rollback"),
    ]
    assert main(["rollback", "--env", ENV, "--to", "v2", "--poll-seconds", "0"], world["clients"]) == 0
    assert _code_version(world) == "v2"
    assert _object(world, "plugins.zip") == (bundles["v2"] / "plugins.zip").read_bytes()
    assert "dags/new_pipeline.py" in _dag_keys(world)


def test_a_failed_environment_update_changes_no_dag_and_no_variable(world, bundles, capsys):
    assert _deploy(world, bundles["v1"]) == 0
    dags_before = {key: _object(world, key) for key in _dag_keys(world)}
    world["mwaa"].fail_next_update = True
    assert _deploy(world, bundles["v3"]) == 1
    assert "update failed" in capsys.readouterr().err
    assert _code_version(world) == "v1"
    assert {key: _object(world, key) for key in _dag_keys(world)} == dags_before


def test_a_version_is_never_overwritten_with_other_code(world, bundles, tmp_path):
    assert _deploy(world, bundles["v1"]) == 0
    other = tmp_path / "other"
    shutil.copytree(bundles["v1"], other)
    script = next((other / "glue" / "v1" / "scripts").glob("*.py"))
    script.write_text(script.read_text() + "\n# changed\n")
    write_manifest("v1", other)
    world["journal"].clear()
    assert _deploy(world, other) == 1
    writes = [entry for entry in world["journal"] if not entry.startswith("GetEnvironment")]
    assert writes == [], "refused before writing anything"


def test_a_bucket_the_dags_do_not_read_their_code_from_is_refused(world, bundles, capsys):
    world["clients"].secrets.put_secret_value(SecretId="t/variables/dataplatform_artifacts_bucket", SecretString="x")
    assert _deploy(world, bundles["v1"]) == 1
    assert "would start Glue code from s3://x" in capsys.readouterr().err
    assert [entry for entry in world["journal"] if not entry.startswith(("GetEnvironment", "PutSecretValue"))] == []


def test_errors_are_one_line(world, bundles, tmp_path, capsys):
    assert main(["deploy", "--env", "missing", "--dist", str(bundles["v1"])], world["clients"]) == 1
    assert capsys.readouterr().err.strip().count("\n") == 0
    assert main(["deploy", "--env", ENV, "--dist", str(tmp_path)], world["clients"]) == 1
    assert "make dist" in capsys.readouterr().err
    assert main(["rollback", "--env", ENV], world["clients"]) == 1
    assert "nothing to roll back" in capsys.readouterr().err
    s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:9", config=Config(retries={"max_attempts": 1}))
    unreachable = Clients(s3, world["clients"].mwaa, world["clients"].secrets)
    assert main(["deploy", "--env", ENV, "--dist", str(bundles["v1"])], unreachable) == 1
    error = capsys.readouterr().err
    assert error.startswith("deploy: error: AWS: ")
    assert error.strip().count("\n") == 0
