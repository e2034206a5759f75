"""The deployment artifacts hold what MWAA and Glue import, at the paths they import it from."""

from __future__ import annotations

import hashlib
import json
import zipfile

import pytest

from include.dist import DIST, build


def test_build_lays_out_mwaa_and_versioned_glue_artifacts():
    build("v123")
    with zipfile.ZipFile(DIST / "plugins.zip") as plugins:
        names = set(plugins.namelist())
    # MWAA puts the zip root on sys.path; the loader must not import dataplatform/*.py under bare names.
    assert {".airflowignore", "dataplatform/__init__.py", "dataplatform/glue.py"} <= names
    assert {"datalake/__init__.py", "datalake/conventions.py"} <= names, "the shared naming rules"
    assert not {name for name in names if name.startswith("datalake/") and "conventions" not in name
                and not name.endswith("__init__.py")}, "no Spark code in plugins.zip"  # fmt: skip
    with zipfile.ZipFile(DIST / "glue" / "v123" / "datalake.zip") as datalake:
        names = set(datalake.namelist())
    assert {"datalake/__init__.py", "datalake/session.py", "datalake/json_records.py"} <= names
    assert not any("__pycache__" in name for name in names)
    assert (DIST / "dags" / "car_telemetry.py").is_file()
    assert (DIST / "requirements.txt").read_text().startswith("--constraint")
    scripts = sorted(path.name for path in (DIST / "glue" / "v123" / "scripts").iterdir())
    assert {"car_telemetry_bronze.py", "car_telemetry_silver.py", "conversation_features.py"} <= set(scripts)
    assert scripts == sorted(path.name for path in (DIST.parent / "spark_jobs").glob("*.py")), "every Glue script"


def _built_bytes(version: str) -> dict[str, bytes]:
    build(version)
    return {str(path.relative_to(DIST)): path.read_bytes() for path in sorted(DIST.rglob("*")) if path.is_file()}


def test_the_same_checkout_builds_byte_identical_artifacts():
    first = _built_bytes("v1")
    # Touch every source file's clock: timestamps must not reach the bytes.
    for path in (DIST.parent / "plugins").rglob("*.py"):
        path.touch()
    second = _built_bytes("v1")
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []
    with zipfile.ZipFile(DIST / "plugins.zip") as plugins:
        entries = plugins.infolist()
    assert [entry.filename for entry in entries] == sorted(entry.filename for entry in entries)
    assert {(entry.date_time, entry.external_attr >> 16) for entry in entries} == {((1980, 1, 1, 0, 0, 0), 0o100644)}


def test_the_manifest_lists_every_file_with_its_hash_and_the_version():
    build("v7")
    manifest = json.loads((DIST / "manifest.json").read_text())
    assert manifest["version"] == "v7"
    assert manifest["glue_prefix"] == "glue/v7"
    assert manifest["startup_script"] is None
    shipped = {str(path.relative_to(DIST)) for path in DIST.rglob("*") if path.is_file()} - {"manifest.json"}
    assert {entry["path"] for entry in manifest["files"]} == shipped
    assert "dags/.airflowignore" in shipped
    for entry in manifest["files"]:
        assert hashlib.sha256((DIST / entry["path"]).read_bytes()).hexdigest() == entry["sha256"]
    assert set(manifest["glue_jobs"]) == {path.stem for path in (DIST.parent / "spark_jobs").glob("*.py")}
    assert set(manifest["dags"]) >= {"dags/car_telemetry.py", "dags/.airflowignore"}


def test_a_version_that_is_not_one_key_segment_is_refused():
    with pytest.raises(ValueError, match="S3 key segment"):
        build("a/b")
