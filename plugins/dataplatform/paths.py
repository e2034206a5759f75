"""Where each layer of each dataset lives, as templates a task renders (buckets are settings).

    paths.landing("car_telemetry")           -> s3://{{ landing }}/car_telemetry/
    paths.table("car_telemetry", "silver")   -> conventions.Table: name car_telemetry_silver, ...
    paths.location(silver)                   -> s3://{{ lake }}/silver/car_telemetry
    paths.counts(silver), paths.manifest(silver) -> <location>/_counts|_manifests/<run name>.json

The naming rule itself is `datalake.conventions` (shared with the Glue jobs).
"""

from __future__ import annotations

from datalake import conventions
from datalake.conventions import Table, table
from dataplatform.config import setting
from dataplatform.windows import RUN_NAME

__all__ = ["Table", "counts", "landing", "location", "manifest", "table"]


def landing(dataset: str) -> str:
    return f"s3://{setting('landing_bucket')}/{dataset}/"


def location(of: Table) -> str:
    return of.location(setting("lake_bucket"))


def counts(of: Table) -> str:
    return conventions.counts_path(location(of), RUN_NAME)


def manifest(of: Table) -> str:
    return conventions.manifest_path(location(of), RUN_NAME)
