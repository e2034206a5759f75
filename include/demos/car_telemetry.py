"""car_telemetry on sample data: an hour of a small fleet's landing files (with bad ones),
then late data for yesterday landing in the same hour, each run through the DAG in local mode."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3

from datalake.conventions import DEFAULTS, window_run_name
from include.demos.airflow_run import run_dag
from include.local.lake import clear_prefix, read_json, read_rows
from include.sample_data.car_telemetry import as_objects, generate

LANDING_BUCKET, LAKE_BUCKET = DEFAULTS["landing_bucket"], DEFAULTS["lake_bucket"]
SILVER = f"{LAKE_BUCKET}/silver/car_telemetry"
SAMPLE_COLUMNS = [
    "carChassis", "Manufacturer", "color", "event_year", "event_month", "event_day",
    "currentMileage", "fuel_level_percentage", "km_per_liter",
]  # fmt: skip


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _upload(files) -> int:
    s3 = boto3.client("s3")
    for key, body in as_objects(files, prefix="car_telemetry/"):
        s3.put_object(Bucket=LANDING_BUCKET, Key=key, Body=body)
    return len(files)


def _report(label: str, run_name: str, seconds: float) -> list[str]:
    bronze = read_json(LAKE_BUCKET, f"bronze/car_telemetry/_counts/{run_name}.json")
    silver = read_json(LAKE_BUCKET, f"silver/car_telemetry/_counts/{run_name}.json")
    partitions = boto3.client("glue").get_partitions(
        DatabaseName=DEFAULTS["glue_database"], TableName="car_telemetry_silver"
    )
    registered = sorted("-".join(p["Values"]) for p in partitions["Partitions"])
    reasons = bronze.get("quarantine_reasons", {})
    return [
        f"  {label} ({seconds:.0f}s):",
        f"    bronze: files read {bronze.get('files_read')}, records read {bronze['read']}, "
        f"written {bronze['written']}, quarantined {bronze['quarantined']}",
        *(f"      quarantined {count} x {reason}" for reason, count in sorted(reasons.items())),
        f"    silver: rows read {silver['read']}, written {silver['written']}, superseded {silver['superseded']}",
        f"    catalog partitions (dataplatform.car_telemetry_silver): {', '.join(registered)}",
    ]


def run() -> list[str]:
    for bucket, prefix in ((LANDING_BUCKET, "car_telemetry/"), (LAKE_BUCKET, "")):
        clear_prefix(bucket, prefix)
    start = _hour(datetime.now(timezone.utc))
    landed = _upload(generate(cars=5, records_per_car=6, seed=7, start=start - timedelta(hours=1), bad=True))
    end = _hour(datetime.now(timezone.utc)) + timedelta(hours=1)
    window = {"window_start": f"{start:%Y-%m-%dT%H:%M:%SZ}", "window_end": f"{end:%Y-%m-%dT%H:%M:%SZ}"}
    run_name = window_run_name(start, end)
    lines = [f"car_telemetry: window [{window['window_start']}, {window['window_end']}), {landed} landing files"]
    lines += _report("run 1: the hour's landing files", run_name, run_dag("car_telemetry", window, "car_telemetry-1"))

    late = _upload(generate(cars=5, records_per_car=2, seed=7, start=start - timedelta(days=1)))
    lines += _report(
        f"run 2: {late} late files for yesterday land in the same hour; the window is rerun",
        run_name,
        run_dag("car_telemetry", window, "car_telemetry-2"),
    )
    rows = read_rows(SILVER, SAMPLE_COLUMNS)
    lines.append(f"  silver sample ({len(rows)} rows in s3://{SILVER}/):")
    lines += [f"    {row}" for row in rows[:6]]
    return lines
