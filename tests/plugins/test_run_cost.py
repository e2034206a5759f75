"""Each Glue stage's cost: from GetJobRun's ExecutionTime and DPU-seconds at the configured price per DPU-hour,
published with the run's counts; local runs carry the same fields, marked local and unbilled."""

from __future__ import annotations

import pytest

from dataplatform import run_counts
from dataplatform.glue import PlatformGlueJobOperator
from dataplatform.run_cost import COST_XCOM_KEY, glue_run_cost, local_run_cost, run_total
from tests.dags.conftest import load_dagbag, render

FIELDS = {"mode", "job", "run_id", "state", "execution_time_s", "dpu_seconds", "price_per_dpu_hour", "cost_usd"}


def test_an_auto_scaled_run_is_priced_by_the_dpu_seconds_glue_reports():
    run = {"Id": "jr_1", "JobRunState": "SUCCEEDED", "ExecutionTime": 300, "DPUSeconds": 1234.5,
           "WorkerType": "G.1X", "NumberOfWorkers": 10}  # fmt: skip
    assert glue_run_cost("car_telemetry_silver", run, "0.44") == {
        "mode": "mwaa",
        "job": "car_telemetry_silver",
        "run_id": "jr_1",
        "state": "SUCCEEDED",
        "execution_time_s": 300,
        "dpu_seconds": 1234.5,
        "price_per_dpu_hour": "0.44",
        "cost_usd": "0.1509",  # 1234.5 / 3600 * 0.44 = 0.150883...
    }


@pytest.mark.parametrize(
    ("run", "dpu_seconds", "cost"),
    [
        ({"ExecutionTime": 600, "WorkerType": "G.2X", "NumberOfWorkers": 3}, 3600.0, "0.4400"),
        ({"ExecutionTime": 90, "MaxCapacity": 2.0, "WorkerType": "G.1X", "NumberOfWorkers": 9}, 180.0, "0.0220"),
        ({"ExecutionTime": 1, "WorkerType": "G.025X", "NumberOfWorkers": 2}, 0.5, "0.0001"),
        ({"ExecutionTime": 60, "WorkerType": "Z.9X", "NumberOfWorkers": 2}, None, None),
        ({}, None, None),
    ],
    ids=["workers", "max-capacity", "half-up", "unknown-worker-type", "nothing-reported"],
)
def test_without_dpu_seconds_the_allocated_dpus_times_the_execution_time(run, dpu_seconds, cost):
    record = glue_run_cost("j", run, "0.44")
    assert (record["dpu_seconds"], record["cost_usd"]) == (dpu_seconds, cost)


def test_the_price_is_a_setting():
    assert glue_run_cost("j", {"DPUSeconds": 3600}, "0.29")["cost_usd"] == "0.2900"


def test_a_local_run_has_the_same_fields_marked_local_and_unbilled():
    record = local_run_cost("credit_features", "local_1", 12.6, "0.44")
    assert set(record) == FIELDS == set(glue_run_cost("j", {}, "0.44"))
    assert record == {"mode": "local", "job": "credit_features", "run_id": "local_1", "state": "SUCCEEDED",
                      "execution_time_s": 13, "dpu_seconds": None, "price_per_dpu_hour": "0.44",
                      "cost_usd": None}  # fmt: skip


def test_the_run_total_is_decimal_and_unknown_when_any_stage_is():
    bronze, silver = glue_run_cost("b", {"DPUSeconds": 600}, "0.44"), glue_run_cost("s", {"DPUSeconds": 900}, "0.44")
    assert run_total({"bronze": bronze, "silver": silver})["total_usd"] == "0.1833"  # 0.0733 + 0.1100
    assert run_total({"bronze": bronze, "silver": glue_run_cost("s", {}, "0.44")})["total_usd"] is None
    local = run_total({"bronze": local_run_cost("b", "r", 1, "0.44")})
    assert (local["mode"], local["total_usd"]) == ("local", None)
    assert run_total({}) == {"mode": None, "stages": {}, "total_usd": None}


class _TaskInstance:
    def __init__(self, pulled=None):
        self.pushed, self.pulled = {}, pulled or {}

    def xcom_push(self, key, value):
        self.pushed[key] = value

    def xcom_pull(self, task_ids=None, key="return_value"):
        return self.pulled.get((task_ids, key))


