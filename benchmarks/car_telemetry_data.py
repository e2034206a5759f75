"""Data for `benchmarks/car_telemetry.py`, and DuckDB's bronze (its yardstick) on the same files.

The sample generator (`include.sample_data.car_telemetry`) builds each record in Python and is
meant for tests; here the columns are drawn with numpy and formatted with one template, so a
million records take seconds. The records have the sample's shape and value ranges:
- a fleet of `cars` cars, each with a fixed chassis, model, colour and an odometer that only
  grows with time (`mileage_at`), so history and new readings of a car agree;
- landing files are JSON arrays of ~1000 readings in arrival order, in nested folders, each
  with its landing instant (a little after its last reading, inside the hour) as mtime;
- `late_fraction` of the readings arrive late, from the previous UTC day;
- with `bad=True`: one truncated and one empty file, and every 100th file carries three refused
  records (no carChassis, fuelAvailable "thirty", metricTimestamp "yesterday");
- `write_array_file`: one file of a given size, written in slices (never whole in memory).
The silver history is built with Spark, straight in the silver layout.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import numpy as np
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from datalake.car_telemetry.schema import EVENT_PARTITIONS, INGEST_PARTITIONS, LANDING_SCHEMA, SILVER_SCHEMA
from include.sample_data.car_telemetry import COLORS, MODELS

ALPHABET = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", dtype=np.uint8)
ODOMETER_EPOCH = datetime(2025, 1, 1, tzinfo=timezone.utc)
RECORDS_PER_FILE = 1000
BAD_FILE_EVERY = 100
# Readings stop this long before the hour ends, and files land at most MAX_LAG_S after their last one.
READING_MARGIN_S = 300
MAX_LAG_S = 120
RECORD = (
    '{"carChassis": "%s", "model": "%s", "year": %d, "Manufacturer": "%s", "color": "%s", "fuelCapacity": %d, '
    '"currentMileage": %d, "metrics": {"metricTimestamp": "%s", "fuelAvailable": %.1f, "engineTemperature": %d, '
    '"batteryVoltage": %.1f, "location": {"latitude": %.4f, "longitude": %.4f}, "trip": {"tripMileage": %.1f, '
    '"tripFuelLiters": %.2f, "tripTimeMinutes": %d, "tripStartTimestamp": "%s"}}}'
)
REFUSALS = (
    (r'"carChassis": "[^"]*", ', ""),
    (r'"fuelAvailable": [0-9.]+', '"fuelAvailable": "thirty"'),
    (r'"metricTimestamp": "[^"]*"', '"metricTimestamp": "yesterday"'),
)


@dataclass(frozen=True)
class Fleet:
    chassis: np.ndarray
    model: np.ndarray
    year: np.ndarray
    color: np.ndarray
    base_km: np.ndarray
    km_per_hour: np.ndarray

    @property
    def size(self) -> int:
        return len(self.chassis)


@dataclass(frozen=True)
class Landed:
    files: int
    records: int
    refused: int  # records bronze must refuse
    bad_files: int  # the truncated and the empty file: one quarantine row each, no record

    @property
    def quarantined(self) -> int:
        return self.refused + self.bad_files


def fleet(cars: int, seed: int = 7) -> Fleet:
    rng = np.random.default_rng(seed)
    letters = ALPHABET[rng.integers(0, len(ALPHABET), size=(cars, 27))]
    return Fleet(
        chassis=np.array([row.tobytes().decode() for row in letters]),
        model=rng.integers(0, len(MODELS), cars),
        year=rng.integers(2015, 2026, cars),
        color=rng.integers(0, len(COLORS), cars),
        base_km=rng.uniform(2_000, 60_000, cars),
        km_per_hour=rng.uniform(0.5, 6.0, cars),  # the odometer's average growth, parked hours included
    )


def mileage_at(base_km, km_per_hour, epoch_s):
    """The odometer at a moment: grows with time for every car (works on numpy arrays and Spark columns)."""
    return base_km + km_per_hour * (epoch_s - ODOMETER_EPOCH.timestamp()) / 3600


def _iso(epoch_s: np.ndarray) -> np.ndarray:
    return np.char.add(np.datetime_as_string(epoch_s.astype("datetime64[s]"), unit="s"), "Z")


def _readings(cars: Fleet, rng: np.random.Generator, arrival_s: np.ndarray, event_s: np.ndarray) -> list[str]:
    n = len(arrival_s)
    car = rng.integers(0, cars.size, n)
    model = cars.model[car]
    capacity = np.array([m[2] for m in MODELS])[model]
    trip_km = rng.uniform(5, 60, n).round(1)
    trip_minutes = rng.integers(10, 90, n)
    columns = (
        cars.chassis[car],
        np.array([m[0] for m in MODELS])[model],
        cars.year[car],
        np.array([m[1] for m in MODELS])[model],
        np.array(COLORS)[cars.color[car]],
        capacity,
        mileage_at(cars.base_km[car], cars.km_per_hour[car], event_s).round(),
        _iso(event_s),
        (capacity * rng.uniform(0.05, 1.0, n)).round(1),
        rng.integers(80, 106, n),
        rng.uniform(11.8, 14.4, n),
        rng.uniform(-23.7, -23.4, n),
        rng.uniform(-46.8, -46.4, n),
        trip_km,
        trip_km / rng.uniform(9, 15, n),
        trip_minutes,
        _iso(event_s - trip_minutes * 60),
    )
    return [RECORD % row for row in zip(*(column.tolist() for column in columns), strict=True)]


def write_landing(root: Path, cars: Fleet, records: int, hour: datetime, *, seed: int = 11, late_fraction: float = 0.0,
                  bad: bool = False, per_file: int = RECORDS_PER_FILE) -> Landed:  # fmt: skip
    """`records` readings landing in [hour, hour + 1 h) as JSON-array files of `per_file` records under `root`."""
    rng, start = np.random.default_rng(seed), hour.timestamp()
    arrival = np.sort(start + rng.uniform(0, 3600 - READING_MARGIN_S - MAX_LAG_S, records)).astype(np.int64)
    midnight = int(start) - hour.hour * 3600
    late = rng.random(records) < late_fraction
    event = np.where(late, midnight - rng.integers(1, 86_400, records), arrival)
    texts = _readings(cars, rng, arrival, event)
    refused = files = 0
    for files, first in enumerate(range(0, records, per_file), start=1):
        batch = texts[first : first + per_file]
        if bad and files % BAD_FILE_EVERY == 1 and len(batch) > len(REFUSALS):
            for index, (pattern, replacement) in enumerate(REFUSALS):
                batch[index] = re.sub(pattern, replacement, batch[index], count=1)
            refused += len(REFUSALS)
        last = int(arrival[min(first + per_file, records) - 1])
        folder = ("fleet-north", "fleet-south")[files % 2]
        _land(root / folder / f"{hour:%Y/%m/%d/%H}" / f"batch-{files:05d}.json", "[" + ",\n".join(batch) + "]", last)
    if bad:
        middle = int(start) + 1800
        _land(root / "bad" / "truncated.json", '{"carChassis": "9BWZZZ377VT004251", "model": "Gol", ', middle)
        _land(root / "bad" / "empty.json", "", middle)
    return Landed(files=files + 2 * bad, records=records, refused=refused, bad_files=2 * bad)


def _land(path: Path, text: str, last_reading_s: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    landed = last_reading_s + 5 + last_reading_s % MAX_LAG_S
    os.utime(path, (landed, landed))


def write_array_file(path: Path, cars: Fleet, size_bytes: int, hour: datetime, seed: int = 13) -> int:
    """One landing file of about `size_bytes` (a JSON array of readings of `hour`, landing inside it): its records."""
    rng, start, records, written = np.random.default_rng(seed), int(hour.timestamp()), 0, 1
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as out:
        out.write("[")
        while written < size_bytes:
            arrival = start + np.sort(rng.integers(0, 3600 - READING_MARGIN_S - MAX_LAG_S, 20_000))
            texts = _readings(cars, rng, arrival, arrival)
            ends = written + np.cumsum([len(text) + 2 for text in texts])
            texts = texts[: max(1, int(np.searchsorted(ends, size_bytes)) + 1)]
            out.write(("" if records == 0 else ",\n") + ",\n".join(texts))
            written, records = int(ends[len(texts) - 1]), records + len(texts)
        out.write("]")
    landed = start + 3600 - MAX_LAG_S
    os.utime(path, (landed, landed))
    return records


def history(spark: SparkSession, cars: Fleet, last_day: date, days: int, until_hour: int, seed: int = 3) -> DataFrame:
    """One consolidated silver row per car and day for `days` days up to `last_day`, in SILVER_SCHEMA.

    The last day only has readings before `until_hour` (the hour the benchmark's new rows are from).
    """
    columns = zip(*(c.tolist() for c in (cars.chassis, cars.model, cars.year, cars.color, cars.base_km,
                                         cars.km_per_hour)), strict=True)  # fmt: skip
    fleet_rows = [(i, c, *MODELS[m], y, COLORS[k], km, rate) for i, (c, m, y, k, km, rate) in enumerate(columns)]
    fleet_df = spark.createDataFrame(
        fleet_rows,
        "car long, carChassis string, model string, Manufacturer string, fuelCapacity long, year long, "
        "color string, base_km double, km_per_hour double",
    )
    first_day = datetime.combine(last_day - timedelta(days=days - 1), datetime.min.time(), timezone.utc)
    readings = spark.range(cars.size * days).select(
        (F.col("id") % cars.size).alias("car"), (F.col("id") / cars.size).cast("int").alias("day")
    )
    span = F.when(F.col("day") == days - 1, until_hour * 3600).otherwise(86_400)
    event_s = F.lit(first_day.timestamp()) + F.col("day") * 86_400 + (F.rand(seed) * span).cast("long")
    trip_km = F.round(F.rand(seed + 1) * 55 + 5, 1)
    trip_liters = F.round(trip_km / (F.rand(seed + 2) * 6 + 9), 2)
    fuel = F.round(F.col("fuelCapacity") * (F.rand(seed + 3) * 0.95 + 0.05), 1)
    trip_minutes = (F.rand(seed + 4) * 80 + 10).cast("int")
    columns = {
        "currentMileage": F.round(mileage_at(F.col("base_km"), F.col("km_per_hour"), event_s)),
        "metrics_metricTimestamp": F.timestamp_seconds(event_s),
        "metrics_fuelAvailable": fuel,
        "metrics_engineTemperature": (F.rand(seed + 5) * 26 + 80).cast("int"),
        "metrics_batteryVoltage": F.round(F.rand(seed + 6) * 2.6 + 11.8, 1),
        "metrics_location_latitude": F.round(F.rand(seed + 7) * 0.3 - 23.7, 4),
        "metrics_location_longitude": F.round(F.rand(seed + 8) * 0.4 - 46.8, 4),
        "metrics_trip_tripMileage": trip_km,
        "metrics_trip_tripFuelLiters": trip_liters,
        "metrics_trip_tripTimeMinutes": trip_minutes,
        "metrics_trip_tripStartTimestamp": F.timestamp_seconds(event_s - trip_minutes * 60),
        "ingest_ts": F.timestamp_seconds(event_s + 5 + event_s % MAX_LAG_S),
        "source_file": F.format_string(
            "/landing/fleet-north/%s/batch-%05d.json",
            F.date_format(F.timestamp_seconds(event_s), "yyyy/MM/dd/HH"),
            (F.col("car") % 1000).cast("int"),
        ),
        "fuel_level_percentage": F.round(fuel / F.col("fuelCapacity") * 100, 2),
        "km_per_liter": F.round(trip_km / trip_liters, 2),
        "event_year": F.year(F.timestamp_seconds(event_s)),
        "event_month": F.month(F.timestamp_seconds(event_s)),
        "event_day": F.dayofmonth(F.timestamp_seconds(event_s)),
    }
    rows = readings.join(F.broadcast(fleet_df), "car", how="inner").withColumns(columns)
    return rows.select(*(F.col(field.name).cast(field.dataType).alias(field.name) for field in SILVER_SCHEMA))


def write_history(rows: DataFrame, path: Path) -> None:
    """Laid out as the silver job writes it: one file per event day, sorted by carChassis."""
    (
        rows.repartition(*EVENT_PARTITIONS)
        .sortWithinPartitions("carChassis")
        .write.mode("overwrite")
        .partitionBy(*EVENT_PARTITIONS)
        .parquet(str(path))
    )


def _duckdb_type(data_type: T.DataType) -> str:
    if isinstance(data_type, T.StructType):
        return "STRUCT(" + ", ".join(f'"{f.name}" {_duckdb_type(f.dataType)}' for f in data_type.fields) + ")"
    return {T.StringType: "VARCHAR", T.LongType: "BIGINT", T.DoubleType: "DOUBLE"}[type(data_type)]


def duckdb_bronze(landing: Path, out: Path, window: tuple[datetime, datetime]) -> int:
    """Bronze in DuckDB: the landing files of the window, LANDING_SCHEMA, mtime as ingest_ts, Parquet by ingest hour.

    DuckDB cannot skip a file that is not JSON, so it reads the fleet folders only (not `bad/`); it
    drops records without a chassis or a reading time, as bronze does. Returns the rows written.
    """
    files = f"{landing}/fleet-*/**/*.json"
    columns = "{" + ", ".join(f"'{f.name}': '{_duckdb_type(f.dataType)}'" for f in LANDING_SCHEMA.fields) + "}"
    start, end = (f"TIMESTAMPTZ '{moment.isoformat()}'" for moment in window)
    parts = ", ".join(f"{part}(ingest_ts)::INTEGER AS {name}" for part, name in
                      zip(("year", "month", "day", "hour"), INGEST_PARTITIONS, strict=True))  # fmt: skip
    with duckdb.connect() as connection:
        connection.execute("SET TimeZone = 'UTC'")
        records = (
            f"SELECT * EXCLUDE (filename, last_modified), last_modified AS ingest_ts, filename AS source_file "
            f"FROM read_json('{files}', format = 'array', columns = {columns}, ignore_errors = true, filename = true) "
            f"JOIN (SELECT filename, last_modified FROM read_blob('{files}')) USING (filename) "
            f"WHERE last_modified >= {start} AND last_modified < {end} AND trim(carChassis) <> '' "
            "AND try_cast(trim(metrics.metricTimestamp) AS TIMESTAMPTZ) IS NOT NULL"
        )
        return connection.execute(
            f"COPY (SELECT *, {parts} FROM ({records})) TO '{out}' "
            f"(FORMAT parquet, PARTITION_BY ({', '.join(INGEST_PARTITIONS)}))"
        ).fetchall()[0][0]
