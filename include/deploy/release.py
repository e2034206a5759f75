"""The deploy and rollback steps (see the package docstring for the order and why)."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

log = logging.getLogger("deploy")

ARTIFACTS_VARIABLE = "dataplatform_artifacts_bucket"
SECRETS_BACKEND = "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend"
CODE_VERSION_VARIABLE = "dataplatform_code_version"
HISTORY_KEY = "deployments/history.json"
BUSY = ("CREATING", "UPDATING", "ROLLING_BACK", "MAINTENANCE", "PENDING")


class DeployError(RuntimeError):
    """The deploy cannot go on; the message says why and what to do."""


@dataclass
class Clients:
    s3: Any
    mwaa: Any
    secrets: Any


@dataclass
class Target:
    """What the MWAA environment says about itself: where its code lives."""

    environment: str
    bucket: str
    dags_prefix: str
    plugins_key: str
    requirements_key: str
    variables_prefix: str
    plugins_version: str | None = None
    requirements_version: str | None = None


@dataclass
class Release:
    """One deployed state: the code version and the S3 object versions the environment runs."""

    version: str
    plugins_version: str
    requirements_version: str
    dags: dict[str, str] = field(default_factory=dict)
    action: str = "deploy"
    deployed_at: str = ""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def discover(clients: Clients, name: str) -> Target:
    try:
        environment = clients.mwaa.get_environment(Name=name)["Environment"]
    except clients.mwaa.exceptions.ResourceNotFoundException:
        raise DeployError(f"no MWAA environment {name!r}: create it first (the CDK app in include/infra)") from None
    options = environment.get("AirflowConfigurationOptions") or {}
    if options.get("secrets.backend") != SECRETS_BACKEND:
        raise DeployError(f"{name}: its Variables must come from Secrets Manager (secrets.backend = {SECRETS_BACKEND})")
    prefix = json.loads(options.get("secrets.backend_kwargs") or "{}").get("variables_prefix")
    if not prefix:
        raise DeployError(f"{name}: secrets.backend_kwargs has no variables_prefix")
    bucket = environment["SourceBucketArn"].split(":::", 1)[-1]
    versioning = clients.s3.get_bucket_versioning(Bucket=bucket).get("Status")
    if versioning != "Enabled":
        raise DeployError(f"s3://{bucket} has no versioning: MWAA needs it, and a rollback is an older version")
    return Target(
        environment=name,
        bucket=bucket,
        dags_prefix=environment.get("DagS3Path", "dags").strip("/"),
        plugins_key=environment.get("PluginsS3Path") or "plugins.zip",
        requirements_key=environment.get("RequirementsS3Path") or "requirements.txt",
        variables_prefix=prefix.rstrip("/"),
        plugins_version=environment.get("PluginsS3ObjectVersion"),
        requirements_version=environment.get("RequirementsS3ObjectVersion"),
    )


def check_artifacts_bucket(clients: Clients, target: Target) -> None:
    """The DAGs start Glue code from the Variable's bucket: it must be the one this deploy uploads to."""
    from datalake.conventions import DEFAULTS

    name = f"{target.variables_prefix}/{ARTIFACTS_VARIABLE}"
    try:
        expected = clients.secrets.get_secret_value(SecretId=name)["SecretString"]
    except clients.secrets.exceptions.ResourceNotFoundException:
        expected = DEFAULTS["artifacts_bucket"]
    if expected != target.bucket:
        raise DeployError(
            f"the DAGs would start Glue code from s3://{expected} (Variable {ARTIFACTS_VARIABLE}, secret {name}) "
            f"but the environment's bucket is s3://{target.bucket}: set the secret to {target.bucket}"
        )


def read_bundle(dist: Path) -> dict:
    """The manifest, after checking that every file it lists is there with its hash."""
    manifest_file = dist / "manifest.json"
    if not manifest_file.is_file():
        raise DeployError(f"{manifest_file} is missing: run `make dist` first")
    manifest = json.loads(manifest_file.read_text())
    for entry in manifest["files"]:
        path = dist / entry["path"]
        if not path.is_file() or sha256(path.read_bytes()) != entry["sha256"]:
            raise DeployError(f"{path} differs from manifest.json: rebuild with `make dist`")
    return manifest


def _current(clients: Clients, bucket: str, key: str, version: str | None = None) -> dict | None:
    extra = {"VersionId": version} if version else {}
    try:
        return clients.s3.head_object(Bucket=bucket, Key=key, **extra)
    except clients.s3.exceptions.ClientError as error:
        if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NoSuchVersion", "400"):
            return None
        raise


def put_if_changed(clients: Clients, bucket: str, key: str, data: bytes) -> tuple[str, bool]:
    """The object's version holding these bytes: the current one when equal, else a new one."""
    digest = sha256(data)
    current = _current(clients, bucket, key)
    if current and current.get("Metadata", {}).get("sha256") == digest:
        return current["VersionId"], False
    response = clients.s3.put_object(Bucket=bucket, Key=key, Body=data, Metadata={"sha256": digest})
    return response["VersionId"], True


