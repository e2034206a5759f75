"""receivables_lifecycle's shape: every 5 minutes, one run at a time, one AvailableNow Glue stage, counts published."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone

import pendulum
from airflow.providers.amazon.aws.operators.glue import GlueJobOperator

from tests.dags.conftest import render

RUN = "20251029T140000Z_20251029T140500Z"
XCOMS = {"resolve_window": {"run_name": RUN}}
JARS = "s3://dp-artifacts/glue/jars/"


def _dag(dagbag):
    return dagbag.get_dag("receivables_lifecycle")


def test_stages_run_in_order_one_run_at_a_time(dagbag):
    dag = _dag(dagbag)
    chain = ["resolve_window", "receivables_aggregator", "publish_counts"]
    assert sorted(dag.task_ids) == sorted(chain)
    for upstream, downstream in itertools.pairwise(chain):
        assert dag.get_task(downstream).upstream_task_ids == {upstream}, f"{downstream} should follow {upstream}"
    assert dag.max_active_runs == 1, "runs share the checkpoint"
    assert dag.catchup is False


def test_every_five_minutes_over_real_intervals(dagbag):
    dag = _dag(dagbag)
    interval = dag.timetable.infer_manual_data_interval(run_after=pendulum.datetime(2025, 10, 29, 14, 7, tz="UTC"))
    assert (interval.start, interval.end) == (datetime(2025, 10, 29, 14, 0, tzinfo=timezone.utc),
                                              datetime(2025, 10, 29, 14, 5, tzinfo=timezone.utc))  # fmt: skip


def test_the_job_runs_available_now_with_connections_rendered_at_run_time(dagbag):
    dag = _dag(dagbag)
    stage = dag.get_task("receivables_aggregator")
    assert isinstance(stage, GlueJobOperator)
    assert render(dag, stage.script_args, XCOMS) == {
        "--bootstrap_servers": "kafka_default.example.com:9092",
        "--search_url": "https://receivables_search.example.com:443",
        "--search_auth": "none",
        "--checkpoint_path": "s3://dp-lake/stream/receivables/_checkpoints/available_now",
        "--dead_letter_path": "s3://dp-lake/quarantine/receivables/available_now",
        "--trigger": "available_now",
        "--counts_path": f"s3://dp-lake/stream/receivables/_counts/{RUN}.json",
    }
    arguments = render(dag, stage.create_job_kwargs)["DefaultArguments"]
    assert arguments["--extra-jars"].split(",") == [
        f"{JARS}spark-sql-kafka-0-10_2.12-3.5.7.jar",
        f"{JARS}spark-token-provider-kafka-0-10_2.12-3.5.7.jar",
        f"{JARS}kafka-clients-3.4.1.jar",
        f"{JARS}commons-pool2-2.11.1.jar",
    ]
    assert arguments["--additional-python-modules"] == "opensearch-py==3.2.0"


def test_the_counts_of_the_run_are_published(dagbag):
    dag = _dag(dagbag)
    assert render(dag, dag.get_task("publish_counts").op_kwargs["counts_paths"], XCOMS) == {
        "receivables_aggregator": f"s3://dp-lake/stream/receivables/_counts/{RUN}.json"
    }
