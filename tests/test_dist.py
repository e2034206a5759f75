"""The deployment artifacts hold what MWAA and Glue import, at the paths they import it from."""

from __future__ import annotations

import zipfile

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
