"""The deployment artifacts hold what MWAA and Glue import, at the paths they import it from."""

from __future__ import annotations

import zipfile

from include.dist import DIST, build


def test_build_lays_out_mwaa_and_glue_artifacts():
    build()
    with zipfile.ZipFile(DIST / "plugins.zip") as plugins:
        names = set(plugins.namelist())
    assert "dataplatform/__init__.py" in names  # MWAA puts the zip root on sys.path
    assert "dataplatform/glue.py" in names
    with zipfile.ZipFile(DIST / "glue" / "datalake.zip") as datalake:
        names = set(datalake.namelist())
    assert {"datalake/__init__.py", "datalake/session.py", "datalake/cli.py"} <= names
    assert (DIST / "dags" / "car_telemetry.py").is_file()
    assert (DIST / "requirements.txt").read_text().startswith("--constraint")
    assert (DIST / "glue" / "scripts" / "car_telemetry_bronze.py").is_file()
    assert (DIST / "glue" / "scripts" / "car_telemetry_silver.py").is_file()
