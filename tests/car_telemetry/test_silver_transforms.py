"""car_telemetry silver: flatten, cleanse, enrich, event partitions and the consolidation to one row per car and day."""

from __future__ import annotations

from datetime import datetime, timezone

from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from datalake.car_telemetry import silver
from tests.car_telemetry.expected_schemas import BRONZE_DDL

UTC = timezone.utc
INGESTED = datetime(2025, 10, 29, 14, 20, 5, tzinfo=UTC)
FLAT_DDL = (
    "carChassis string, model string, year bigint, Manufacturer string, color string, fuelCapacity double,"
    " currentMileage double, metrics_metricTimestamp string, metrics_fuelAvailable double,"
    " metrics_engineTemperature double, metrics_batteryVoltage double, metrics_location_latitude double,"
    " metrics_location_longitude double, metrics_trip_tripMileage double, metrics_trip_tripFuelLiters double,"
    " metrics_trip_tripTimeMinutes double, metrics_trip_tripStartTimestamp string, ingest_ts timestamp,"
    " source_file string"
)
SILVER_DDL = (
    "carChassis string, model string, year bigint, Manufacturer string, color string, fuelCapacity double,"
    " currentMileage double, metrics_metricTimestamp timestamp, metrics_fuelAvailable double,"
    " metrics_engineTemperature double, metrics_batteryVoltage double, metrics_location_latitude double,"
    " metrics_location_longitude double, metrics_trip_tripMileage double, metrics_trip_tripFuelLiters double,"
    " metrics_trip_tripTimeMinutes double, metrics_trip_tripStartTimestamp timestamp, ingest_ts timestamp,"
    " source_file string, fuel_level_percentage double, km_per_liter double,"
    " event_year int, event_month int, event_day int"
)
METRICS = ("2025-10-29T14:03:22Z", 32.5, 90.0, 12.6, (-23.55, -46.63), (42.1, 3.8, 55.0, "2025-10-29T13:08:10Z"))


def exactly_equal(actual, expected):
    """Whole-DataFrame equality with no float tolerance: 33.33 is not 33.333."""
    assertDataFrameEqual(actual, expected, rtol=0, atol=0)


def test_flatten_joins_struct_paths_with_underscores_and_keeps_lineage(spark):
    bronze = spark.createDataFrame(
        [
            ("C1", "HB20", 2021, "hyundai motor", "PRATA", 50.0, 12000.0, METRICS, INGESTED, "s3://l/a.json",
             2025, 10, 29, 14),
            ("C2", None, None, None, None, None, None, ("2025-10-29T14:03:22Z", None, None, None, None, None),
             INGESTED, "s3://l/b.json", 2025, 10, 29, 14),
        ],
        BRONZE_DDL,
    )  # fmt: skip
    expected = spark.createDataFrame(
        [
            ("C1", "HB20", 2021, "hyundai motor", "PRATA", 50.0, 12000.0, "2025-10-29T14:03:22Z", 32.5, 90.0, 12.6,
             -23.55, -46.63, 42.1, 3.8, 55.0, "2025-10-29T13:08:10Z", INGESTED, "s3://l/a.json"),
            ("C2", None, None, None, None, None, None, "2025-10-29T14:03:22Z", None, None, None,
             None, None, None, None, None, None, INGESTED, "s3://l/b.json"),
        ],
        FLAT_DDL,
    )  # fmt: skip
    exactly_equal(silver.flatten(bronze), expected)


def _flat(spark, *rows):
    """Flat rows with only the columns a test varies; the others null."""
    columns = (
        "carChassis",
        "Manufacturer",
        "color",
        "model",
        "metrics_metricTimestamp",
        "metrics_trip_tripStartTimestamp",
    )
    base = spark.createDataFrame(rows, ", ".join(f"{name} string" for name in columns))
    others = [field for field in spark.createDataFrame([], FLAT_DDL).schema.fields if field.name not in columns]
    return base.select(*columns, *(F.lit(None).cast(field.dataType).alias(field.name) for field in others))


