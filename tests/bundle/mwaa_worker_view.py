"""Run by the bundle test with the python of a fresh virtual environment holding only `requirements.txt`
(what an MWAA worker has): parse the bundle's DAGs the way MWAA would and write, as JSON, the import
errors, whether pyspark came in, and where every Glue stage's code points for the bundle's version.

    <venv>/bin/python mwaa_worker_view.py <dist> <airflow_home> <result.json>

Only the standard library and what `requirements.txt` installs may be imported here.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import zipfile
from pathlib import Path


def _prepare(dist: Path, home: Path) -> None:
    plugins = home / "plugins"
    # MWAA unpacks plugins.zip into the plugins folder, which Airflow puts on sys.path.
    with zipfile.ZipFile(dist / "plugins.zip") as archive:
        archive.extractall(plugins)
    os.environ.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dist / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(plugins),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
        }
    )
    for key in [key for key in os.environ if key.startswith(("AWS_", "AIRFLOW_CONN_", "AIRFLOW_VAR_", "PLATFORM"))]:
        del os.environ[key]


class _Variables:
    """`var.value` with no Variable set except the code version the deploy sets."""

    def __init__(self, version: str):
        self.version = version

    def get(self, name, default=None):
        return self.version if name == "dataplatform_code_version" else default


def _glue_stages(dagbag, version: str) -> list[dict]:
    from airflow.providers.amazon.aws.operators.glue import GlueJobOperator

    stages = []
    for dag in dagbag.dags.values():
        environment = dag.get_template_env()
        context = {"var": {"value": _Variables(version)}, "params": {}}
        for task in dag.tasks:
            if not isinstance(task, GlueJobOperator):
                continue
            extra = task.create_job_kwargs["DefaultArguments"].get("--extra-py-files", "")
            stages.append(
                {
                    "dag": dag.dag_id,
                    "task": task.task_id,
                    "job": task.job_name,
                    "script_location": environment.from_string(task.script_location).render(**context),
                    "extra_py_files": environment.from_string(extra).render(**context),
                }
            )
    return stages


def main(dist: Path, home: Path) -> dict:
    _prepare(dist, home)
    version = json.loads((dist / "manifest.json").read_text())["version"]
    import airflow
    from airflow.dag_processing.dagbag import DagBag

    dagbag = DagBag(dag_folder=str(dist / "dags"))
    import datalake

    return {
        "python": ".".join(map(str, sys.version_info[:3])),
        "airflow": airflow.__version__,
        "dags": {dag_id: str(Path(dag.fileloc).relative_to(dist)) for dag_id, dag in sorted(dagbag.dags.items())},
        "import_errors": {str(path): str(error) for path, error in dagbag.import_errors.items()},
        "pyspark_installed": importlib.util.find_spec("pyspark") is not None,
        "pyspark_imported": sorted(name for name in sys.modules if name.split(".")[0] == "pyspark"),
        "datalake_from": str(Path(datalake.__file__).parent),
        "glue_stages": _glue_stages(dagbag, version),
    }


if __name__ == "__main__":
    result = main(Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve())
    Path(sys.argv[3]).write_text(json.dumps(result, indent=2))
