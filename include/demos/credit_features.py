"""credit_features on sample data: yesterday's credit file (with bad rows) lands, the DAG runs for that day."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3

from datalake.conventions import DEFAULTS, iso, window_run_name
from include.demos.airflow_run import run_dag
from include.local.lake import clear_prefix, read_json, read_rows
from include.sample_data import credit_features as sample

LANDING_BUCKET, LAKE_BUCKET = DEFAULTS["landing_bucket"], DEFAULTS["lake_bucket"]
SAMPLE_COLUMNS = ["id_cliente", "person_age", "age_band", "income_band", "loan_int_rate", "loan_int_rate_imputed",
                  "loan_to_income", "person_home_ownership_unknown"]  # fmt: skip


def run() -> list[str]:
    for bucket, prefix in ((LANDING_BUCKET, "transient/credit/"), (LAKE_BUCKET, "gold/credit_features/"),
                           (LAKE_BUCKET, "quarantine/credit_features/")):  # fmt: skip
        clear_prefix(bucket, prefix)
    start = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    end = start + timedelta(days=1)
    key = f"transient/credit/anomesdia={start:%Y%m%d}/credit_{start:%Y%m%d}.csv"
    boto3.client("s3").put_object(Bucket=LANDING_BUCKET, Key=key, Body=sample.generate(500, seed=3, bad=True).encode())
    seconds = run_dag("credit_features", {"window_start": iso(start), "window_end": iso(end)}, "credit_features-1")

    counts = read_json(LAKE_BUCKET, f"gold/credit_features/_counts/{window_run_name(start, end)}.json")
    glue = boto3.client("glue")
    partitions = glue.get_partitions(DatabaseName=DEFAULTS["glue_database"], TableName="credit_features")
    rows = read_rows(f"{LAKE_BUCKET}/gold/credit_features", SAMPLE_COLUMNS)
    return [
        f"credit_features: day {start:%Y-%m-%d}, s3://{LANDING_BUCKET}/{key} ({seconds:.0f}s)",
        f"    rows read {counts['read']}, written {counts['written']}, quarantined {counts['quarantined']}, "
        f"superseded {counts['superseded']}",
        *(f"      quarantined {n} x {reason}" for reason, n in sorted(counts["quarantine_reasons"].items())),
        "    catalog partitions (dataplatform.credit_features): "
        + ", ".join("-".join(p["Values"]) for p in partitions["Partitions"]),
        f"  features sample ({len(rows)} rows in s3://{LAKE_BUCKET}/gold/credit_features/):",
        f"    ({', '.join(SAMPLE_COLUMNS)})",
        *(f"    {row}" for row in rows[:5]),
    ]