def test_cleanse_trims_strings_fixes_case_and_parses_timestamps_as_utc(spark):
    flat = _flat(
        spark,
        (" C1 ", "  hyundai   MOTOR ", " PRATA\t", " HB20 ", "2025-10-29T14:03:22Z", " 2025-10-29T13:08:10Z "),
        ("C2", "GENERAL motors", "Branco", "   ", "2025-10-29T14:03:22+03:00", "2025-10-29 13:08:10"),
        ("C3", None, None, None, "2025-10-29T23:59:59.999Z", "not a time"),
        ("C4", "", "", "onix plus", "2025-10-29", None),
        ("C5", "mercedes-benz", "AZUL", "a-class", "2025-10-29T10:00:00Z", None),
        ("C6", " ROLLS-royce  motor-CARS ", "x", "y", "2025-10-29T10:00:00Z", None),
    )
    expected = spark.createDataFrame(
        [
            ("C1", "Hyundai Motor", "prata", "HB20", datetime(2025, 10, 29, 14, 3, 22, tzinfo=UTC),
             datetime(2025, 10, 29, 13, 8, 10, tzinfo=UTC)),
            ("C2", "General Motors", "branco", None, datetime(2025, 10, 29, 11, 3, 22, tzinfo=UTC),
             datetime(2025, 10, 29, 13, 8, 10, tzinfo=UTC)),
            ("C3", None, None, None, datetime(2025, 10, 29, 23, 59, 59, 999000, tzinfo=UTC), None),
            ("C4", None, None, "onix plus", datetime(2025, 10, 29, 0, 0, tzinfo=UTC), None),
            ("C5", "Mercedes-Benz", "azul", "a-class", datetime(2025, 10, 29, 10, tzinfo=UTC), None),
            ("C6", "Rolls-Royce Motor-Cars", "x", "y", datetime(2025, 10, 29, 10, tzinfo=UTC), None),
        ],
        "carChassis string, Manufacturer string, color string, model string,"
        " metrics_metricTimestamp timestamp, metrics_trip_tripStartTimestamp timestamp",
    )  # fmt: skip
    cleansed = silver.cleanse(flat).select(*expected.columns)
    exactly_equal(cleansed, expected)


def test_enrich_rounds_half_away_from_zero_and_is_null_for_a_null_or_zero_divisor(spark):
    readings = spark.createDataFrame(
        [
            ("half_up", 1.0, 800.0, 2.675, 1.0),
            ("thirds", 1.0, 3.0, 2.0, 3.0),
            ("negative", 32.5, 50.0, -0.125, 1.0),
            ("zero_divisors", 10.0, 0.0, 42.1, 0.0),
            ("null_divisors", 10.0, None, 42.1, None),
            ("null_numerators", None, 50.0, None, 3.8),
            ("negative_zero", 1.0, -0.0, 1.0, -0.0),
        ],
        "carChassis string, metrics_fuelAvailable double, fuelCapacity double,"
        " metrics_trip_tripMileage double, metrics_trip_tripFuelLiters double",
    )
    expected = spark.createDataFrame(
        [
            ("half_up", 0.13, 2.68),
            ("thirds", 33.33, 0.67),
            ("negative", 65.0, -0.13),
            ("zero_divisors", None, None),
            ("null_divisors", None, None),
            ("null_numerators", None, None),
            ("negative_zero", None, None),
        ],
        "carChassis string, fuel_level_percentage double, km_per_liter double",
    )
    exactly_equal(silver.enrich(readings).select(*expected.columns), expected)


def test_event_partitions_are_the_utc_day_of_the_reading(spark):
    readings = spark.createDataFrame(
        [
            ("last_ms", datetime(2025, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)),
            ("midnight", datetime(2026, 1, 1, 0, 0, tzinfo=UTC)),
            ("leap_day", datetime(2024, 2, 29, 12, 0, tzinfo=UTC)),
        ],
        "carChassis string, metrics_metricTimestamp timestamp",
    )
    expected = spark.createDataFrame(
        [("last_ms", 2025, 12, 31), ("midnight", 2026, 1, 1), ("leap_day", 2024, 2, 29)],
        "carChassis string, event_year int, event_month int, event_day int",
    )
    partitioned = silver.with_event_partitions(readings).drop("metrics_metricTimestamp")
    exactly_equal(partitioned, expected)


def test_to_silver_turns_a_bronze_row_into_the_silver_contract(spark):
    bronze = spark.createDataFrame(
        [(" 5ifRW9TfHLs4vS0M8p2nBmbV6Cz", "HB20", 2021, "hyundai motor", "PRATA", 50.0, 12000.0, METRICS, INGESTED,
          "s3://l/a.json", 2025, 10, 29, 14)],
        BRONZE_DDL,
    )  # fmt: skip
    expected = spark.createDataFrame(
        [("5ifRW9TfHLs4vS0M8p2nBmbV6Cz", "HB20", 2021, "Hyundai Motor", "prata", 50.0, 12000.0,
          datetime(2025, 10, 29, 14, 3, 22, tzinfo=UTC), 32.5, 90.0, 12.6, -23.55, -46.63, 42.1, 3.8, 55.0,
          datetime(2025, 10, 29, 13, 8, 10, tzinfo=UTC), INGESTED, "s3://l/a.json", 65.0, 11.08, 2025, 10, 29)],
        SILVER_DDL,
    )  # fmt: skip
    exactly_equal(silver.to_silver(bronze), expected)


def _silver(spark, *rows):
    """Silver rows from (carChassis, day, currentMileage, reading hh:mm, ingested hh:mm, source_file, model)."""
    varied = spark.createDataFrame(
        [
            (car, mileage, _at(day, reading), _at(29, ingested), source, model, 2025, 10, day)
            for car, day, mileage, reading, ingested, source, model in rows
        ],
        "carChassis string, currentMileage double, metrics_metricTimestamp timestamp, ingest_ts timestamp,"
        " source_file string, model string, event_year int, event_month int, event_day int",
    )
    template = spark.createDataFrame([], SILVER_DDL)
    return varied.select(
        *(F.col(name) if name in varied.columns else F.lit(None).cast(template.schema[name].dataType).alias(name)
          for name in template.columns)
    )  # fmt: skip