def upload_glue_code(clients: Clients, target: Target, dist: Path, manifest: dict) -> int:
    """Step 1. A version's keys are immutable: other bytes under an existing version are refused."""
    prefix, uploaded = manifest["glue_prefix"], 0
    for entry in manifest["files"]:
        if not entry["path"].startswith(f"{prefix}/"):
            continue
        current = _current(clients, target.bucket, entry["path"])
        if current and current.get("Metadata", {}).get("sha256") != entry["sha256"]:
            raise DeployError(
                f"s3://{target.bucket}/{entry['path']} already holds other code: a version is never overwritten "
                "(runs may be using it); build with a new VERSION"
            )
        if not current:
            put_if_changed(clients, target.bucket, entry["path"], (dist / entry["path"]).read_bytes())
            uploaded += 1
    log.info("1/5 glue code: %d new file(s) under s3://%s/%s/", uploaded, target.bucket, prefix)
    return uploaded


def wait_settled(clients: Clients, name: str, poll_seconds: float, timeout_seconds: float) -> dict:
    """The environment once it is no longer busy (an earlier failed update, rolled back, is settled too)."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        environment = clients.mwaa.get_environment(Name=name)["Environment"]
        status = environment["Status"]
        if status not in BUSY:
            break
        if time.monotonic() > deadline:
            raise DeployError(f"{name} is still {status} after {timeout_seconds:.0f} s; run the deploy again later")
        time.sleep(poll_seconds)
    return environment


def wait_updated(clients: Clients, name: str, poll_seconds: float, timeout_seconds: float) -> dict:
    environment = wait_settled(clients, name, poll_seconds, timeout_seconds)
    status, last = environment["Status"], (environment.get("LastUpdate") or {}).get("Status")
    if status != "AVAILABLE" or last == "FAILED":
        error = (environment.get("LastUpdate") or {}).get("Error", {}).get("ErrorMessage", "")
        raise DeployError(f"{name} update failed ({status}, last update {last}): {error}; no DAG was changed")
    return environment


def update_environment(clients: Clients, target: Target, release: Release, wait: tuple[float, float]) -> bool:
    """Step 3: point the environment at the release's plugins and requirements versions."""
    if (target.plugins_version, target.requirements_version) == (release.plugins_version, release.requirements_version):
        log.info("3/5 environment: already runs these plugins and requirements, no update")
        return False
    wait_settled(clients, target.environment, *wait)
    log.info("3/5 environment: UpdateEnvironment %s (takes minutes on MWAA)", target.environment)
    clients.mwaa.update_environment(
        Name=target.environment,
        PluginsS3Path=target.plugins_key,
        PluginsS3ObjectVersion=release.plugins_version,
        RequirementsS3Path=target.requirements_key,
        RequirementsS3ObjectVersion=release.requirements_version,
    )
    wait_updated(clients, target.environment, *wait)
    target.plugins_version, target.requirements_version = release.plugins_version, release.requirements_version
    return True


def set_code_version(clients: Clients, target: Target, version: str) -> None:
    """Step 4: the Variable the Glue stages read their code version from."""
    name = f"{target.variables_prefix}/{CODE_VERSION_VARIABLE}"
    try:
        clients.secrets.put_secret_value(SecretId=name, SecretString=version)
    except clients.secrets.exceptions.ResourceNotFoundException:
        clients.secrets.create_secret(Name=name, SecretString=version)
    log.info("4/5 variable: %s = %s", name, version)


def _dag_keys(clients: Clients, target: Target) -> set[str]:
    pages = clients.s3.get_paginator("list_objects_v2").paginate(Bucket=target.bucket, Prefix=f"{target.dags_prefix}/")
    return {item["Key"] for page in pages for item in page.get("Contents", [])}


def upload_dags(clients: Clients, target: Target, dist: Path, manifest: dict) -> dict[str, str]:
    """Step 5: the bundle's DAG files; the ones it no longer has are deleted (a delete marker: recoverable)."""
    versions = {}
    for name in manifest["dags"]:
        key = f"{target.dags_prefix}/{name.removeprefix('dags/')}"
        versions[key], _ = put_if_changed(clients, target.bucket, key, (dist / name).read_bytes())
    removed = sorted(_dag_keys(clients, target) - versions.keys())
    for key in removed:
        clients.s3.delete_object(Bucket=target.bucket, Key=key)
    log.info(
        "5/5 dags: %d file(s) in s3://%s/%s/, %d removed",
        len(versions),
        target.bucket,
        target.dags_prefix,
        len(removed),
    )
    return versions


