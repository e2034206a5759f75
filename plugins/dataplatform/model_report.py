"""Publish a training run: each model's test metrics as a table in the task log, the best model, the chart.

Reads the run's `metrics.json` (written by the training job) and returns a summary, which lands
in XCom (the Airflow UI shows it on the task), with the chart's S3 location to open.
"""

from __future__ import annotations

import json
import logging

from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.sdk import task

from dataplatform.catalog import s3_uri

log = logging.getLogger(__name__)
METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc")


def metrics_table(metrics: dict) -> str:
    """The models as a fixed-width table, best first by ROC AUC, the best one starred."""
    rows = sorted(metrics["models"].items(), key=lambda item: -item[1]["roc_auc"])
    lines = [f"{'model':<26}" + "".join(f"{name:>10}" for name in METRICS)]
    for name, values in rows:
        mark = "*" if name == metrics["best_model"] else " "
        lines.append(f"{mark}{name:<25}" + "".join(f"{values[metric]:>10.4f}" for metric in METRICS))
    return "\n".join(lines)


def publish_models(artifacts_path: str, run_id: str, aws_conn_id: str | None = "aws_default") -> dict:
    run_dir = f"{s3_uri(artifacts_path).rstrip('/')}/{run_id}"
    bucket, key = S3Hook.parse_s3_url(f"{run_dir}/metrics.json")
    metrics = json.loads(S3Hook(aws_conn_id=aws_conn_id).read_key(key, bucket_name=bucket))
    split = metrics["split"]
    log.info(
        "run %s: train %s..%s (%s rows), test %s..%s (%s rows)\n%s",
        run_id, split["train_start_date"], split["train_end_date"], split["train_rows"],
        split["test_start_date"], split["test_end_date"], split["test_rows"], metrics_table(metrics),
    )  # fmt: skip
    best = metrics["best_model"]
    summary = {
        "run_id": run_id,
        "best_model": best,
        "roc_auc": metrics["models"][best]["roc_auc"],
        "chart": f"{run_dir}/model_comparison.png",
        "metrics": f"{run_dir}/metrics.json",
    }
    log.info("best model %s (ROC AUC %.4f); chart: %s", best, summary["roc_auc"], summary["chart"])
    return summary


def publish_models_task(artifacts_path: str, run_id: str):
    """The `publish_models` task (after training)."""
    return task(task_id="publish_models")(publish_models)(artifacts_path=artifacts_path, run_id=run_id)
