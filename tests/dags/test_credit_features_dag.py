"""credit_features' shape: stages, order, one-day timetable, and what each stage gets in production."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pendulum

from dataplatform.sensors import RequiredInputSensor
from tests.dags.conftest import render

WINDOW = {"start": "2025-10-29T00:00:00Z", "end": "2025-10-30T00:00:00Z",
          "run_name": "20251029T000000Z_20251030T000000Z", "full_rebuild": False}  # fmt: skip
RUN = "20251029T000000Z_20251030T000000Z"


def _dag(dagbag):
    return dagbag.get_dag("credit_features")


def test_stages_run_in_order(dagbag):
    dag = _dag(dagbag)
    chain = ["resolve_window", "wait_for_credit_file", "credit_features", "register_partition", "publish_counts"]
    assert sorted(dag.task_ids) == sorted(chain)
    for upstream, downstream in itertools.pairwise(chain):
        assert dag.get_task(downstream).upstream_task_ids == {upstream}, f"{downstream} should follow {upstream}"


def test_daily_real_intervals_of_one_utc_day(dagbag):
    dag = _dag(dagbag)
    assert dag.catchup is False
    interval = dag.timetable.infer_manual_data_interval(run_after=pendulum.datetime(2025, 10, 30, 9, tz="UTC"))
    assert (interval.start, interval.end) == (datetime(2025, 10, 29, tzinfo=timezone.utc),
                                              datetime(2025, 10, 30, tzinfo=timezone.utc))  # fmt: skip
    assert set(dag.params.keys()) == {"window_start", "window_end"}, "no full_rebuild: every run replaces its day"


def test_the_sensor_waits_for_the_days_csv_then_fails_instead_of_skipping(dagbag):
    dag = _dag(dagbag)
    sensor = dag.get_task("wait_for_credit_file")
    assert isinstance(sensor, RequiredInputSensor)
    assert render(dag, sensor.bucket_key, {"resolve_window": WINDOW}) == (
        "s3://dp-landing/transient/credit/anomesdia=20251029/*.csv"
    )
    assert sensor.wildcard_match is True
    assert sensor.soft_fail is False, "a missing credit file is an incident, not an empty day"
    assert sensor.mode == "reschedule"
    assert timedelta(seconds=sensor.timeout) == timedelta(hours=6)


def test_the_job_gets_its_day_and_run_outputs(dagbag):
    dag = _dag(dagbag)
    assert render(dag, dag.get_task("credit_features").script_args, {"resolve_window": WINDOW}) == {
        "--input_path": "s3://dp-landing/transient/credit/",
        "--output_path": "s3://dp-lake/gold/credit_features",
        "--anomesdia": "20251029",
        "--quarantine_path": "s3://dp-lake/quarantine/credit_features",
        "--counts_path": f"s3://dp-lake/gold/credit_features/_counts/{RUN}.json",
        "--manifest_path": f"s3://dp-lake/gold/credit_features/_manifests/{RUN}.json",
    }


def test_the_partition_is_registered_from_the_manifest_and_counts_published(dagbag):
    dag = _dag(dagbag)
    register = dag.get_task("register_partition")
    assert register.table == "credit_features"
    assert render(dag, register.table_location) == "s3://dp-lake/gold/credit_features"
    assert render(dag, register.manifest_path, {"resolve_window": WINDOW}) == (
        f"s3://dp-lake/gold/credit_features/_manifests/{RUN}.json"
    )
    assert render(dag, dag.get_task("publish_counts").op_kwargs["counts_paths"], {"resolve_window": WINDOW}) == {
        "credit_features": f"s3://dp-lake/gold/credit_features/_counts/{RUN}.json"
    }
