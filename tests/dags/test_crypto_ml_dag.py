"""crypto_ml's shape: daily or on a new raw.csv, one pinned input per run, and what each stage gets in production."""

from __future__ import annotations

import itertools
from datetime import timedelta
from pathlib import Path

from airflow.sdk import AssetOrTimeSchedule

from dataplatform.assets import CRYPTO_RAW_PRICES
from dataplatform.object_versions import NewObjectVersionSensor
from tests.dags.conftest import render

RUN = "20251029T140509Z_9b2cf535f27731c9"
PINNED = {"pin_raw_prices": {"run_id": RUN, "input_path": f"s3://dp-lake/raw/crypto_prices/{RUN}/raw.csv"}}
LOCK = Path(__file__).resolve().parents[2] / "requirements-dev.lock"


def test_stages_run_in_order(dagbag):
    dag = dagbag.get_dag("crypto_ml")
    chain = ["pin_raw_prices", "crypto_features", "register_partitions", "crypto_training"]
    assert sorted(dag.task_ids) == sorted([*chain, "publish_counts", "publish_models"])
    for upstream, downstream in itertools.pairwise(chain):
        assert dag.get_task(downstream).upstream_task_ids == {upstream}, f"{downstream} should follow {upstream}"
    for last in ("publish_counts", "publish_models"):
        assert dag.get_task(last).upstream_task_ids == {"crypto_training"}


def test_runs_daily_and_on_each_new_raw_csv_one_at_a_time(dagbag):
    dag = dagbag.get_dag("crypto_ml")
    assert isinstance(dag.timetable, AssetOrTimeSchedule)
    assert (dag.timetable.timetable.expression, str(dag.timetable.timetable.timezone)) == ("0 6 * * *", "UTC")
    assert dag.timetable.asset_condition == CRYPTO_RAW_PRICES
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert not dag.params, "nothing to choose: a run takes the file's current version"


def test_the_watch_announces_new_versions_of_raw_csv_every_five_minutes(dagbag):
    dag = dagbag.get_dag("crypto_ml_raw_watch")
    sensor = dag.get_task("announce_new_raw_prices")
    assert isinstance(sensor, NewObjectVersionSensor)
    assert render(dag, sensor.bucket_name) == "dp-landing"
    assert sensor.bucket_key == "crypto/raw.csv"
    assert sensor.outlets == [CRYPTO_RAW_PRICES]
    assert sensor.soft_fail is True, "no new version is a skipped check, not a failure"
    assert sensor.mode == "reschedule"
    assert timedelta(seconds=sensor.timeout) < dag.timetable.delta == timedelta(minutes=5)
    assert dag.max_active_runs == 1
    assert dag.catchup is False


def test_every_stage_reads_the_pinned_input_and_names_outputs_after_its_version(dagbag):
    dag = dagbag.get_dag("crypto_ml")
    assert render(dag, dag.get_task("pin_raw_prices").op_kwargs) == {
        "bucket": "dp-landing", "key": "crypto/raw.csv", "snapshot_prefix": "s3://dp-lake/raw/crypto_prices",
    }  # fmt: skip
    assert render(dag, dag.get_task("crypto_features").script_args, PINNED) == {
        "--input_path": f"s3://dp-lake/raw/crypto_prices/{RUN}/raw.csv",
        "--output_path": "s3://dp-lake/gold/crypto_features",
        "--quarantine_path": "s3://dp-lake/quarantine/crypto_features",
        "--counts_path": f"s3://dp-lake/gold/crypto_features/_counts/{RUN}.json",
        "--manifest_path": f"s3://dp-lake/gold/crypto_features/_manifests/{RUN}.json",
    }
    assert render(dag, dag.get_task("crypto_training").script_args, PINNED) == {
        "--features_path": "s3://dp-lake/gold/crypto_features",
        "--artifacts_path": "s3://dp-artifacts/crypto_ml",
        "--run_id": RUN,
        "--counts_path": f"s3://dp-artifacts/crypto_ml/_counts/{RUN}.json",
    }
    register = dag.get_task("register_partitions")
    assert register.table == "crypto_features"
    assert render(dag, register.manifest_path, PINNED) == f"s3://dp-lake/gold/crypto_features/_manifests/{RUN}.json"


def test_training_on_glue_gets_matplotlib_at_the_version_the_tests_draw_with(dagbag):
    dag = dagbag.get_dag("crypto_ml")
    arguments = render(dag, dag.get_task("crypto_training").create_job_kwargs)["DefaultArguments"]
    locked = next(line for line in LOCK.read_text().splitlines() if line.startswith("matplotlib=="))
    assert arguments["--additional-python-modules"] == locked
    features_arguments = render(dag, dag.get_task("crypto_features").create_job_kwargs)["DefaultArguments"]
    assert "--additional-python-modules" not in features_arguments, "only the stage that draws needs it"
