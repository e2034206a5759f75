"""Every Glue stage of every DAG against the job it runs: the script exists, the arguments match what the
job declares, and the production definition renders. Catches DAG/job drift without starting Spark."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from airflow.providers.amazon.aws.operators.glue import GlueJobOperator

from tests.dags.conftest import DAGS_FOLDER, load_dagbag, render

SPARK_JOBS = DAGS_FOLDER.parent / "spark_jobs"
RESOLVED = {"start": "2025-10-29T00:00:00Z", "end": "2025-10-30T00:00:00Z", "run_name": "r", "full_rebuild": False}
# What each DAG's first task returns, as its stages' templates read it.
FIRST_TASKS = {"resolve_window": RESOLVED, "pin_raw_prices": {"run_id": "r", "input_path": "s3://b/raw/r/raw.csv"}}


def glue_stages():
    dagbag = load_dagbag()
    return [
        pytest.param(dag, task, id=f"{dag.dag_id}.{task.task_id}")
        for dag in dagbag.dags.values()
        for task in dag.tasks
        if isinstance(task, GlueJobOperator)
    ]


STAGES = glue_stages()


def test_there_are_glue_stages():
    assert STAGES, "no GlueJobOperator found in the DagBag"


@pytest.mark.parametrize(("dag", "stage"), STAGES)
def test_the_script_exists_and_takes_exactly_the_arguments_the_dag_passes(dag, stage):
    script = Path(render(dag, stage.script_location)).name
    assert script == f"{stage.job_name}.py", "a Glue job runs the script named after it"
    assert (SPARK_JOBS / script).is_file(), f"spark_jobs/{script} is missing"
    declared = importlib.import_module(stage.job_name).SPEC.arguments()
    passed = {key.removeprefix("--") for key in stage.script_args}
    assert passed - declared.keys() == set(), f"{stage.task_id} passes arguments the job does not declare"
    required = {name for name, is_required in declared.items() if is_required}
    assert required - passed == set(), f"{stage.task_id} misses required arguments"


@pytest.mark.parametrize(("dag", "stage"), STAGES)
def test_the_production_definition_renders_from_one_code_version(dag, stage):
    location = render(dag, stage.script_location)
    kwargs = render(dag, stage.create_job_kwargs)
    arguments = kwargs["DefaultArguments"]
    code_prefix = location.rsplit("/scripts/", 1)[0]
    assert location.startswith("s3://")
    assert code_prefix.count("/glue/") == 1
    assert arguments["--extra-py-files"].split(",")[0] == f"{code_prefix}/datalake.zip", "script and package differ"
    assert kwargs["GlueVersion"] == "5.1"
    assert arguments["--enable-auto-scaling"] == "true"
    assert kwargs["NumberOfWorkers"] > 2, "with auto-scaling, NumberOfWorkers is the ceiling: leave room to scale"
    assert render(dag, stage.iam_role_arn).startswith("arn:aws:iam::")
    assert "{{" not in str(render(dag, stage.script_args, FIRST_TASKS))
