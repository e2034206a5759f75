"""The lake's conventions, in one place for both sides: the DAGs (Airflow) and the Glue jobs.

Pure Python (no pyspark, no Airflow): `make dist` ships this module in the Glue package
(`datalake.zip`) and in MWAA's `plugins.zip`, so a DAG and the job it starts cannot disagree on
a timestamp, a run name, where counts go, or what a table is called.

Names. A dataset (`car_telemetry`) has layers (`bronze`, `silver`, `gold`, `raw`, ...). Its data
of one layer is the Glue table named after the Glue job that writes it, at
`s3://<lake>/<layer>/<dataset>/`. A job is named `<dataset>_<layer>` when the dataset has one job
per layer (`car_telemetry_bronze`, `car_telemetry_silver`); a pipeline whose single job has its
own name keeps it (`credit_features`), and its table has that name too.

Run outputs. Every job stores its counts at `<output>/_counts/<run>.json` and, when it wrote a
partitioned table, the catalog manifest at `<output>/_manifests/<run>.json`. `<run>` is the run
name: `20251029T140000Z_20251029T150000Z` for a window, a sanitised run id otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

# Deployment defaults; each is overridable per environment (Airflow Variable `dataplatform_<name>`).
DEFAULTS = {
    "landing_bucket": "dp-landing",
    "lake_bucket": "dp-lake",
    "artifacts_bucket": "dp-artifacts",
    "glue_database": "dataplatform",
    "glue_role_arn": "arn:aws:iam::000000000000:role/dataplatform-glue",
    "code_version": "dev",
    # Glue's published price for Spark jobs, US$ per DPU-hour (what each run's cost is computed with).
    "glue_price_per_dpu_hour": "0.44",
    # How long after a window's end its landing files may still appear (see dataplatform.sensors).
    "landing_settle_seconds": "300",
    "landing_grace_seconds": "900",
    # Where conversation_features' sessions live (the connection is `mongo_default`).
    "conversation_features_database": "conversations",
    "conversation_features_collection": "sessions",
}
COUNTS_DIR = "_counts"
MANIFESTS_DIR = "_manifests"
LEDGERS_DIR = "_ledgers"
# Tables filled hourly from a landing zone are partitioned by the hour their files landed.
INGEST_HOUR_PARTITIONS = ("ingest_year", "ingest_month", "ingest_day", "ingest_hour")
_RUN_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_.=-]+")


class InstantError(ValueError):
    """A value is not an ISO-8601 instant; the message says which and why, in one line."""


def parse_instant(name: str, value: str, *, require_zone: bool = False) -> datetime:
    """An ISO-8601 timestamp (`Z` or an offset) as an aware UTC datetime.

    A value without a zone is taken as UTC, unless `require_zone` (what a person types into a
    form may mean local time, so the UI's window parameters insist on one).
    """
    try:
        parsed = datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise InstantError(f"{name} {value!r} is not an ISO-8601 timestamp (e.g. 2025-10-29T14:00:00Z)") from None
    if parsed.tzinfo is None:
        if require_zone:
            raise InstantError(f"{name} {value!r} has no time zone: end it with Z (UTC) or an offset such as -03:00")
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def iso(instant: datetime) -> str:
    """`2025-10-29T14:00:00Z`: whole seconds, UTC."""
    return instant.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def window_run_name(start: datetime, end: datetime) -> str:
    """`20251029T140000Z_20251029T150000Z`: sortable, and legal in every file system and S3 key."""
    return f"{start.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}_{end.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}"


def id_run_name(run_id: str) -> str:
    """A run without a window (an Asset-triggered run, a model training): its id, made path-safe."""
    safe = _RUN_NAME_UNSAFE.sub("_", run_id.strip()).strip("_.")
    if not safe:
        raise ValueError(f"run id {run_id!r} has nothing usable for a run name")
    return safe


def split_s3(path: str) -> tuple[str, str] | None:
    """`s3://bucket/key` (or Spark's `s3a://`, `s3n://`) -> (bucket, key); None for a local path."""
    scheme, separator, rest = path.partition("://")
    if not separator or scheme.lower() not in ("s3", "s3a", "s3n"):
        return None
    bucket, _, key = rest.partition("/")
    return bucket, key


def counts_path(output_path: str, run_name: str) -> str:
    return f"{output_path.rstrip('/')}/{COUNTS_DIR}/{run_name}.json"


def manifest_path(output_path: str, run_name: str) -> str:
    return f"{output_path.rstrip('/')}/{MANIFESTS_DIR}/{run_name}.json"


def hour_partition(hour: datetime) -> dict[str, int]:
    """`{"ingest_year": 2025, "ingest_month": 10, "ingest_day": 29, "ingest_hour": 14}` (UTC)."""
    hour = hour.astimezone(timezone.utc)
    return dict(zip(INGEST_HOUR_PARTITIONS, (hour.year, hour.month, hour.day, hour.hour), strict=True))


def hour_ledger_path(table_path: str, hour: datetime) -> str:
    """Where the list of landing files an hour of `table_path` was built from is kept (`datalake.ledger`)."""
    parts = "/".join(f"{name}={value}" for name, value in hour_partition(hour).items())
    return f"{table_path.rstrip('/')}/{LEDGERS_DIR}/{parts}.json"


@dataclass(frozen=True)
class Table:
    """One layer of a dataset: the Glue table, the job that writes it, and where it lives."""

    dataset: str
    layer: str
    name: str

    def location(self, lake_bucket: str) -> str:
        return f"s3://{lake_bucket}/{self.layer}/{self.dataset}"


def table(dataset: str, layer: str, job: str | None = None) -> Table:
    """`table("car_telemetry", "silver")` -> job and table `car_telemetry_silver` at `silver/car_telemetry`."""
    return Table(dataset=dataset, layer=layer, name=job or f"{dataset}_{layer}")
