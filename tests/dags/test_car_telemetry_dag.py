"""car_telemetry's shape: stages, order, timetable, and what each stage gets in production."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pendulum

from dataplatform.sensors import LandingFilesSensor
from tests.dags.conftest import render

WINDOW = {
    "start": "2025-10-29T14:00:00Z",
    "end": "2025-10-29T15:00:00Z",
    "run_name": "20251029T140000Z_20251029T150000Z",
    "full_rebuild": False,
}
RUN = "20251029T140000Z_20251029T150000Z"


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


def test_landing_wait_is_a_deferrable_sensor_that_fails_on_errors_and_times_out_in_time(dagbag):
    sensor = _dag(dagbag).get_task("wait_for_landing_files")
    assert isinstance(sensor, LandingFilesSensor)
    assert sensor.deferrable is True
    assert sensor.soft_fail is False, "an S3 error must fail the run, not look like an empty hour"
    assert render(_dag(dagbag), sensor.bucket_name) == "dp-landing"
    assert sensor.prefix == "car_telemetry/"
    assert timedelta(seconds=sensor.timeout) < sensor.execution_timeout, "the sensor's timeout must be able to fire"


def test_bronze_and_silver_get_their_windows_and_run_outputs(dagbag):
    dag = _dag(dagbag)
    assert render(dag, dag.get_task("bronze").script_args, {"resolve_window": WINDOW}) == {
        "--landing_path": "s3://dp-landing/car_telemetry/",
        "--bronze_path": "s3://dp-lake/bronze/car_telemetry",
        "--quarantine_path": "s3://dp-lake/quarantine/car_telemetry",
        "--window_start": "2025-10-29T14:00:00Z",
        "--window_end": "2025-10-29T15:00:00Z",
        "--counts_path": f"s3://dp-lake/bronze/car_telemetry/_counts/{RUN}.json",
        "--manifest_path": f"s3://dp-lake/bronze/car_telemetry/_manifests/{RUN}.json",
    }
    assert render(dag, dag.get_task("silver").script_args, {"resolve_window": WINDOW}) == {
        "--bronze_path": "s3://dp-lake/bronze/car_telemetry",
        "--silver_path": "s3://dp-lake/silver/car_telemetry",
        "--full_rebuild": "false",
        "--window_start": "2025-10-29T14:00:00Z",
        "--window_end": "2025-10-29T15:00:00Z",
        "--counts_path": f"s3://dp-lake/silver/car_telemetry/_counts/{RUN}.json",
        "--manifest_path": f"s3://dp-lake/silver/car_telemetry/_manifests/{RUN}.json",
    }


def test_glue_concurrency_lets_bronze_hours_overlap_but_not_silver(dagbag):
    dag = _dag(dagbag)
    assert render(dag, dag.get_task("bronze").create_job_kwargs)["ExecutionProperty"] == {"MaxConcurrentRuns": 4}
    assert render(dag, dag.get_task("silver").create_job_kwargs)["ExecutionProperty"] == {"MaxConcurrentRuns": 1}
    assert dag.get_task("silver").max_active_tis_per_dag == 1


def test_catalog_registration_reads_the_silver_manifest_of_the_window(dagbag):
    dag = _dag(dagbag)
    register = dag.get_task("register_silver_partitions")
    assert render(dag, register.database) == "dataplatform"
    assert register.table == "car_telemetry_silver", "the table is named after the job that writes it"
    assert render(dag, register.table_location) == "s3://dp-lake/silver/car_telemetry"
    assert (
        render(dag, register.manifest_path, {"resolve_window": WINDOW})
        == f"s3://dp-lake/silver/car_telemetry/_manifests/{RUN}.json"
    )


def test_publish_reads_both_stages_counts(dagbag):
    dag = _dag(dagbag)
    publish = dag.get_task("publish_counts")
    assert render(dag, publish.op_kwargs["counts_paths"], {"resolve_window": WINDOW}) == {
        "bronze": f"s3://dp-lake/bronze/car_telemetry/_counts/{RUN}.json",
        "silver": f"s3://dp-lake/silver/car_telemetry/_counts/{RUN}.json",
    }


def test_params_offer_an_explicit_window_and_a_rebuild_and_say_a_zone_is_needed(dagbag):
    params = _dag(dagbag).params
    assert set(params.keys()) == {"window_start", "window_end", "full_rebuild"}
    for name in params:
        assert params.get_param(name).description, f"param {name} has no description"
    assert "time zone" in params.get_param("window_start").description
