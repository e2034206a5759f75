"""Glue job crypto_training: the features table -> models compared on a time-ordered split -> artifacts.

    crypto_training.py --features_path P --artifacts_path P --run_id ID [--seed N] [--counts_path P]

Trains logistic regression, a random forest and gradient-boosted trees (each a Spark ML
`Pipeline` with its feature assembly and scaling) and a majority-class baseline on the dates
before the split, scores them on the dates from it on (`datalake.crypto_ml.training`), and writes:

    artifacts_path/<run_id>/metrics.json             the split and each model's test metrics
    artifacts_path/<run_id>/models/<name>/           each learned model, a PipelineModel
    artifacts_path/<run_id>/model_comparison.png     the models side by side
    artifacts_path/latest.json                       the run and its best model, written last

The run's folder is built under `artifacts_path/_staging/` and moved into place whole, so a
rerun of a run id replaces it and a killed run leaves no half-written run behind `latest.json`.
The same features and seed give the same metrics.
"""

from __future__ import annotations

import json
import uuid

from pyspark.sql import functions as F

from datalake import storage
from datalake.cli import JobError, run_job
from datalake.conventions import id_run_name
from datalake.crypto_ml import chart, training
from datalake.job import JobRun, JobSpec
from datalake.locks import table_lock

SPEC = JobSpec(
    name="crypto_training",
    required=("features_path", "artifacts_path", "run_id"),
    output="artifacts_path",
    optional={"seed": "42"},
)


def parse(argv: list[str] | None) -> JobRun:
    run = SPEC.parse(argv)
    if run.args.run_id != id_run_name(run.args.run_id):
        raise JobError(f"--run_id {run.args.run_id!r} is not path-safe: use letters, digits and _ . = -")
    if not run.args.seed.isdigit():
        raise JobError(f"--seed {run.args.seed!r} is not a whole number")
    run.run_name = run.args.run_id
    return run


def train_and_score(split: training.Split, seed: int, models_dir: str) -> dict[str, dict[str, float]]:
    """Each model's test metrics; the learned models are saved under `models_dir/<name>/`."""
    results = {}
    for name, pipeline in training.pipelines(seed).items():
        model = pipeline.fit(split.train)
        predictions = model.transform(split.test).persist()
        results[name] = training.metrics(predictions)
        predictions.unpersist()
        model.write().overwrite().save(f"{models_dir}/{name}")
        print(f"{name}: {results[name]}", flush=True)
    majority = training.majority_class(split.train)
    results[training.BASELINE] = training.metrics(training.baseline_predictions(split.test, majority))
    return results


def split_summary(split: training.Split) -> dict:
    summaries = {}
    for side, rows in (("train", split.train), ("test", split.test)):
        count, first, last = rows.agg(F.count(F.lit(1)), F.min("date"), F.max("date")).first()
        if not count:
            raise JobError(f"the {side} set is empty (split at {split.test_start_date}): too few complete rows")
        summaries.update({f"{side}_rows": count, f"{side}_start_date": str(first), f"{side}_end_date": str(last)})
    return summaries


def main(argv: list[str] | None = None) -> dict:
    run = parse(argv).start_spark()
    artifacts = run.args.artifacts_path.rstrip("/")
    features = run.spark.read.parquet(run.require_input("features_path")).persist()
    try:
        split = training.split(features)
    except ValueError as error:
        raise JobError(str(error)) from None
    split = training.Split(split.train.persist(), split.test.persist(), split.test_start_date)
    summary = split_summary(split)

    staging = f"{artifacts}/_staging/{run.run_name}-{uuid.uuid4().hex}"
    results = train_and_score(split, int(run.args.seed), f"{staging}/models")
    best = training.best_model(results)
    metrics = {"run_id": run.run_name, "split": summary, "models": results, "best_model": best}
    storage.write_text(run.spark, f"{staging}/metrics.json", json.dumps(metrics, indent=2))
    storage.write_bytes(run.spark, f"{staging}/model_comparison.png", chart.model_comparison_png(metrics))

    run_dir = f"{artifacts}/{run.run_name}"
    with table_lock(artifacts, SPEC.name):
        storage.delete(run.spark, run_dir)
        storage.rename(run.spark, staging, run_dir)
        storage.delete_if_empty(run.spark, f"{artifacts}/_staging")
        latest = {
            "run_id": run.run_name,
            "best_model": best,
            "model_path": None if best == training.BASELINE else f"{run_dir}/models/{best}",
            "roc_auc": results[best]["roc_auc"],
        }
        storage.write_text(run.spark, f"{artifacts}/latest.json", json.dumps(latest, indent=2))  # last
    read = features.count()
    for cached in (split.train, split.test, features):
        cached.unpersist()
    used = summary["train_rows"] + summary["test_rows"]
    counts = {"read": read, "written": used, "quarantined": 0, "superseded": 0, "skipped": read - used,
              "best_model": best, "roc_auc": results[best]["roc_auc"], **summary}  # fmt: skip
    return run.finish(counts)


if __name__ == "__main__":
    run_job(main)
