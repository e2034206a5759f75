"""car_telemetry (and credit_features' backfill) run the way users run them: a real api-server, scheduler,
DAG processor and triggerer on PostgreSQL, driven through the REST API (what the UI's trigger form sends),
the CLI, the schedule and a backfill.

S3 here is a moto server running inside this test process, so a test can give a landing object the
last-modified time of an hour that has passed (moto stamps every upload "now"); everything else talks to
it over HTTP as to any S3. The stack has its own database and home, so it does not disturb `make airflow`.
"""

from __future__ import annotations

import json
import subprocess
import time
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import boto3
import pyarrow.dataset as ds
import pytest
from moto.s3.models import s3_backends
from moto.server import ThreadedMotoServer
from pyarrow import fs

from datalake.conventions import DEFAULTS, iso, window_run_name
from include.local import services
from include.local.airflow import Stack, airflow_env, down, up
from include.local.airflow_api import AirflowClient
from include.local.paths import VENV_BIN
from include.local.servers.postgres import recreate_database
from include.sample_data import car_telemetry as sample

pytestmark = [pytest.mark.integration, pytest.mark.slow]
DAG = "car_telemetry"
LANDING, LAKE = DEFAULTS["landing_bucket"], DEFAULTS["lake_bucket"]
GRACE = "dataplatform_landing_grace_seconds"
MOTO_ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def s3():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
    for bucket in (LANDING, LAKE, DEFAULTS["artifacts_bucket"]):
        client.create_bucket(Bucket=bucket)
    yield SimpleNamespace(endpoint=endpoint, client=client)
    server.stop()


def land(s3, key: str, body: bytes, modified: datetime) -> None:
    """Upload, then give the object the last-modified time it would have had (moto stamps "now")."""
    s3.client.put_object(Bucket=LANDING, Key=key, Body=body)
    s3_backends[MOTO_ACCOUNT]["global"].buckets[LANDING].keys[key].last_modified = modified.replace(tzinfo=None)


def land_hour(s3, hour: datetime, cars: int = 3, seed: int = 1) -> int:
    files = sample.generate(cars=cars, records_per_car=3, seed=seed, start=hour)
    for file in files:
        land(s3, f"car_telemetry/{file.key}", file.body, file.modified)
    return sum(len(body) if isinstance(body := json.loads(file.body), list) else 1 for file in files)