class _Glue:
    def __init__(self, run=None, error=None):
        self.run, self.error = run, error

    def get_job_run(self, JobName, RunId):
        if self.error:
            raise self.error
        return {"JobRun": {"Id": RunId, "JobName": JobName, **self.run}}


def _stage(glue: _Glue) -> PlatformGlueJobOperator:
    stage = PlatformGlueJobOperator(
        task_id="silver", job_name="car_telemetry_silver", glue_price="0.44",
        create_job_kwargs={"WorkerType": "G.1X", "NumberOfWorkers": 10},
    )  # fmt: skip
    stage.__dict__["hook"] = type("Hook", (), {"conn": glue})()
    return stage


def test_a_finished_mwaa_stage_records_its_cost_from_get_job_run():
    ti = _TaskInstance()
    glue = _Glue({"JobRunState": "SUCCEEDED", "ExecutionTime": 120, "WorkerType": None, "NumberOfWorkers": None})
    run_id = _stage(glue).execute_complete({"ti": ti}, {"status": "success", "run_id": "jr_9"})
    assert run_id == "jr_9"
    # moto and some runs leave the workers out: the job definition's G.1X x 10 stands in.
    assert ti.pushed[COST_XCOM_KEY]["dpu_seconds"] == 1200.0
    assert ti.pushed[COST_XCOM_KEY]["cost_usd"] == "0.1467"


def test_an_unreadable_cost_never_fails_a_stage_that_succeeded():
    ti = _TaskInstance()
    run_id = _stage(_Glue(error=RuntimeError("AccessDenied"))).execute_complete(
        {"ti": ti}, {"status": "success", "run_id": "jr_9"}
    )
    assert run_id == "jr_9"
    assert set(ti.pushed[COST_XCOM_KEY]) == FIELDS
    assert ti.pushed[COST_XCOM_KEY]["cost_usd"] is None


def test_every_glue_stage_takes_the_price_setting():
    dag = load_dagbag().get_dag("car_telemetry")
    for task_id in ("bronze", "silver"):
        task = dag.get_task(task_id)
        assert "glue_price" in task.template_fields
        assert render(dag, task.glue_price) == "0.44"


def test_publish_counts_publishes_the_stages_costs_with_the_counts(monkeypatch):
    dag = load_dagbag().get_dag("car_telemetry")
    counts = {"bronze": {"read": 3, "written": 3}, "silver": {"read": 3, "written": 2, "superseded": 1}}
    monkeypatch.setattr(run_counts, "read_counts", lambda paths: {stage: counts[stage] for stage in paths})
    bronze, silver = glue_run_cost("b", {"DPUSeconds": 600}, "0.44"), glue_run_cost("s", {"DPUSeconds": 900}, "0.44")
    ti = _TaskInstance({("bronze", COST_XCOM_KEY): bronze, ("silver", COST_XCOM_KEY): silver})
    published = run_counts.publish_counts({"bronze": "s3://l/b", "silver": "s3://l/s"}, dag=dag, ti=ti)
    assert published == {**counts, "glue_cost": {"mode": "mwaa", "stages": {"bronze": bronze, "silver": silver},
                                                 "total_usd": "0.1833"}}  # fmt: skip


def test_a_local_stage_records_the_same_fields_marked_local(monkeypatch):
    import dataplatform.glue as glue_module

    monkeypatch.setenv("PLATFORM", "local")
    monkeypatch.setattr(glue_module, "run_glue_script_locally", lambda **kwargs: "local_run_1")
    ti = _TaskInstance()
    assert _stage(_Glue(error=AssertionError("local mode never calls Glue"))).execute({"ti": ti}) == "local_run_1"
    cost = ti.pushed[COST_XCOM_KEY]
    assert set(cost) == FIELDS
    assert (cost["mode"], cost["job"], cost["run_id"], cost["dpu_seconds"], cost["cost_usd"]) == (
        "local",
        "car_telemetry_silver",
        "local_run_1",
        None,
        None,
    )
    assert cost["execution_time_s"] >= 0
