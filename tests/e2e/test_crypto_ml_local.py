"""crypto_ml end to end in local mode: Airflow runs the DAG, the input is pinned on the moto server, both
Glue stages run the real scripts on local PySpark over s3a://, and the artifacts land in the artifacts bucket."""

from __future__ import annotations

import boto3
import pytest

from include.local.lake import clear_prefix, list_keys, read_json
from include.sample_data import crypto_ml as sample

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _run(dagbag):
    run = dagbag.get_dag("crypto_ml").test()
    return {ti.task_id: ti.state for ti in run.get_task_instances()}


def test_a_raw_csv_becomes_features_models_and_a_chart_and_a_rerun_replaces_them(local_dagbag, aws_env):
    for bucket, prefix in (("dp-landing", "crypto/"), ("dp-lake", "gold/crypto_features/"),
                           ("dp-lake", "quarantine/crypto_features/"), ("dp-lake", "raw/crypto_prices/"),
                           ("dp-artifacts", "crypto_ml/")):  # fmt: skip
        clear_prefix(bucket, prefix)
    s3 = boto3.client("s3")
    s3.put_object(Bucket="dp-landing", Key="crypto/raw.csv", Body=sample.generate(3, 120, seed=5).encode())
    head = s3.head_object(Bucket="dp-landing", Key="crypto/raw.csv")
    run_id = f"{head['LastModified']:%Y%m%dT%H%M%SZ}_{head['ETag'].strip(chr(34))[:16]}"

    for attempt in (1, 2):
        states = _run(local_dagbag)
        assert set(states.values()) == {"success"}, (attempt, states)
        latest = read_json("dp-artifacts", "crypto_ml/latest.json")
        assert latest["run_id"] == run_id, "the run is named after the file's version"
        assert latest["model_path"] in (None, f"s3a://dp-artifacts/crypto_ml/{run_id}/models/{latest['best_model']}")
        metrics = read_json("dp-artifacts", f"crypto_ml/{run_id}/metrics.json")
        assert metrics["best_model"] == latest["best_model"]
        assert sorted(metrics["models"]) == ["gradient_boosted_trees", "logistic_regression", "majority_baseline",
                                             "random_forest"]  # fmt: skip
        features = read_json("dp-lake", f"gold/crypto_features/_counts/{run_id}.json")
        assert {k: features[k] for k in ("read", "written", "quarantined", "superseded")} == {
            "read": 366, "written": 360, "quarantined": 5, "superseded": 1}  # fmt: skip

    keys = list_keys("dp-artifacts", "crypto_ml/")
    runs = {key.split("/")[1] for key in keys if key.count("/") > 1 and not key.split("/")[1].startswith("_")}
    assert runs == {run_id}, "a rerun of the same version replaced its artifacts"
    assert f"crypto_ml/{run_id}/model_comparison.png" in list_keys("dp-artifacts", f"crypto_ml/{run_id}/")
    assert list_keys("dp-lake", "raw/crypto_prices/") == [f"raw/crypto_prices/{run_id}/raw.csv"]
    partitions = boto3.client("glue").get_partitions(DatabaseName="dataplatform", TableName="crypto_features")
    assert sorted(p["Values"][0] for p in partitions["Partitions"]) == ["BTC", "ETH", "SOL"]