def restore_dags(clients: Clients, target: Target, dags: dict[str, str]) -> dict[str, str]:
    """Step 5 of a rollback: each DAG file's recorded version becomes the current one again."""
    versions = {key: restore_object(clients, target.bucket, key, version) for key, version in sorted(dags.items())}
    for key in sorted(_dag_keys(clients, target) - dags.keys()):
        clients.s3.delete_object(Bucket=target.bucket, Key=key)
    log.info("5/5 dags: %d file(s) restored in s3://%s/%s/", len(versions), target.bucket, target.dags_prefix)
    return versions


def read_history(clients: Clients, target: Target) -> list[dict]:
    if not _current(clients, target.bucket, HISTORY_KEY):
        return []
    body = clients.s3.get_object(Bucket=target.bucket, Key=HISTORY_KEY)["Body"].read()
    return json.loads(body)


def append_history(clients: Clients, target: Target, release: Release) -> None:
    release.deployed_at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    history = [*read_history(clients, target), release.__dict__]
    body = json.dumps(history, indent=2).encode()
    clients.s3.put_object(Bucket=target.bucket, Key=HISTORY_KEY, Body=body, ContentType="application/json")


def deploy(clients: Clients, name: str, dist: Path, wait: tuple[float, float] = (30, 7200)) -> Release:
    manifest = read_bundle(dist)
    target = discover(clients, name)
    check_artifacts_bucket(clients, target)
    log.info("deploying %s to %s (s3://%s)", manifest["version"], name, target.bucket)
    upload_glue_code(clients, target, dist, manifest)
    plugins, new_plugins = put_if_changed(
        clients, target.bucket, target.plugins_key, (dist / manifest["plugins"]).read_bytes()
    )
    requirements, new_requirements = put_if_changed(
        clients, target.bucket, target.requirements_key, (dist / manifest["requirements"]).read_bytes()
    )
    log.info("2/5 plugins.zip %s, requirements.txt %s", "new" if new_plugins else "unchanged",
             "new" if new_requirements else "unchanged")  # fmt: skip
    release = Release(manifest["version"], plugins, requirements)
    update_environment(clients, target, release, wait)
    set_code_version(clients, target, release.version)
    release.dags = upload_dags(clients, target, dist, manifest)
    append_history(clients, target, release)
    return release


def restore_object(clients: Clients, bucket: str, key: str, version: str) -> str:
    """Make an object's old version the current one again (a copy of it); its new version id."""
    current = _current(clients, bucket, key)
    if current and current["VersionId"] == version:
        return version
    source = {"Bucket": bucket, "Key": key, "VersionId": version}
    return clients.s3.copy_object(Bucket=bucket, Key=key, CopySource=source)["VersionId"]


def _glue_code_present(clients: Clients, target: Target, version: str) -> bool:
    listed = clients.s3.list_objects_v2(Bucket=target.bucket, Prefix=f"glue/{version}/scripts/", MaxKeys=1)
    return bool(listed.get("KeyCount")) and _current(clients, target.bucket, f"glue/{version}/datalake.zip") is not None


def rollback(clients: Clients, name: str, to: str | None = None, wait: tuple[float, float] = (30, 7200)) -> Release:
    """Apply an earlier deploy's record: `to` names its version; default, the one before the current."""
    target = discover(clients, name)
    check_artifacts_bucket(clients, target)
    history = read_history(clients, target)
    if len(history) < 2 and to is None:
        raise DeployError(f"{name} has {len(history)} deploy(s) on record: nothing to roll back to")
    current = history[-1]["version"] if history else None
    if to is None:
        earlier = [record for record in history if record["version"] != current]
        if not earlier:
            raise DeployError(f"every deploy on record is {current}: nothing to roll back to")
        record = earlier[-1]
    else:
        matching = [record for record in history if record["version"] == to]
        if not matching:
            known = ", ".join(dict.fromkeys(record["version"] for record in history))
            raise DeployError(f"{to!r} was never deployed to {name}; on record: {known}")
        record = matching[-1]
    if not _glue_code_present(clients, target, record["version"]):
        raise DeployError(f"s3://{target.bucket}/glue/{record['version']}/ is gone: cannot roll back to it")
    log.info("rolling %s back from %s to %s", name, current, record["version"])
    log.info("1/5 glue code: glue/%s/ is there", record["version"])
    # The old plugins and requirements become the latest objects again, so that the environment's pinned
    # versions and the bucket's latest agree (anything that updates the environment without versions).
    plugins = restore_object(clients, target.bucket, target.plugins_key, record["plugins_version"])
    requirements = restore_object(clients, target.bucket, target.requirements_key, record["requirements_version"])
    log.info("2/5 plugins.zip and requirements.txt of %s are the latest again", record["version"])
    release = Release(record["version"], plugins, requirements, action="rollback")
    update_environment(clients, target, release, wait)
    set_code_version(clients, target, release.version)
    release.dags = restore_dags(clients, target, record["dags"])
    append_history(clients, target, release)
    return release