@pytest.fixture(scope="module")
def airflow(s3, tmp_path_factory):
    services.ensure_up(["postgres"])
    stack = Stack(prefix="test-airflow", home=tmp_path_factory.mktemp("airflow_home"), database="airflow_test")
    recreate_database(services.read_running("postgres").ports["port"], stack.database)
    overrides = {"AWS_ENDPOINT_URL": s3.endpoint, "AWS_ACCESS_KEY_ID": "testing",
                 "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}  # fmt: skip
    credentials = up(stack, servers=["postgres"], overrides=overrides)
    client = AirflowClient(**credentials)
    client.wait_for_dag(DAG)
    client.set_variable(GRACE, "0")  # an empty hour is skipped at once (the default waits 15 minutes)
    hour = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    yield SimpleNamespace(client=client, env=airflow_env(stack, overrides=overrides), hour=hour, s3=s3)
    down(stack)


def conf(start: datetime, end: datetime) -> dict:
    return {"window_start": iso(start), "window_end": iso(end)}


def lake_rows(s3, layer: str, columns: list[str]) -> list[tuple]:
    s3fs = fs.S3FileSystem(endpoint_override=s3.endpoint.removeprefix("http://"), scheme="http",
                           access_key="testing", secret_key="testing", region="us-east-1")  # fmt: skip
    table = ds.dataset(f"{LAKE}/{layer}/car_telemetry", filesystem=s3fs, format="parquet",
                       partitioning="hive", exclude_invalid_files=True).to_table(columns=columns)  # fmt: skip
    return sorted(zip(*(table.column(name).to_pylist() for name in columns), strict=True))


def counts(s3, layer: str, start: datetime, end: datetime) -> dict:
    key = f"{layer}/car_telemetry/_counts/{window_run_name(start, end)}.json"
    return json.loads(s3.client.get_object(Bucket=LAKE, Key=key)["Body"].read())


def test_the_scheduler_creates_a_scheduled_run_with_a_real_interval_when_the_dag_is_unpaused(airflow):
    airflow.client.set_paused(DAG, False)
    scheduled = []
    for _ in range(60):
        scheduled = airflow.client.runs(DAG, run_type="scheduled")
        if scheduled:
            break
        time.sleep(2)
    assert scheduled, "no scheduled run after unpausing"
    run = airflow.client.wait_for_run(DAG, scheduled[0]["dag_run_id"])
    start, end = (datetime.fromisoformat(run[key]) for key in ("data_interval_start", "data_interval_end"))
    assert end - start == timedelta(hours=1), "a scheduled window is a real hour, not zero-length"
    assert run["state"] == "success"
    states = {task: ti["state"] for task, ti in airflow.client.task_instances(DAG, run["dag_run_id"]).items()}
    assert states["wait_for_landing_files"] == "skipped", "no landing files in that hour: the run is skipped"


def test_a_rest_trigger_without_logical_date_runs_the_window_in_its_conf(airflow):
    start = airflow.hour - timedelta(hours=4)
    records = land_hour(airflow.s3, start, seed=4)
    run_id = airflow.client.trigger(DAG, conf(start, start + timedelta(hours=1)), logical_date=None)

    run = airflow.client.wait_for_run(DAG, run_id)

    assert run["state"] == "success", airflow.client.task_instances(DAG, run_id)
    assert all(ti["try_number"] == 1 for ti in airflow.client.task_instances(DAG, run_id).values())
    bronze = counts(airflow.s3, "bronze", start, start + timedelta(hours=1))
    assert (bronze["read"], bronze["written"]) == (records, records)


def test_a_cli_trigger_with_a_conf_window_runs_to_success(airflow):
    start = airflow.hour - timedelta(hours=3)
    records = land_hour(airflow.s3, start, seed=3)
    before = {run["dag_run_id"] for run in airflow.client.runs(DAG)}
    subprocess.run([str(VENV_BIN / "airflow"), "dags", "trigger", DAG, "--conf",
                    json.dumps(conf(start, start + timedelta(hours=1)))],
                   env=airflow.env, check=True, capture_output=True, timeout=120)  # fmt: skip
    (run_id,) = {run["dag_run_id"] for run in airflow.client.runs(DAG)} - before

    assert airflow.client.wait_for_run(DAG, run_id)["state"] == "success"
    assert counts(airflow.s3, "silver", start, start + timedelta(hours=1))["read"] == records


@pytest.mark.parametrize(
    ("bad_conf", "message"),
    [
        ({"window_start": "2025-10-29T15:00:00Z", "window_end": "2025-10-29T14:00:00Z"}, "is not after window start"),
        ({"window_start": "2025-10-29T14:00:00Z", "window_end": "2025-10-29T15:00:00Z", "windw": 1},
         "unknown parameter(s) windw"),
        ({"window_start": "2025-10-29T14:30:00Z", "window_end": "2025-10-29T15:00:00Z"}, "not on an hour boundary"),
    ],
)  # fmt: skip
def test_an_invalid_window_fails_at_once_with_one_line_and_no_retry(airflow, bad_conf, message):
    run_id = airflow.client.trigger(DAG, bad_conf)
    run = airflow.client.wait_for_run(DAG, run_id, timeout=300)
    tis = airflow.client.task_instances(DAG, run_id)
    assert run["state"] == "failed"
    assert (tis["resolve_window"]["state"], tis["resolve_window"]["try_number"]) == ("failed", 1)
    log = airflow.client.get(f"/api/v2/dags/{DAG}/dagRuns/{run_id}/taskInstances/resolve_window/logs/1")
    assert message in json.dumps(log)


def test_a_deferred_sensor_sees_a_file_landed_in_a_sub_folder_after_it_deferred(airflow):
    """The current hour, still open: the sensor defers; a file then lands deep in a sub-folder."""
    start = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    run_id = airflow.client.trigger(DAG, conf(start, start + timedelta(hours=1)))
    airflow.client.wait_for_task_state(DAG, run_id, "wait_for_landing_files", {"deferred"})
    body = sample.generate(cars=1, records_per_car=1, start=start)[0].body
    land(airflow.s3, "car_telemetry/fleet-late/2025/deep/sub/folder/late.json", body, start + timedelta(minutes=1))

    run = airflow.client.wait_for_run(DAG, run_id)

    assert run["state"] == "success"
    assert counts(airflow.s3, "bronze", start, start + timedelta(hours=1))["files_read"] == 1


def test_a_backfill_of_three_hours_fills_each_hour_once_without_duplicates(airflow):
    first = airflow.hour - timedelta(hours=8)
    hours = [first + timedelta(hours=index) for index in range(3)]
    landed = {hour: land_hour(airflow.s3, hour, cars=2, seed=10 + index) for index, hour in enumerate(hours)}
    subprocess.run([str(VENV_BIN / "airflow"), "backfill", "create", "--dag-id", DAG, "--from-date", iso(hours[0]),
                    "--to-date", iso(hours[-1]), "--max-active-runs", "3"],
                   env=airflow.env, check=True, capture_output=True, timeout=120)  # fmt: skip
    backfill = airflow.client.runs(DAG, run_type="backfill")
    assert len(backfill) == 3, backfill

    finished = [airflow.client.wait_for_run(DAG, run["dag_run_id"], timeout=1800) for run in backfill]

    assert [run["state"] for run in finished] == ["success"] * 3
    for hour in hours:
        assert counts(airflow.s3, "bronze", hour, hour + timedelta(hours=1))["written"] == landed[hour]
    keys = lake_rows(airflow.s3, "silver", ["carChassis", "event_year", "event_month", "event_day"])
    assert len(keys) == len(set(keys)), "silver holds one row per car and day"
    ingest_hours = {row[0] for row in lake_rows(airflow.s3, "bronze", ["ingest_hour", "carChassis"])}
    assert {hour.hour for hour in hours} <= ingest_hours


def test_a_credit_features_backfill_fills_exactly_its_days(airflow):
    """The daily DAG the same way: `backfill create` over two days runs one job per day, each reading its day only."""
    from include.sample_data import credit_features

    days = ["20251005", "20251006", "20251007"]  # the 7th is landed but outside the backfill
    for index, day in enumerate(days):
        body = credit_features.generate(rows=20 + index, seed=index).encode()
        airflow.s3.client.put_object(Bucket=LANDING, Key=f"transient/credit/anomesdia={day}/credit.csv", Body=body)
    airflow.client.wait_for_dag("credit_features")
    airflow.client.set_paused("credit_features", False)  # a paused DAG's backfill runs wait, like any other run
    subprocess.run([str(VENV_BIN / "airflow"), "backfill", "create", "--dag-id", "credit_features",
                    "--from-date", "2025-10-05", "--to-date", "2025-10-06", "--max-active-runs", "2"],
                   env=airflow.env, check=True, capture_output=True, timeout=120)  # fmt: skip
    backfill = airflow.client.runs("credit_features", run_type="backfill")
    finished = [airflow.client.wait_for_run("credit_features", run["dag_run_id"], timeout=1200) for run in backfill]
    assert [run["state"] for run in finished] == ["success", "success"]
    written = {}
    for day in days[:2]:
        start = datetime.strptime(day, "%Y%m%d").replace(tzinfo=timezone.utc)
        key = f"gold/credit_features/_counts/{window_run_name(start, start + timedelta(days=1))}.json"
        written[day] = json.loads(airflow.s3.client.get_object(Bucket=LAKE, Key=key)["Body"].read())["written"]
    assert written == {"20251005": 20, "20251006": 21}
    stored = airflow.s3.client.list_objects_v2(Bucket=LAKE, Prefix="gold/credit_features/anomesdia=")
    assert {obj["Key"].split("/")[2] for obj in stored["Contents"]} == {"anomesdia=20251005", "anomesdia=20251006"}
