"""crypto_ml on sample data: a raw.csv of five symbols lands, the DAG pins it, builds features, trains and compares."""

from __future__ import annotations

import boto3

from datalake.conventions import DEFAULTS
from dataplatform.model_report import metrics_table
from include.demos.airflow_run import run_dag
from include.local.lake import clear_prefix, read_json
from include.local.paths import LOCAL_DIR
from include.sample_data import crypto_ml as sample

LANDING_BUCKET, LAKE_BUCKET, ARTIFACTS_BUCKET = (DEFAULTS[name] for name in ("landing_bucket", "lake_bucket",
                                                                               "artifacts_bucket"))  # fmt: skip


def run() -> list[str]:
    for bucket, prefix in ((LANDING_BUCKET, "crypto/"), (LAKE_BUCKET, "gold/crypto_features/"),
                           (LAKE_BUCKET, "quarantine/crypto_features/"), (LAKE_BUCKET, "raw/crypto_prices/"),
                           (ARTIFACTS_BUCKET, "crypto_ml/")):  # fmt: skip
        clear_prefix(bucket, prefix)
    s3 = boto3.client("s3")
    s3.put_object(Bucket=LANDING_BUCKET, Key="crypto/raw.csv", Body=sample.generate(5, 500, seed=7).encode())
    seconds = run_dag("crypto_ml", {}, "crypto_ml-1")

    latest = read_json(ARTIFACTS_BUCKET, "crypto_ml/latest.json")
    run_id = latest["run_id"]
    metrics = read_json(ARTIFACTS_BUCKET, f"crypto_ml/{run_id}/metrics.json")
    features = read_json(LAKE_BUCKET, f"gold/crypto_features/_counts/{run_id}.json")
    chart_key = f"crypto_ml/{run_id}/model_comparison.png"
    local_chart = LOCAL_DIR / "demo" / "crypto_ml_model_comparison.png"
    local_chart.parent.mkdir(parents=True, exist_ok=True)
    s3.download_file(ARTIFACTS_BUCKET, chart_key, str(local_chart))
    split = metrics["split"]
    return [
        f"crypto_ml: s3://{LANDING_BUCKET}/crypto/raw.csv, run {run_id} ({seconds:.0f}s)",
        f"    features: rows read {features['read']}, written {features['written']} ({features['symbols']} symbols), "
        f"quarantined {features['quarantined']}, superseded {features['superseded']}",
        *(f"      quarantined {n} x {reason}" for reason, n in sorted(features["quarantine_reasons"].items())),
        f"    split: train {split['train_start_date']}..{split['train_end_date']} ({split['train_rows']} rows), "
        f"test {split['test_start_date']}..{split['test_end_date']} ({split['test_rows']} rows)",
        *(f"    {line}" for line in metrics_table(metrics).splitlines()),
        f"    best model: {latest['best_model']} (ROC AUC {latest['roc_auc']:.3f}) at {latest['model_path']}",
        f"    chart: s3://{ARTIFACTS_BUCKET}/{chart_key} (copied to {local_chart.relative_to(LOCAL_DIR.parent)})",
    ]
