"""The declared landing record and the constants both layers agree on.

Parsing with a declared schema (never inference) is what keeps one odd record from changing
a column's type for the others; numbers inside `metrics` are declared double so an integer
reading (`"engineTemperature": 90`) and a decimal one land in the same column type.
"""

from __future__ import annotations

from pyspark.sql import types as T

from datalake.conventions import INGEST_HOUR_PARTITIONS

LOCATION = T.StructType(
    [
        T.StructField("latitude", T.DoubleType()),
        T.StructField("longitude", T.DoubleType()),
    ]
)
TRIP = T.StructType(
    [
        T.StructField("tripMileage", T.DoubleType()),
        T.StructField("tripFuelLiters", T.DoubleType()),
        T.StructField("tripTimeMinutes", T.DoubleType()),
        T.StructField("tripStartTimestamp", T.StringType()),
    ]
)
METRICS = T.StructType(
    [
        T.StructField("metricTimestamp", T.StringType()),
        T.StructField("fuelAvailable", T.DoubleType()),
        T.StructField("engineTemperature", T.DoubleType()),
        T.StructField("batteryVoltage", T.DoubleType()),
        T.StructField("location", LOCATION),
        T.StructField("trip", TRIP),
    ]
)
LANDING_SCHEMA = T.StructType(
    [
        T.StructField("carChassis", T.StringType()),
        T.StructField("model", T.StringType()),
        T.StructField("year", T.LongType()),
        T.StructField("Manufacturer", T.StringType()),
        T.StructField("color", T.StringType()),
        T.StructField("fuelCapacity", T.DoubleType()),
        T.StructField("currentMileage", T.DoubleType()),
        T.StructField("metrics", METRICS),
    ]
)
RECORD_COLUMNS = tuple(LANDING_SCHEMA.fieldNames())

INGEST_PARTITIONS = INGEST_HOUR_PARTITIONS
EVENT_PARTITIONS = ("event_year", "event_month", "event_day")
LINEAGE_COLUMNS = ("ingest_ts", "source_file")

BRONZE_SCHEMA = T.StructType(
    [
        *LANDING_SCHEMA.fields,
        T.StructField("ingest_ts", T.TimestampType()),
        T.StructField("source_file", T.StringType()),
        *(T.StructField(name, T.IntegerType()) for name in INGEST_PARTITIONS),
    ]
)
SILVER_SCHEMA = T.StructType(
    [
        T.StructField("carChassis", T.StringType()),
        T.StructField("model", T.StringType()),
        T.StructField("year", T.LongType()),
        T.StructField("Manufacturer", T.StringType()),
        T.StructField("color", T.StringType()),
        T.StructField("fuelCapacity", T.DoubleType()),
        T.StructField("currentMileage", T.DoubleType()),
        T.StructField("metrics_metricTimestamp", T.TimestampType()),
        T.StructField("metrics_fuelAvailable", T.DoubleType()),
        T.StructField("metrics_engineTemperature", T.DoubleType()),
        T.StructField("metrics_batteryVoltage", T.DoubleType()),
        T.StructField("metrics_location_latitude", T.DoubleType()),
        T.StructField("metrics_location_longitude", T.DoubleType()),
        T.StructField("metrics_trip_tripMileage", T.DoubleType()),
        T.StructField("metrics_trip_tripFuelLiters", T.DoubleType()),
        T.StructField("metrics_trip_tripTimeMinutes", T.DoubleType()),
        T.StructField("metrics_trip_tripStartTimestamp", T.TimestampType()),
        T.StructField("ingest_ts", T.TimestampType()),
        T.StructField("source_file", T.StringType()),
        T.StructField("fuel_level_percentage", T.DoubleType()),
        T.StructField("km_per_liter", T.DoubleType()),
        *(T.StructField(name, T.IntegerType()) for name in EVENT_PARTITIONS),
    ]
)
SILVER_COLUMNS = tuple(SILVER_SCHEMA.fieldNames())

# One row per car and event day survives consolidation: the furthest odometer reading, then the
# latest reading, then the latest landing file; the rest only make reruns pick the same row.
CONSOLIDATION_KEY = ("carChassis", *EVENT_PARTITIONS)
CONSOLIDATION_ORDER = ("currentMileage", "metrics_metricTimestamp", "ingest_ts", "source_file")

REQUIRED_FIELDS = ("carChassis", "metrics.metricTimestamp")


def leaf_paths(schema: T.StructType, prefix: str = "") -> list[str]:
    """Every field of `schema`, structs and leaves, as dotted paths, parents before children."""
    paths = []
    for field in schema.fields:
        path = f"{prefix}{field.name}"
        paths.append(path)
        if isinstance(field.dataType, T.StructType):
            paths.extend(leaf_paths(field.dataType, f"{path}."))
    return paths


def timestamp_paths(schema: T.StructType = LANDING_SCHEMA) -> list[str]:
    """The `*Timestamp` fields: ISO-8601 strings in landing and bronze, timestamps in silver."""
    return [path for path in leaf_paths(schema) if path.endswith("Timestamp")]
