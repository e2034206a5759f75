"""conversation_features' shape: stages, order, daily real intervals, and what each stage gets."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pendulum
import pytest
from airflow.providers.amazon.aws.sensors.s3 import S3KeySensor

from dataplatform.mongo_extract import MongoWindowToS3Operator
from dataplatform.windows import WindowError, resolve
from tests.dags.conftest import render

WINDOW = {"start": "2025-10-29T00:00:00Z", "end": "2025-10-30T00:00:00Z",
          "run_name": "20251029T000000Z_20251030T000000Z", "full_rebuild": False}  # fmt: skip
RUN = "20251029T000000Z_20251030T000000Z"
XCOMS = {"resolve_window": WINDOW}
RAW = "s3://dp-lake/raw/conversation_features/dt=2025-10-29/"
GOLD = "s3://dp-lake/gold/conversation_features"
NO_PARAMS = {"window_start": None, "window_end": None, "database": None, "collection": None}


@pytest.fixture(scope="module")
def dag(dagbag):
    return dagbag.get_dag("conversation_features")


def test_stages_run_in_order(dag):
    chain = ["resolve_window", "extract_sessions", "wait_for_extract_manifest", "features",
             "register_parquet_partition", "publish_counts"]  # fmt: skip
    assert sorted(dag.task_ids) == sorted(chain)
    for upstream, downstream in itertools.pairwise(chain):
        assert dag.get_task(downstream).upstream_task_ids == {upstream}, f"{downstream} should follow {upstream}"


def test_daily_real_intervals_on_utc_midnights(dag):
    assert dag.catchup is False
    interval = dag.timetable.infer_manual_data_interval(run_after=pendulum.datetime(2025, 10, 30, 5, tz="UTC"))
    assert (interval.start, interval.end) == (
        datetime(2025, 10, 29, tzinfo=timezone.utc),
        datetime(2025, 10, 30, tzinfo=timezone.utc),
    )
    assert interval.start < interval.end


def test_an_explicit_window_must_be_one_whole_day():
    day = {"align": timedelta(days=1), "align_label": "a UTC midnight", "span": timedelta(days=1)}
    two_days = {**NO_PARAMS, "window_start": "2025-10-29T00:00:00Z", "window_end": "2025-10-31T00:00:00Z"}
    with pytest.raises(WindowError, match=r"is not one day: this DAG processes one day per run"):
        resolve(None, two_days, two_days, declared=set(NO_PARAMS), **day)
    with pytest.raises(WindowError, match=r"unknown parameter\(s\) databse"):
        resolve(None, NO_PARAMS, {"databse": "x"}, declared=set(NO_PARAMS), **day)


def test_the_extract_reads_the_configured_source_or_the_runs_override(dag):
    extract = dag.get_task("extract_sessions")
    assert isinstance(extract, MongoWindowToS3Operator)
    assert extract.mongo_conn_id == "mongo_default"
    assert extract.create_index is False, "a pipeline does not build indexes on a production collection unasked"
    fields = {name: getattr(extract, name) for name in extract.template_fields}
    assert render(dag, fields, XCOMS, NO_PARAMS) == {
        "database": "conversations",
        "collection": "sessions",
        "window_start": "2025-10-29T00:00:00Z",
        "window_end": "2025-10-30T00:00:00Z",
        "s3_prefix": RAW,
    }
    overridden = render(dag, fields, XCOMS, {**NO_PARAMS, "database": "staging", "collection": "s2"})
    assert (overridden["database"], overridden["collection"]) == ("staging", "s2")


def test_the_sensor_waits_for_the_extract_manifest(dag):
    sensor = dag.get_task("wait_for_extract_manifest")
    assert isinstance(sensor, S3KeySensor)
    assert render(dag, sensor.bucket_key, XCOMS) == RAW + "_manifest.json"
    assert timedelta(seconds=sensor.timeout) < sensor.execution_timeout


def test_the_job_gets_the_day_and_the_catalog_the_parquet_folder(dag):
    assert render(dag, dag.get_task("features").script_args, XCOMS) == {
        "--input_path": RAW,
        "--output_path": f"{GOLD}/dt=2025-10-29/",
        "--window_start": "2025-10-29T00:00:00Z",
        "--window_end": "2025-10-30T00:00:00Z",
        "--counts_path": f"{GOLD}/_counts/{RUN}.json",
        "--manifest_path": f"{GOLD}/_manifests/{RUN}.json",
    }
    register = dag.get_task("register_parquet_partition")
    assert render(dag, register.table) == "conversation_features"
    assert render(dag, register.table_location) == GOLD
    assert render(dag, register.manifest_path, XCOMS) == f"{GOLD}/_manifests/{RUN}.json"
    assert register.partition_folder == "parquet"
