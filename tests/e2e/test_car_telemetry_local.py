"""car_telemetry end to end in local mode: Airflow runs the DAG, the sensor and the catalog talk
to the moto server, and the Glue stages run the real scripts on local PySpark over s3a://."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import boto3
import pytest

from datalake.conventions import parse_instant, window_run_name
from include.local.lake import clear_prefix, list_keys, read_json, read_rows

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _record(chassis, timestamp, mileage, fuel_capacity=50, fuel=25.0, trip_km=40.0, trip_liters=4.0):
    return {
        "carChassis": chassis,
        "model": "HB20",
        "year": 2021,
        "Manufacturer": "  hyundai motor ",
        "color": "PRATA",
        "fuelCapacity": fuel_capacity,
        "currentMileage": mileage,
        "metrics": {
            "metricTimestamp": timestamp,
            "fuelAvailable": fuel,
            "engineTemperature": 90,
            "batteryVoltage": 12.6,
            "location": {"latitude": -23.55, "longitude": -46.63},
            "trip": {
                "tripMileage": trip_km,
                "tripFuelLiters": trip_liters,
                "tripTimeMinutes": 55,
                "tripStartTimestamp": timestamp,
            },
        },
    }


LANDING_FILES = {
    "car_telemetry/2025/10/29/a.json": [
        _record("CAR-A", "2025-10-29T14:03:22Z", 1000),
        _record("CAR-A", "2025-10-29T14:30:00Z", 1200, fuel=40.0),
    ],
    "car_telemetry/2025/10/29/late.json": _record("CAR-A", "2025-10-28T23:59:59Z", 900),
    "car_telemetry/sub/folder/b.json": _record("CAR-B", "2025-10-29T14:10:00Z", 5000, fuel_capacity=0, trip_liters=0),
    "car_telemetry/bad/no_chassis.json": [{**_record(None, "2025-10-29T14:00:00Z", 1)}],
}
NOT_JSON = {"car_telemetry/bad/garbage.json": b"this is not json {"}

# carChassis, event_year, event_month, event_day, currentMileage, fuel_level_percentage, km_per_liter
EXPECTED_SILVER = [
    ("CAR-A", 2025, 10, 28, 900, 50.0, 10.0),
    ("CAR-A", 2025, 10, 29, 1200, 80.0, 10.0),
    ("CAR-B", 2025, 10, 29, 5000, None, None),
]
SILVER_COLUMNS = [
    "carChassis", "event_year", "event_month", "event_day",
    "currentMileage", "fuel_level_percentage", "km_per_liter",
]  # fmt: skip


@pytest.fixture
def landed(aws_env):
    """Upload the landing files now; return the explicit window that holds their last-modified time."""
    for bucket, prefix in (("dp-landing", "car_telemetry/"), ("dp-lake", "")):
        clear_prefix(bucket, prefix)
    glue = boto3.client("glue")
    if "dataplatform" in [db["Name"] for db in glue.get_databases()["DatabaseList"]]:
        glue.delete_database(Name="dataplatform")
    start = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    s3 = boto3.client("s3")
    for key, body in LANDING_FILES.items():
        s3.put_object(Bucket="dp-landing", Key=key, Body=json.dumps(body).encode())
    for key, body in NOT_JSON.items():
        s3.put_object(Bucket="dp-landing", Key=key, Body=body)
    end = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return {"window_start": f"{start:%Y-%m-%dT%H:%M:%SZ}", "window_end": f"{end:%Y-%m-%dT%H:%M:%SZ}"}


def _run(dagbag, conf):
    dag = dagbag.get_dag("car_telemetry")
    run = dag.test(run_conf=conf)
    return {ti.task_id: ti.state for ti in run.get_task_instances()}


def _run_name(conf):
    return window_run_name(parse_instant("start", conf["window_start"]), parse_instant("end", conf["window_end"]))


def test_hour_of_landing_files_becomes_consolidated_registered_silver(local_dagbag, landed):
    states = _run(local_dagbag, landed)
    assert set(states.values()) == {"success"}, states

    assert read_rows("dp-lake/silver/car_telemetry", SILVER_COLUMNS) == EXPECTED_SILVER
    run_name = _run_name(landed)
    bronze_counts = read_json("dp-lake", f"bronze/car_telemetry/_counts/{run_name}.json")
    assert (bronze_counts["read"], bronze_counts["written"], bronze_counts["quarantined"]) == (6, 4, 2)
    silver_counts = read_json("dp-lake", f"silver/car_telemetry/_counts/{run_name}.json")
    assert (silver_counts["read"], silver_counts["written"], silver_counts["superseded"]) == (4, 3, 1)

    partitions = boto3.client("glue").get_partitions(DatabaseName="dataplatform", TableName="car_telemetry_silver")
    assert sorted(tuple(p["Values"]) for p in partitions["Partitions"]) == [("2025", "10", "28"), ("2025", "10", "29")]

    silver_files = list_keys("dp-lake", "silver/car_telemetry/event_year=")
    states = _run(local_dagbag, landed)  # a rerun of the same window changes nothing
    assert set(states.values()) == {"success"}, states
    assert read_rows("dp-lake/silver/car_telemetry", SILVER_COLUMNS) == EXPECTED_SILVER
    assert len(list_keys("dp-lake", "silver/car_telemetry/event_year=")) == len(silver_files)
    partitions = boto3.client("glue").get_partitions(DatabaseName="dataplatform", TableName="car_telemetry_silver")
    assert len(partitions["Partitions"]) == 2


def test_an_hour_without_landing_files_is_skipped_cleanly(local_dagbag, aws_env):
    states = _run(local_dagbag, {"window_start": "2020-01-01T00:00:00Z", "window_end": "2020-01-01T01:00:00Z"})
    assert states["resolve_window"] == "success"
    assert {task: state for task, state in states.items() if task != "resolve_window"} == {
        "wait_for_landing_files": "skipped",
        "bronze": "skipped",
        "silver": "skipped",
        "register_silver_partitions": "skipped",
        "publish_counts": "skipped",
    }
    ledger = "bronze/car_telemetry/_ledgers/ingest_year=2020/ingest_month=1/ingest_day=1/ingest_hour=0.json"
    assert read_json("dp-lake", ledger) == [], "the skipped hour is recorded as looked at and empty"
