"""crypto_features and crypto_training through their command lines, as Glue runs them, on local paths.

The sample file: 3 symbols x 120 days of valid rows, plus five bad rows and an early wrong copy of
one day that a later row corrects (see include.sample_data.crypto_ml).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from pyspark.ml import PipelineModel
from pyspark.testing import assertDataFrameEqual

from include.sample_data import crypto_ml as sample
from tests.jobs import GLUE_ARGS, one_error_line, run, run_in_process

pytestmark = pytest.mark.slow
MODELS = ["gradient_boosted_trees", "logistic_regression", "random_forest"]


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    root = tmp_path_factory.mktemp("crypto")
    (root / "landing").mkdir()
    (root / "landing" / "raw.csv").write_text(sample.generate(symbols=3, days=120, seed=5, bad=True))
    (root / "landing" / "notes.txt").write_text("not prices")
    return root


@pytest.fixture(scope="module")
def features_run(lake):
    counts = run_in_process("crypto_features.py", "--input_path", str(lake / "landing" / "raw.csv"),
                            "--output_path", str(lake / "features"), *GLUE_ARGS)  # fmt: skip
    return counts


def test_features_count_every_row_and_keep_one_row_per_symbol_and_day(features_run, lake):
    assert {k: features_run[k] for k in ("read", "written", "quarantined", "superseded", "symbols", "files_read")} == {
        "read": 366, "written": 360, "quarantined": 5, "superseded": 1, "symbols": 3, "files_read": 1,
    }  # fmt: skip
    assert features_run["quarantine_reasons"] == {"close is not positive": 2, "date is not a YYYY-MM-DD day": 1,
                                                  "open is not a number": 1, "symbol missing": 1}  # fmt: skip
    assert sorted(p.name for p in (lake / "features").iterdir() if not p.name.startswith("_")) == [
        "symbol=BTC", "symbol=ETH", "symbol=SOL"
    ]  # fmt: skip
    quarantined = [json.loads(line) for f in (lake / "features" / "_quarantine").glob("*.json")
                   for line in f.read_text().splitlines()]  # fmt: skip
    assert len(quarantined) == 5
    assert all(row["reason"] and row["record"] for row in quarantined)


def test_a_rerun_and_a_relative_folder_input_give_the_same_table(features_run, lake, spark):
    before = spark.read.parquet(str(lake / "features")).collect()
    relative = os.path.relpath(lake / "landing")  # a folder named relative to the working directory, as typed by hand
    again = run_in_process("crypto_features.py", "--input_path", relative, "--output_path", str(lake / "features"))
    assert again["replaced"] == 360
    assert again["written"] == 360
    assertDataFrameEqual(spark.read.parquet(str(lake / "features")), before)
    assert not (lake / "features" / "_staging").exists(), "no staging left behind"


def test_bad_arguments_are_one_error_line(lake):
    missing = run("crypto_features.py", "--input_path", str(lake / "nowhere"), "--output_path", "/tmp/x")
    assert one_error_line(missing) == f"error: --input_path {lake / 'nowhere'} does not exist"
    assert "--output_path" in one_error_line(run("crypto_features.py", "--input_path", str(lake), "--ouput_path", "x"))
    escape = run("crypto_training.py", "--features_path", "x", "--artifacts_path", "y", "--run_id", "../escape")
    assert one_error_line(escape) == "error: --run_id '../escape' is not path-safe: use letters, digits and _ . = -"


def _expected_test_start(features_dir: Path) -> str:
    """SPEC's split, computed here with pyarrow: floor(0.8 n) among the sorted dates that have a target."""
    table = pq.read_table(features_dir, columns=["date", "target_up_next_day"]).to_pylist()
    dates = sorted({row["date"] for row in table if row["target_up_next_day"] is not None})
    return str(dates[math.floor(0.8 * len(dates))])


def test_training_writes_the_artifacts_and_is_reproducible(features_run, lake, spark):
    artifacts = lake / "artifacts"
    arguments = ["--features_path", str(lake / "features"), "--artifacts_path", str(artifacts)]
    first = run_in_process("crypto_training.py", *arguments, "--run_id", "r1", *GLUE_ARGS)
    (artifacts / "r2").mkdir()
    (artifacts / "r2" / "stale.txt").write_text("left by a killed run of r2")
    second = run_in_process("crypto_training.py", *arguments, "--run_id", "r2")
    assert not (artifacts / "r2" / "stale.txt").exists(), "a rerun of a run id replaces its folder whole"

    metrics = json.loads((artifacts / "r1" / "metrics.json").read_text())
    again = json.loads((artifacts / "r2" / "metrics.json").read_text())
    assert metrics["models"] == again["models"], "same features and seed, same metrics"
    assert sorted(metrics) == ["best_model", "models", "run_id", "split"]
    assert sorted(metrics["models"]) == sorted([*MODELS, "majority_baseline"])
    for name, values in metrics["models"].items():
        assert sorted(values) == ["accuracy", "f1", "precision", "recall", "roc_auc"]
        assert all(0 <= value <= 1 for value in values.values()), (name, values)
    assert metrics["models"]["majority_baseline"]["roc_auc"] == 0.5

    split = metrics["split"]
    assert split["test_start_date"] == _expected_test_start(lake / "features")
    assert split["train_end_date"] < split["test_start_date"] <= split["test_end_date"]
    # 360 rows: per symbol the first 20 have no sma_21, the last has no target; one more row
    # follows the sample's zero-volume day (its volume change is null).
    assert split["train_rows"] + split["test_rows"] == 360 - 3 * 21 - 1
    assert first["skipped"] == 3 * 21 + 1

    # The baseline predicts the training set's majority class: its accuracy is that class's share of the test set.
    rows = pq.read_table(lake / "features").to_pylist()
    usable = [r for r in rows if r["target_up_next_day"] is not None and all(
        r[c] is not None for c in ("return_7d", "sma_21", "volatility_7", "rsi_14", "volume_change_1d"))]  # fmt: skip
    train = [r["target_up_next_day"] for r in usable if str(r["date"]) < split["test_start_date"]]
    test = [r["target_up_next_day"] for r in usable if str(r["date"]) >= split["test_start_date"]]
    assert (len(train), len(test)) == (split["train_rows"], split["test_rows"])
    majority = 1 if 2 * sum(train) >= len(train) else 0
    assert metrics["models"]["majority_baseline"]["accuracy"] == pytest.approx(test.count(majority) / len(test))

    assert sorted(p.name for p in (artifacts / "r1" / "models").iterdir()) == MODELS
    assert (artifacts / "r1" / "model_comparison.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    latest = json.loads((artifacts / "latest.json").read_text())
    assert latest == {"run_id": "r2", "best_model": second["best_model"], "roc_auc": second["roc_auc"],
                      "model_path": None if second["best_model"] == "majority_baseline"
                      else str(artifacts / "r2" / "models" / second["best_model"])}  # fmt: skip
    assert not (artifacts / "_staging").exists(), "nothing staged is left behind"

    # Every learned model applies to the features table as it is (assembly and scaling inside).
    table = spark.read.parquet(str(lake / "features"))
    complete = sum(all(r[c] is not None for c in ("return_7d", "sma_21", "volatility_7", "rsi_14", "volume_change_1d"))
                   for r in rows)  # fmt: skip
    for name in MODELS:
        scored = PipelineModel.load(str(artifacts / "r1" / "models" / name)).transform(table)
        assert scored.count() == complete, "scored: every row with every feature, the last day's too"
        assert {row.prediction for row in scored.select("prediction").distinct().collect()} <= {0.0, 1.0}
