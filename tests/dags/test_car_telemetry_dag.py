"""car_telemetry's shape: stages, order, timetable, and what each stage gets in production."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pendulum
from airflow.providers.amazon.aws.operators.glue import GlueJobOperator
from airflow.providers.amazon.aws.sensors.s3 import S3KeySensor

from tests.dags.conftest import render

WINDOW = {
    "start": "2025-10-29T14:00:00Z",
    "end": "2025-10-29T15:00:00Z",
    "run_name": "20251029T140000Z_20251029T150000Z",
    "full_rebuild": False,
}


def _dag(dagbag):
    return dagbag.get_dag("car_telemetry")


def test_stages_run_in_order(dagbag):
    dag = _dag(dagbag)
    chain = [
        "resolve_window",
        "wait_for_landing_files",
        "bronze",
        "silver",
        "register_silver_partitions",
        "publish_counts",
    ]
    assert sorted(dag.task_ids) == sorted(chain)
    for upstream, downstream in itertools.pairwise(chain):
        assert dag.get_task(downstream).upstream_task_ids == {upstream}, f"{downstream} should follow {upstream}"


def test_hourly_real_intervals_not_zero_length(dagbag):
    dag = _dag(dagbag)
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    after = pendulum.datetime(2025, 10, 29, 14, 30, tz="UTC")
    interval = dag.timetable.infer_manual_data_interval(run_after=after)
    assert interval.start == datetime(2025, 10, 29, 13, 0, tzinfo=timezone.utc)
    assert interval.end == datetime(2025, 10, 29, 14, 0, tzinfo=timezone.utc)
    assert interval.end - interval.start == timedelta(hours=1)


def test_landing_wait_is_a_deferrable_s3_key_sensor(dagbag):
    sensor = _dag(dagbag).get_task("wait_for_landing_files")
    assert isinstance(sensor, S3KeySensor)
    assert sensor.deferrable is True
    assert sensor.wildcard_match is True
    assert sensor.soft_fail is True
    assert render(_dag(dagbag), sensor.bucket_name) == "dp-landing"
    assert sensor.bucket_key == "car_telemetry/*"
    assert "LastModified" in sensor.metadata_keys


def test_glue_stages_are_glue_job_operators_with_production_arguments(dagbag):
    dag = _dag(dagbag)
    bronze, silver = dag.get_task("bronze"), dag.get_task("silver")
    for stage, job in ((bronze, "car_telemetry_bronze"), (silver, "car_telemetry_silver")):
        assert isinstance(stage, GlueJobOperator)
        assert stage.job_name == job
        assert render(dag, stage.script_location) == f"s3://dp-artifacts/glue/scripts/{job}.py"
        assert render(dag, stage.iam_role_name) == "dataplatform-glue"
        kwargs = render(dag, stage.create_job_kwargs)
        assert kwargs["GlueVersion"] == "5.1"
        assert kwargs["WorkerType"] == "G.1X"
        assert kwargs["NumberOfWorkers"] == 2
        assert kwargs["DefaultArguments"]["--extra-py-files"] == "s3://dp-artifacts/glue/datalake.zip"
        assert kwargs["DefaultArguments"]["--TempDir"] == "s3://dp-artifacts/glue/tmp/"
        assert kwargs["DefaultArguments"]["--enable-metrics"] == "true"
        assert kwargs["DefaultArguments"]["--enable-auto-scaling"] == "true"

    assert render(dag, bronze.script_args, {"resolve_window": WINDOW}) == {
        "--landing_path": "s3://dp-landing/car_telemetry/",
        "--bronze_path": "s3://dp-lake/bronze/car_telemetry",
        "--quarantine_path": "s3://dp-lake/quarantine/car_telemetry",
        "--window_start": "2025-10-29T14:00:00Z",
        "--window_end": "2025-10-29T15:00:00Z",
    }
    assert render(dag, silver.script_args, {"resolve_window": WINDOW}) == {
        "--bronze_path": "s3://dp-lake/bronze/car_telemetry",
        "--silver_path": "s3://dp-lake/silver/car_telemetry",
        "--full_rebuild": "false",
        "--window_start": "2025-10-29T14:00:00Z",
        "--window_end": "2025-10-29T15:00:00Z",
    }


def test_silver_writes_never_overlap(dagbag):
    dag = _dag(dagbag)
    assert dag.get_task("silver").max_active_tis_per_dag == 1
    assert dag.get_task("register_silver_partitions").max_active_tis_per_dag == 1


def test_catalog_registration_reads_the_silver_manifest_of_the_window(dagbag):
    dag = _dag(dagbag)
    register = dag.get_task("register_silver_partitions")
    assert render(dag, register.database) == "dataplatform"
    assert register.table == "silver_car_telemetry"
    assert render(dag, register.table_location) == "s3://dp-lake/silver/car_telemetry"
    assert (
        render(dag, register.manifest_path, {"resolve_window": WINDOW})
        == "s3://dp-lake/silver/car_telemetry/_counts/20251029T140000Z_20251029T150000Z.json"
    )


def test_params_offer_an_explicit_window_and_a_rebuild(dagbag):
    params = _dag(dagbag).params
    assert set(params.keys()) == {"window_start", "window_end", "full_rebuild"}
    for name in params:
        assert params.get_param(name).description, f"param {name} has no description"
