"""car_telemetry bronze: the window's files, records parsed with the declared schema, the quarantine reasons."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone

from pyspark.testing import assertDataFrameEqual

from datalake import conventions, landing, tables
from datalake.car_telemetry import bronze
from datalake.storage import FileStatus
from include.sample_data import car_telemetry as sample
from tests.car_telemetry.expected_schemas import BRONZE_DDL

UTC = timezone.utc
LANDED = datetime(2025, 10, 29, 14, 20, 5, 123000, tzinfo=UTC)
RECORDS_DDL = (
    "source_file string, ingest_ts timestamp, record_index bigint, text string, raw binary, file_error string,"
    " truncated boolean"
)
QUARANTINE_DDL = (
    "source_file string, ingest_ts timestamp, record_index bigint, record string, record_encoding string,"
    " record_truncated boolean, reason string, ingest_year int, ingest_month int, ingest_day int, ingest_hour int"
)
FULL_RECORD = (
    '{"carChassis": "5ifRW9TfHLs4vS0M8p2nBmbV6Cz", "model": "HB20", "year": 2021, "Manufacturer": "hyundai motor",'
    ' "color": "PRATA", "fuelCapacity": 50, "currentMileage": 12000, "dealer": "not in the schema",'
    ' "metrics": {"metricTimestamp": "2025-10-29T14:03:22Z", "fuelAvailable": 32.5, "engineTemperature": 90,'
    ' "batteryVoltage": 12.6, "location": {"latitude": -23.55, "longitude": -46.63},'
    ' "trip": {"tripMileage": 42.1, "tripFuelLiters": 3.8, "tripTimeMinutes": 55,'
    ' "tripStartTimestamp": "2025-10-29T13:08:10Z"}}}'
)


def at(hour: int, minute: int = 0, second: int = 0, ms: int = 0) -> int:
    return int(datetime(2025, 10, 29, hour, minute, second, tzinfo=UTC).timestamp() * 1000) + ms


def test_window_files_are_those_modified_in_start_inclusive_end_exclusive():
    files = [
        FileStatus("s3://l/before.json", at(13, 59, 59, 999), 10),
        FileStatus("s3://l/at_start.json", at(14), 10),
        FileStatus("s3://l/inside.json", at(14, 30), 10),
        FileStatus("s3://l/last_ms.json", at(14, 59, 59, 999), 10),
        FileStatus("s3://l/at_end.json", at(15), 10),
    ]
    selected = landing.files_in_window(
        files, datetime(2025, 10, 29, 14, tzinfo=UTC), datetime(2025, 10, 29, 15, tzinfo=UTC)
    )
    assert [file.path for file in selected] == ["s3://l/at_start.json", "s3://l/inside.json", "s3://l/last_ms.json"]


def test_only_json_files_are_landing_files():
    names = ["a.json", "b.JSON", "c.txt", "d.json.tmp", "e", "f[1].json"]
    assert [name for name in names if landing.is_landing_file(f"s3://l/{name}")] == ["a.json", "b.JSON", "f[1].json"]


def test_window_hours_and_their_partitions():
    hours = tables.hours_between(datetime(2025, 10, 31, 22, tzinfo=UTC), datetime(2025, 11, 1, 1, tzinfo=UTC))
    assert [conventions.hour_partition(hour) for hour in hours] == [
        {"ingest_year": 2025, "ingest_month": 10, "ingest_day": 31, "ingest_hour": 22},
        {"ingest_year": 2025, "ingest_month": 10, "ingest_day": 31, "ingest_hour": 23},
        {"ingest_year": 2025, "ingest_month": 11, "ingest_day": 1, "ingest_hour": 0},
    ]


def _records(spark, *rows):
    """One landing record per row: (text, or bytes that are not UTF-8, file-level error from the splitter)."""
    return spark.createDataFrame(
        [(f"s3://l/{index}.json", LANDED, 0, *((record, None) if isinstance(record, str) else (None, record)), error,
          False) for index, (record, error) in enumerate(rows)],
        RECORDS_DDL,
    )  # fmt: skip


def test_records_that_fit_become_bronze_rows_with_numbers_as_double_and_unknown_fields_dropped(spark):
    records = _records(
        spark,
        (FULL_RECORD, None),
        ('{"carChassis": " X1 ", "metrics": {"metricTimestamp": "2025-10-29 14:03:22"}}', None),
        ('{"carChassis": 123, "metrics": {"metricTimestamp": "2025-10-29T14:03:22+03:00", "trip": null}}', None),
    )
    full_metrics = (
        "2025-10-29T14:03:22Z",
        32.5,
        90.0,
        12.6,
        (-23.55, -46.63),
        (42.1, 3.8, 55.0, "2025-10-29T13:08:10Z"),
    )
    partition = (2025, 10, 29, 14)
    expected = spark.createDataFrame(
        [
            ("5ifRW9TfHLs4vS0M8p2nBmbV6Cz", "HB20", 2021, "hyundai motor", "PRATA", 50.0, 12000.0, full_metrics,
             LANDED, "s3://l/0.json", *partition),
            (" X1 ", None, None, None, None, None, None, ("2025-10-29 14:03:22", None, None, None, None, None),
             LANDED, "s3://l/1.json", *partition),
            ("123", None, None, None, None, None, None, ("2025-10-29T14:03:22+03:00", None, None, None, None, None),
             LANDED, "s3://l/2.json", *partition),
        ],
        BRONZE_DDL,
    )  # fmt: skip
    parsed = bronze.parse_records(records)
    assertDataFrameEqual(bronze.to_bronze(parsed), expected, rtol=0, atol=0)
    assert bronze.to_quarantine(parsed).count() == 0


TS = '"metricTimestamp": "2025-10-29T14:03:22Z"'
REFUSED = [
    # (record, file-level error from the splitter, the reason expected in quarantine)
    ('{"carChassis": "A", "metrics": {%s, "fuelAvailable": "thirty"}}' % TS, None,
     "does not fit schema: metrics.fuelAvailable"),
    ('{"carChassis": "B", "fuelCapacity": "50", "metrics": {%s}}' % TS, None, "does not fit schema: fuelCapacity"),
    ('{"carChassis": "C", "year": 2021.5, "metrics": {%s, "trip": {"tripMileage": "far"}}}' % TS, None,
     "does not fit schema: year, metrics.trip.tripMileage"),
    ('{"carChassis": "D", "metrics": 7}', None, "does not fit schema: metrics"),
    ('{"model": "HB20", "metrics": {%s}}' % TS, None, "missing carChassis"),
    ('{"carChassis": "  ", "metrics": {%s}}' % TS, None, "missing carChassis"),
    ('{"carChassis": null, "metrics": {%s}}' % TS, None, "missing carChassis"),
    ('{"carChassis": "G", "metrics": {"fuelAvailable": 3}}', None, "missing metrics.metricTimestamp"),
    ('{"carChassis": "G2"}', None, "missing metrics.metricTimestamp"),
    ('{"carChassis": "H", "metrics": {"metricTimestamp": "yesterday"}}', None,
     "metrics.metricTimestamp is not a timestamp"),
    ('{"carChassis": "I", "metrics": {%s, "trip": {"tripStartTimestamp": "soon"}}}' % TS, None,
     "metrics.trip.tripStartTimestamp is not a timestamp"),
    ('{"carChassis": "N1", "currentMileage": NaN, "metrics": {%s}}' % TS, None, "NaN or Infinity is not a JSON number"),
    ('{"carChassis": "N2", "metrics": {%s, "fuelAvailable": -Infinity}}' % TS, None,
     "NaN or Infinity is not a JSON number"),
    ('{"carChassis": "J", "metrics": {%s}' % TS, None, "not valid JSON"),
    ("7", None, "not a JSON object"),
    ('"x"', None, "not a JSON object"),
    ("null", None, "not a JSON object"),
    ("[1]", None, "not a JSON object"),
    ('{"carChassis": ', "not valid JSON", "not valid JSON"),
    ("", "empty file", "empty file"),
]  # fmt: skip


def test_records_that_do_not_fit_are_quarantined_with_the_reason(spark):
    records = _records(spark, *((record, error) for record, error, _ in REFUSED))
    expected = spark.createDataFrame(
        [
            (f"s3://l/{index}.json", LANDED, 0, record, "utf-8", False, reason, 2025, 10, 29, 14)
            for index, (record, _, reason) in enumerate(REFUSED)
        ],
        QUARANTINE_DDL,
    )
    parsed = bronze.parse_records(records)
    assertDataFrameEqual(bronze.to_quarantine(parsed), expected)
    assert bronze.to_bronze(parsed).count() == 0


def test_bytes_that_are_not_utf8_are_quarantined_exactly_in_base64(spark):
    binary = b"\x89PNG\r\n\x1a\n\x00\xff{"
    records = _records(spark, (binary, "not valid JSON"), (b'{"carChassis": "\xe9"}', None))
    # (landing.read_records hands the JVM text when a record is UTF-8, its bytes when it is not)
    expected = spark.createDataFrame(
        [
            ("s3://l/0.json", LANDED, 0, base64.b64encode(binary).decode(), "base64", False, "not valid JSON",
             2025, 10, 29, 14),
            ("s3://l/1.json", LANDED, 0, base64.b64encode(b'{"carChassis": "\xe9"}').decode(), "base64", False,
             "not valid UTF-8 text", 2025, 10, 29, 14),
        ],
        QUARANTINE_DDL,
    )  # fmt: skip
    assertDataFrameEqual(bronze.to_quarantine(bronze.parse_records(records)), expected)


def test_ingest_partitions_are_the_utc_hour_the_file_landed(spark):
    landed = spark.createDataFrame(
        [
            ("s3://l/a.json", datetime(2025, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)),
            ("s3://l/b.json", datetime(2026, 1, 1, 0, 0, tzinfo=UTC)),
        ],
        "source_file string, ingest_ts timestamp",
    )
    expected = spark.createDataFrame(
        [
            ("s3://l/a.json", datetime(2025, 12, 31, 23, 59, 59, 999000, tzinfo=UTC), 2025, 12, 31, 23),
            ("s3://l/b.json", datetime(2026, 1, 1, 0, 0, tzinfo=UTC), 2026, 1, 1, 0),
        ],
        "source_file string, ingest_ts timestamp, ingest_year int, ingest_month int, ingest_day int, ingest_hour int",
    )
    assertDataFrameEqual(bronze.with_ingest_partitions(landed), expected)


def test_the_sample_generator_is_deterministic_and_lands_every_file_inside_its_window(tmp_path):
    """The generator feeds bronze in the demo and the CLI tests; its promises are checked here (no Spark)."""
    start = datetime(2025, 10, 29, 14, tzinfo=UTC)
    files = sample.generate(cars=3, records_per_car=5, seed=3, start=start, hours=2, bad=True)
    assert files == sample.generate(cars=3, records_per_car=5, seed=3, start=start, hours=2, bad=True)
    assert files != sample.generate(cars=3, records_per_car=5, seed=4, start=start, hours=2, bad=True)
    assert all(start <= file.modified < start + timedelta(hours=2) for file in files)
    assert {file.key for file in files if file.key.startswith(("bad/", "odd/"))} == {
        "bad/truncated.json", "bad/empty.json", "bad/batch.json",
        "odd/zero_fuel_capacity.json", "odd/zero_trip_fuel.json", "odd/messy_case.json",
    }  # fmt: skip

    fleet = [json.loads(file.body) for file in files if file.key.startswith("fleet-")]
    assert any(isinstance(body, dict) for body in fleet), "some files hold a single record"
    assert any(isinstance(body, list) for body in fleet), "some files hold a JSON array"
    readings = [record for body in fleet for record in (body if isinstance(body, list) else [body])]
    assert len(readings) == 15
    by_car: dict[str, list] = {}
    for record in sorted(readings, key=lambda record: record["metrics"]["metricTimestamp"]):
        by_car.setdefault(record["carChassis"], []).append(record["currentMileage"])
    assert len(by_car) == 3
    assert all(mileages == sorted(set(mileages)) for mileages in by_car.values()), "odometers must rise"

    written = sample.write_local(files, tmp_path)
    assert [path.stat().st_mtime for path in written] == [file.modified.timestamp() for file in files]
    assert sample.as_objects(files, "/landing/car_telemetry/")[0] == (
        f"landing/car_telemetry/{files[0].key}",
        files[0].body,
    )
