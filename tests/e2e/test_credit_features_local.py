"""credit_features end to end in local mode: Airflow runs the DAG, the sensor and the catalog talk to
the moto server, and the Glue stage runs the real script on local PySpark over s3a://."""

from __future__ import annotations

import boto3
import pytest

from include.local.lake import clear_prefix, read_json, read_rows
from include.sample_data import credit_features as sample

pytestmark = [pytest.mark.integration, pytest.mark.slow]
DAY = {"window_start": "2025-10-29T00:00:00Z", "window_end": "2025-10-30T00:00:00Z"}
RUN = "20251029T000000Z_20251030T000000Z"


def _run(dagbag, conf):
    run = dagbag.get_dag("credit_features").test(run_conf=conf)
    return {ti.task_id: ti.state for ti in run.get_task_instances()}


def test_a_days_file_becomes_registered_features_and_a_rerun_changes_nothing(local_dagbag, aws_env):
    for bucket, prefix in (("dp-landing", "transient/credit/"), ("dp-lake", "gold/credit_features/"),
                           ("dp-lake", "quarantine/credit_features/")):  # fmt: skip
        clear_prefix(bucket, prefix)
    s3 = boto3.client("s3")
    body = sample.generate(rows=40, seed=11, bad=True).encode()
    s3.put_object(Bucket="dp-landing", Key="transient/credit/anomesdia=20251029/credit 2025-10-29.csv", Body=body)
    s3.put_object(Bucket="dp-landing", Key="transient/credit/anomesdia=20251030/credit.csv", Body=body)

    for attempt in (1, 2):
        states = _run(local_dagbag, DAY)
        assert set(states.values()) == {"success"}, (attempt, states)
        counts = read_json("dp-lake", f"gold/credit_features/_counts/{RUN}.json")
        assert {k: counts[k] for k in ("read", "written", "quarantined", "superseded")} == {
            "read": 48, "written": 41, "quarantined": 6, "superseded": 1,
        }  # fmt: skip
        rows = read_rows("dp-lake/gold/credit_features", ["id_cliente", "anomesdia"])
        assert len(rows) == 41
        assert {str(row[1]) for row in rows} == {"20251029"}, "only the run's day is read and written"

    partitions = boto3.client("glue").get_partitions(DatabaseName="dataplatform", TableName="credit_features")
    assert [p["Values"] for p in partitions["Partitions"]] == [["20251029"]]
    table = boto3.client("glue").get_table(DatabaseName="dataplatform", Name="credit_features")["Table"]
    assert [key["Name"] for key in table["PartitionKeys"]] == ["anomesdia"]
    assert len(table["StorageDescriptor"]["Columns"]) == 51


def test_a_window_longer_than_a_day_is_refused_before_anything_runs(local_dagbag, aws_env):
    states = _run(local_dagbag, {"window_start": "2025-10-27T00:00:00Z", "window_end": "2025-10-29T00:00:00Z"})
    assert states["resolve_window"] == "failed"
    assert states["wait_for_credit_file"] == "upstream_failed"