def _at(day: int, hh_mm: str | None) -> datetime | None:
    if hh_mm is None:
        return None
    hour, minute = (int(part) for part in hh_mm.split(":"))
    return datetime(2025, 10, day, hour, minute, tzinfo=UTC)


def test_consolidate_keeps_the_best_row_per_car_and_event_day(spark):
    incoming = _silver(
        spark,
        ("higher_existing", 29, 100.0, "14:05", "14:10", "s3://l/new.json", "HB20"),
        ("other_day", 30, 90.0, "00:10", "14:10", "s3://l/new.json", "HB20"),
        ("null_mileage", 29, None, "14:30", "14:40", "s3://l/new.json", "HB20"),
        ("same_mileage", 29, 200.0, "14:50", "14:55", "s3://l/new.json", "later reading"),
        ("same_reading", 29, 300.0, "14:00", "14:59", "s3://l/new.json", "later ingest"),
        ("full_tie", 29, 400.0, "14:00", "14:10", "s3://l/a.json", "file a"),
        ("full_tie", 29, 400.0, "14:00", "14:10", "s3://l/b.json", "file b"),
        ("same_file", 29, 500.0, "14:00", "14:10", "s3://l/c.json", "Onix"),
        ("same_file", 29, 500.0, "14:00", "14:10", "s3://l/c.json", "Gol"),
        ("rerun", 29, 600.0, "14:00", "14:10", "s3://l/r.json", "HB20"),
        ("both_null", 29, None, "14:00", "14:10", "s3://l/n.json", "earlier"),
        ("both_null", 29, None, "14:20", "14:25", "s3://l/n.json", "later"),
    )
    existing = _silver(
        spark,
        ("higher_existing", 29, 150.0, "09:00", "09:05", "s3://l/old.json", "kept"),
        ("higher_existing", 30, 10.0, "01:00", "09:05", "s3://l/old.json", "untouched key"),
        ("null_mileage", 29, 50.0, "08:00", "08:05", "s3://l/old.json", "kept"),
        ("same_mileage", 29, 200.0, "14:40", "14:45", "s3://l/old.json", "earlier reading"),
        ("same_reading", 29, 300.0, "14:00", "14:30", "s3://l/old.json", "earlier ingest"),
        ("rerun", 29, 600.0, "14:00", "14:10", "s3://l/r.json", "HB20"),
    )
    expected = _silver(
        spark,
        ("higher_existing", 29, 150.0, "09:00", "09:05", "s3://l/old.json", "kept"),
        ("higher_existing", 30, 10.0, "01:00", "09:05", "s3://l/old.json", "untouched key"),
        ("other_day", 30, 90.0, "00:10", "14:10", "s3://l/new.json", "HB20"),
        ("null_mileage", 29, 50.0, "08:00", "08:05", "s3://l/old.json", "kept"),
        ("same_mileage", 29, 200.0, "14:50", "14:55", "s3://l/new.json", "later reading"),
        ("same_reading", 29, 300.0, "14:00", "14:59", "s3://l/new.json", "later ingest"),
        ("full_tie", 29, 400.0, "14:00", "14:10", "s3://l/b.json", "file b"),
        ("same_file", 29, 500.0, "14:00", "14:10", "s3://l/c.json", "Gol"),
        ("rerun", 29, 600.0, "14:00", "14:10", "s3://l/r.json", "HB20"),
        ("both_null", 29, None, "14:20", "14:25", "s3://l/n.json", "later"),
    )
    exactly_equal(silver.consolidate(incoming, existing), expected)
    exactly_equal(silver.consolidate(existing, incoming), expected)


def test_consolidate_with_nothing_existing_dedups_the_window_alone(spark):
    incoming = _silver(
        spark,
        ("car", 29, 10.0, "14:00", "14:05", "s3://l/a.json", "first"),
        ("car", 29, 20.0, "14:30", "14:35", "s3://l/b.json", "second"),
    )
    expected = _silver(spark, ("car", 29, 20.0, "14:30", "14:35", "s3://l/b.json", "second"))
    exactly_equal(silver.consolidate(incoming, incoming.limit(0)), expected)


def test_touched_days_are_sorted_dicts_of_ints(spark):
    rows = spark.createDataFrame(
        [(2025, 10, 29, 3), (2025, 9, 30, 1), (2025, 10, 29, 2)],
        "event_year int, event_month int, event_day int, count long",
    ).collect()
    assert silver.touched_days(rows) == [
        {"event_year": 2025, "event_month": 9, "event_day": 30},
        {"event_year": 2025, "event_month": 10, "event_day": 29},
    ]
