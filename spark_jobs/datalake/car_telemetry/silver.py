"""Bronze rows -> silver rows (pure transforms): flatten, cleanse, enrich, partition, consolidate.

`to_silver` turns the window's bronze rows into silver rows; `consolidate` merges them with the
existing silver rows of the days they touch and keeps one row per car and event day.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from datalake.car_telemetry.schema import (
    CONSOLIDATION_KEY,
    CONSOLIDATION_ORDER,
    EVENT_PARTITIONS,
    LINEAGE_COLUMNS,
    RECORD_COLUMNS,
    SILVER_COLUMNS,
)
from datalake.columns import clean_text, parse_utc_timestamp, rounded_ratio, title_case

PERCENT = 100
RATIO_DECIMALS = 2


def flatten(bronze: DataFrame) -> DataFrame:
    """Nested structs to top-level columns named by their path joined with `_` (metrics.trip.x -> metrics_trip_x)."""

    def leaves(data_type: T.DataType, path: tuple[str, ...]) -> list[tuple[str, ...]]:
        if isinstance(data_type, T.StructType):
            return [leaf for field in data_type.fields for leaf in leaves(field.dataType, (*path, field.name))]
        return [path]

    record = bronze.select(*RECORD_COLUMNS).schema
    paths = leaves(record, ())
    return bronze.select(
        *(F.col(".".join(f"`{name}`" for name in path)).alias("_".join(path)) for path in paths),
        *LINEAGE_COLUMNS,
    )


def cleanse(flat: DataFrame) -> DataFrame:
    """Strings trimmed (blank -> null), Manufacturer in Title Case, color lower case, `*Timestamp` as UTC timestamps."""
    text_columns = [
        field.name
        for field in flat.schema.fields
        if isinstance(field.dataType, T.StringType)
        and field.name not in LINEAGE_COLUMNS
        and not field.name.endswith("Timestamp")
    ]
    timestamp_columns = [name for name in flat.columns if name.endswith("Timestamp")]
    trimmed_text = flat.withColumns({name: clean_text(F.col(name)) for name in text_columns})
    return trimmed_text.withColumns(
        {
            "Manufacturer": title_case(F.col("Manufacturer")),
            "color": F.lower(F.col("color")),
            **{name: parse_utc_timestamp(F.col(name)) for name in timestamp_columns},
        }
    )


def enrich(cleansed: DataFrame) -> DataFrame:
    return cleansed.withColumns(
        {
            "fuel_level_percentage": rounded_ratio(
                F.col("metrics_fuelAvailable"), F.col("fuelCapacity"), PERCENT, RATIO_DECIMALS
            ),
            "km_per_liter": rounded_ratio(
                F.col("metrics_trip_tripMileage"), F.col("metrics_trip_tripFuelLiters"), decimals=RATIO_DECIMALS
            ),
        }
    )


def with_event_partitions(enriched: DataFrame) -> DataFrame:
    """The UTC day of the reading (the job's session time zone is UTC)."""
    event_ts = F.col("metrics_metricTimestamp")
    parts = (F.year(event_ts), F.month(event_ts), F.dayofmonth(event_ts))
    return enriched.withColumns({name: part.cast("int") for name, part in zip(EVENT_PARTITIONS, parts, strict=True)})


def to_silver(bronze: DataFrame) -> DataFrame:
    """The window's bronze rows as silver rows (not yet consolidated)."""
    flat = flatten(bronze)
    cleansed = cleanse(flat)
    enriched = enrich(cleansed)
    partitioned = with_event_partitions(enriched)
    return partitioned.select(*SILVER_COLUMNS)


def consolidation_window() -> Window:
    """Best row first: largest mileage, latest reading, latest landing file, then the rest of the row.

    The trailing columns make the order total, so a rerun keeps the very same row.
    """
    preferred = [F.col(name).desc_nulls_last() for name in CONSOLIDATION_ORDER]
    rest = [
        F.col(name).asc_nulls_last()
        for name in SILVER_COLUMNS
        if name not in (*CONSOLIDATION_ORDER, *CONSOLIDATION_KEY)
    ]
    return Window.partitionBy(*CONSOLIDATION_KEY).orderBy(*preferred, *rest)


def ranked(incoming: DataFrame, existing: DataFrame) -> DataFrame:
    """The new silver rows and the existing ones of their days, each with its `_rank` within its car and day."""
    combined = incoming.select(*SILVER_COLUMNS).unionByName(existing.select(*SILVER_COLUMNS))
    return combined.withColumn("_rank", F.row_number().over(consolidation_window()))


def best_rows(ranked_rows: DataFrame) -> DataFrame:
    """One row per (carChassis, event day): the first of its ranking."""
    return ranked_rows.where(F.col("_rank") == 1).select(*SILVER_COLUMNS)


def consolidate(incoming: DataFrame, existing: DataFrame) -> DataFrame:
    """One row per (carChassis, event day) out of the new silver rows and the existing ones of their days."""
    return best_rows(ranked(incoming, existing))


def touched_days(day_counts: list) -> list[dict[str, int]]:
    """Rows of (event_year, event_month, event_day, ...) -> the partitions as dicts of ints, sorted."""
    days = {tuple(int(row[name]) for name in EVENT_PARTITIONS) for row in day_counts}
    return [dict(zip(EVENT_PARTITIONS, day, strict=True)) for day in sorted(days)]
