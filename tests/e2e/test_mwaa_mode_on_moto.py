"""mwaa mode, against the moto server standing in for the AWS APIs: every Glue stage really
creates its Glue job (GlueVersion 5.1, workers, shared code, metrics) and starts a run with the
window's arguments. moto does not execute scripts, so the stages after the Glue runs are marked
successful instead of run (`mark_success_pattern`)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3
import pytest

from include.local.lake import clear_prefix

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_mwaa_mode_creates_and_starts_the_production_glue_jobs(local_dagbag, aws_env, monkeypatch):
    monkeypatch.setenv("PLATFORM", "mwaa")
    clear_prefix("dp-landing", "car_telemetry/")
    start = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    boto3.client("s3").put_object(Bucket="dp-landing", Key="car_telemetry/x.json", Body=b"{}")
    end = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    window = {"window_start": f"{start:%Y-%m-%dT%H:%M:%SZ}", "window_end": f"{end:%Y-%m-%dT%H:%M:%SZ}"}

    run = local_dagbag.get_dag("car_telemetry").test(
        run_conf=window, mark_success_pattern="register_silver_partitions|publish_counts"
    )
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert set(states.values()) == {"success"}, states

    glue = boto3.client("glue")
    for job in ("car_telemetry_bronze", "car_telemetry_silver"):
        definition = glue.get_job(JobName=job)["Job"]
        assert definition["GlueVersion"] == "5.1"
        assert (definition["WorkerType"], definition["NumberOfWorkers"]) == ("G.1X", 10)
        assert definition["Role"] == "arn:aws:iam::000000000000:role/dataplatform-glue"
        assert definition["Command"]["ScriptLocation"] == f"s3://dp-artifacts/glue/dev/scripts/{job}.py"
        assert definition["DefaultArguments"]["--extra-py-files"] == "s3://dp-artifacts/glue/dev/datalake.zip"
        assert definition["DefaultArguments"]["--enable-metrics"] == "true"
        assert definition["DefaultArguments"]["--enable-auto-scaling"] == "true"
        assert definition["DefaultArguments"]["--TempDir"] == "s3://dp-artifacts/glue/tmp/"
        arguments = glue.get_job_runs(JobName=job)["JobRuns"][0]["Arguments"]
        assert arguments["--window_start"] == window["window_start"]
        assert arguments["--window_end"] == window["window_end"]
    # Each stage recorded its run's cost from GetJobRun (moto reports ExecutionTime 123 and no DPUSeconds:
    # 123 s x the job's 10 G.1X DPUs = 1230 DPU-s, at $0.44 per DPU-hour).
    costs = _glue_costs(run.run_id)
    assert set(costs) == {"bronze", "silver"}
    for cost in costs.values():
        assert (cost["mode"], cost["execution_time_s"], cost["dpu_seconds"], cost["cost_usd"]) == (
            "mwaa",
            123,
            1230.0,
            "0.1503",
        )
    bronze_run = glue.get_job_runs(JobName="car_telemetry_bronze")["JobRuns"][0]["Arguments"]
    assert bronze_run["--landing_path"] == "s3://dp-landing/car_telemetry/"
    assert bronze_run["--quarantine_path"] == "s3://dp-lake/quarantine/car_telemetry"


def _glue_costs(run_id: str) -> dict[str, dict]:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = session.scalars(XComModel.get_many(run_id=run_id, key="glue_cost", dag_ids="car_telemetry")).all()
        return {row.task_id: XComModel.deserialize_value(row) for row in rows}
