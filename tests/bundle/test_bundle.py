"""The bundle as an MWAA worker sees it: a fresh virtual environment with only `requirements.txt` (Python 3.12,
like MWAA's Airflow 3.3.1, when this machine has one), the bundle's DAGs and plugins.zip. The DAGs parse with
no import error and without pyspark, and every Glue stage points at code the bundle ships under its version.

Offline difference: MWAA installs `requirements.txt` under its first line, the Airflow 3.3.1 / Python 3.12
constraints file, which is not reachable from here; this test installs the same lines under the local lock
(`requirements-dev.lock`, resolved for 3.11) as constraints instead. The environment is cached in
`.local/bundle-venv/<hash of the requirements, the lock and the interpreter>` (a few seconds to make with uv's cache).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from include.dist import DIST, build
from include.local.paths import LOCAL_DIR, REPO_ROOT, VENV_BIN

VERSION = "bundletest"
VIEW = Path(__file__).with_name("mwaa_worker_view.py")


def _runs(python: str) -> bool:
    try:
        check = subprocess.run(
            [python, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True
        )
    except OSError:
        return False
    return check.returncode == 0 and check.stdout.strip() == "(3, 12)"


def worker_python() -> str:
    """A Python 3.12 (MWAA's): `BUNDLE_PYTHON`, uv's, `python3.12`, pyenv's; else this venv's 3.11."""
    candidates = [os.environ.get("BUNDLE_PYTHON", "")]
    found = subprocess.run([str(VENV_BIN / "uv"), "python", "find", "3.12"], capture_output=True, text=True)
    candidates.append(found.stdout.strip() if found.returncode == 0 else "")
    candidates.append(shutil.which("python3.12") or "")
    candidates += sorted(str(path) for path in Path.home().glob(".pyenv/versions/3.12*/bin/python3.12"))
    for candidate in filter(None, candidates):
        if _runs(candidate):
            return candidate
    return sys.executable


def worker_venv(python: str) -> Path:
    requirements = (REPO_ROOT / "requirements.txt").read_text().splitlines()
    lock = REPO_ROOT / "requirements-dev.lock"
    key = hashlib.sha256("\n".join([*requirements, lock.read_text(), python]).encode()).hexdigest()[:16]
    venv = LOCAL_DIR / "bundle-venv" / key
    if (venv / "ready").is_file():
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    venv.mkdir(parents=True)
    # The constraints line points at a host this machine cannot reach: the lock stands in for it.
    assert requirements[0].startswith("--constraint"), "requirements.txt must start with its constraints line"
    (venv / "requirements.txt").write_text("\n".join(requirements[1:]) + "\n")
    uv = str(VENV_BIN / "uv")
    subprocess.run([uv, "venv", "--quiet", "--python", python, str(venv / "env")], check=True)
    target = str(venv / "env" / "bin" / "python")
    install = ["-r", str(venv / "requirements.txt"), "-c", str(lock)]
    subprocess.run([uv, "pip", "install", "--quiet", "--python", target, *install], check=True)
    (venv / "ready").write_text("")
    return venv


@pytest.fixture(scope="module")
def worker_view(tmp_path_factory) -> dict:
    build(VERSION)
    bundle = tmp_path_factory.mktemp("bundle")
    shutil.copytree(DIST, bundle / "dist")
    python = worker_venv(worker_python()) / "env" / "bin" / "python"
    result = bundle / "view.json"
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "VIRTUAL_ENV"))}
    run = subprocess.run(
        [str(python), str(VIEW), str(bundle / "dist"), str(bundle / "home"), str(result)],
        capture_output=True,
        text=True,
        env=environment,
        cwd=bundle,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    view = json.loads(result.read_text())
    view["manifest"] = json.loads((bundle / "dist" / "manifest.json").read_text())
    return view


def test_the_worker_is_mwaa_python_and_airflow(worker_view):
    assert worker_view["airflow"] == "3.3.1"
    if not worker_view["python"].startswith("3.12."):
        pytest.xfail(f"no Python 3.12 on this machine: the DAGs were parsed on {worker_view['python']}")


def test_every_dag_in_the_bundle_parses_without_pyspark(worker_view):
    assert worker_view["import_errors"] == {}
    shipped = {name for name in worker_view["manifest"]["dags"] if name.endswith(".py")}
    assert shipped - set(worker_view["dags"].values()) == set(), "DAG files that define no DAG"
    assert worker_view["pyspark_installed"] is False, "requirements.txt brought pyspark to the workers"
    assert worker_view["pyspark_imported"] == []
    assert worker_view["datalake_from"].endswith("/plugins/datalake"), "datalake must come from plugins.zip"


def test_every_glue_stage_points_at_code_in_the_bundle(worker_view):
    stages, manifest = worker_view["glue_stages"], worker_view["manifest"]
    assert stages, "no Glue stage found"
    shipped = {entry["path"] for entry in manifest["files"]}
    for stage in stages:
        keys = [stage["script_location"], *stage["extra_py_files"].split(",")]
        for location in keys:
            bucket, _, key = location.removeprefix("s3://").partition("/")
            assert location.startswith("s3://"), location
            assert bucket, location
            assert key.startswith(f"{manifest['glue_prefix']}/"), f"{stage['task']}: {location} is not this version's"
            assert key in shipped, f"{stage['dag']}.{stage['task']}: {location} is not in the bundle"
    assert {stage["job"] for stage in stages} <= set(manifest["glue_jobs"])
