"""car_telemetry jobs end to end, exactly as Glue runs them: `python spark_jobs/<job>.py --arg value ...`.

One scenario over three consecutive hours (each Spark run costs ~10 s, so they are shared):
landing files for 14:00, 15:00 and 16:00 on 2025-10-29 (one exactly on 15:00, bad files from the
sample generator at 15:xx, late readings for the 27th and 28th), bronze per hour (in parallel, as a
backfill may), silver per hour, a silver rerun, a bronze rerun of all three hours as one window,
a silver `--full_rebuild` of the three hours, and the empty and failing cases.
"""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from include.sample_data import car_telemetry as sample
from tests.jobs import GLUE_ARGS, one_error_line, run, succeeded, window_counts, window_manifest
from tests.jobs import land as land_file

pytestmark = pytest.mark.slow

UTC = timezone.utc
H14, H15, H16, H17, H18 = (f"2025-10-29T{hour}:00:00Z" for hour in (14, 15, 16, 17, 18))
DAY_27, DAY_30 = "2025-10-27T00:00:00Z", "2025-10-30T00:00:00Z"


def run_parallel(*jobs: tuple[str, ...]):
    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(lambda job: run(*job), jobs))


def reading(car: str, mileage: float, at: str) -> dict:
    return {
        "carChassis": car, "model": "HB20", "year": 2021, "Manufacturer": "hyundai motor", "color": "PRATA",
        "fuelCapacity": 50, "currentMileage": mileage,
        "metrics": {"metricTimestamp": at, "fuelAvailable": 30, "trip": {"tripMileage": 40.0, "tripFuelLiters": 4}},
    }  # fmt: skip


def land(root: Path, key: str, payload, modified: str) -> None:
    land_file(root, key, json.dumps(payload), modified)


def rows(path: Path) -> list[dict]:
    return sorted(pq.read_table(path).to_pylist(), key=repr)


def files_of(partition: Path) -> list[tuple[str, int]]:
    return sorted((file.name, file.stat().st_mtime_ns) for file in partition.iterdir())


counts = window_counts


def land_scenario(landing: Path) -> None:
    """14:xx: car1, car2 (+ a late reading for the 27th); 15:00 sharp: car3; 15:xx: car1 again and the
    generator's fleet with its bad files; 16:xx: car1 with a lower odometer, late readings for the 28th."""
    land(landing, "fleet/a/car1-1410.json", reading("car1", 1000, "2025-10-29T14:05:00Z"), "2025-10-29T14:10:00Z")
    land(landing, "fleet/b/2025/10/29/car2-1420.json",
         [reading("car2", 500, "2025-10-29T14:15:00Z"), reading("car2", 300, "2025-10-27T10:00:00Z")],
         "2025-10-29T14:20:00Z")  # fmt: skip
    land(landing, "fleet/a/car3-boundary.json", reading("car3", 700, "2025-10-29T14:59:00Z"), H15)
    land(landing, "fleet/a/car1-1530.json", reading("car1", 1200, "2025-10-29T15:20:00Z"), "2025-10-29T15:30:00Z")
    start_15 = datetime(2025, 10, 29, 15, tzinfo=UTC)
    sample.write_local(sample.generate(cars=2, records_per_car=3, seed=11, start=start_15, bad=True), landing / "gen")
    land(landing, "late/car1-1610.json", reading("car1", 1100, "2025-10-29T16:00:00Z"), "2025-10-29T16:10:00Z")
    land(landing, "late/late-days.json",
         [reading("car2", 450, "2025-10-28T22:00:00Z"), reading("car1", 900, "2025-10-28T08:00:00Z")],
         "2025-10-29T16:20:00Z")  # fmt: skip


def bronze_args(lake: dict, prefix: str = "") -> list[str]:
    return [
        "--landing_path", str(lake["landing"]),
        "--bronze_path", str(lake[f"{prefix}bronze"]),
        "--quarantine_path", str(lake[f"{prefix}quarantine"]),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> dict:
    """Runs the scenario once, independent jobs in parallel; the tests below check what it left behind."""
    root = tmp_path_factory.mktemp("car_telemetry")
    names = ("landing", "bronze", "quarantine", "silver", "copy_bronze", "copy_quarantine", "rebuilt_silver")
    lake = {name: root / name for name in names}
    land_scenario(lake["landing"])
    silver_args = ["--bronze_path", str(lake["bronze"]), "--silver_path", str(lake["silver"])]
    bronze_hour = [("car_telemetry_bronze.py", *bronze_args(lake), "--window_start", start, "--window_end", end)
                   for start, end in ((H14, H15), (H15, H16), (H16, H17), (H17, H18))]  # fmt: skip
    silver_hour = [("car_telemetry_silver.py", *silver_args, "--window_start", start, "--window_end", end)
                   for start, end in ((H14, H15), (H15, H16), (H16, H17), (H17, H18))]  # fmt: skip

    for result in run_parallel((*bronze_hour[0], *GLUE_ARGS), bronze_hour[1], bronze_hour[2]):
        succeeded(result)
    lake["bronze_hourly"] = rows(lake["bronze"])
    lake["quarantine_hourly"] = quarantined(lake["quarantine"])
    # The bronze rerun runs on a copy, so it need not wait for the silver runs reading the original.
    shutil.copytree(lake["bronze"], lake["copy_bronze"])
    shutil.copytree(lake["quarantine"], lake["copy_quarantine"])
    # Left by "earlier runs": a bronze hour 17 (17:00 has no files now) and a quarantine hour 16 (16:00 has
    # no bad data): reruns of those windows must remove them.
    stale_hour = lake["bronze"] / "ingest_year=2025/ingest_month=10/ingest_day=29/ingest_hour=17"
    shutil.copytree(lake["bronze"] / "ingest_year=2025/ingest_month=10/ingest_day=29/ingest_hour=16", stale_hour)
    stray_hour = lake["copy_quarantine"] / "ingest_year=2025/ingest_month=10/ingest_day=29/ingest_hour=16"
    stray_hour.mkdir(parents=True)
    (stray_hour / "part-stray.json").write_text('{"reason": "left by an earlier run"}\n')

    missing = ("car_telemetry_bronze.py", "--landing_path", str(root / "nowhere"), *bronze_args(lake)[2:],
               "--window_start", H14, "--window_end", H15)  # fmt: skip
    silver_14, bronze_17, lake["missing_landing"] = run_parallel((*silver_hour[0], *GLUE_ARGS), bronze_hour[3], missing)
    succeeded(silver_14)
    succeeded(bronze_17)
    lake["stale_hour_left"] = stale_hour.exists()
    day_27 = lake["silver"] / "event_year=2025/event_month=10/event_day=27"
    lake["day_27_after_first_write"] = files_of(day_27)

    rerun_as_one_window = ("car_telemetry_bronze.py", *bronze_args(lake, "copy_"),
                           "--window_start", H14, "--window_end", H17)  # fmt: skip
    for result in run_parallel(silver_hour[1], silver_hour[3], rerun_as_one_window):
        succeeded(result)
    lake["bronze_after_rerun"] = rows(lake["copy_bronze"])
    lake["quarantine_after_rerun"] = quarantined(lake["copy_quarantine"])
    lake["stray_left"] = stray_hour.exists()

    lake["ghost_rows"] = seed_ghost(lake["silver"], lake["rebuilt_silver"])
    rebuild = ("car_telemetry_silver.py", "--bronze_path", str(lake["bronze"]),
               "--silver_path", str(lake["rebuilt_silver"]),
               "--window_start", DAY_27, "--window_end", DAY_30, "--full_rebuild", "true")  # fmt: skip
    for result in run_parallel(silver_hour[2], rebuild):
        succeeded(result)
    lake["silver_after_backfill"] = rows(lake["silver"])
    lake["rebuilt"] = rows(lake["rebuilt_silver"])
    lake["counts_after_backfill"] = counts(lake["silver"], H16, H17)
    succeeded(run(*silver_hour[2]))
    lake["silver_after_rerun"] = rows(lake["silver"])
    lake["day_27_at_end"] = files_of(day_27)
    return lake


def seed_ghost(silver: Path, target: Path) -> int:
    """A silver row on day 29 of `target` that no bronze row backs: a full rebuild must not keep it."""
    day_29 = "event_year=2025/event_month=10/event_day=29"
    table = pq.read_table(next((silver / day_29).glob("*.parquet")))
    table = table.drop_columns(
        [name for name in ("event_year", "event_month", "event_day") if name in table.column_names]
    )
    ghost = table.set_column(table.column_names.index("carChassis"), "carChassis", pa.array(["ghost"] * table.num_rows))
    # Spark reads back micro-second UTC timestamps; pyarrow would otherwise write the nanoseconds it read.
    utc_micros = pa.schema(
        [pa.field(f.name, pa.timestamp("us", tz="UTC")) if pa.types.is_timestamp(f.type) else f for f in ghost.schema]
    )
    (target / day_29).mkdir(parents=True)
    pq.write_table(ghost.cast(utc_micros), target / day_29 / "part-ghost.parquet")
    return ghost.num_rows


def quarantined(path: Path) -> list[tuple[str, str]]:
    return sorted((row["source_file"], row["reason"]) for row in _json_rows(path))


def _json_rows(path: Path) -> list[dict]:
    return [json.loads(line) for file in sorted(path.rglob("*.json")) if "_counts" not in file.parts
            for line in file.read_text().splitlines()]  # fmt: skip


def test_a_file_exactly_on_the_hour_is_read_by_the_later_window_only(lake):
    by_hour = {}
    for row in lake["bronze_hourly"]:
        by_hour.setdefault(row["ingest_hour"], set()).add((row["carChassis"], row["currentMileage"]))
    assert ("car3", 700.0) in by_hour[15]
    assert ("car3", 700.0) not in by_hour[14]
    assert by_hour[14] == {("car1", 1000.0), ("car2", 500.0), ("car2", 300.0)}
    assert by_hour[16] == {("car1", 1100.0), ("car2", 450.0), ("car1", 900.0)}


def test_bronze_counts_and_quarantine_reasons(lake):
    hour_14, hour_15, hour_17 = (counts(lake["bronze"], *window) for window in ((H14, H15), (H15, H16), (H17, H18)))
    assert {key: hour_14[key] for key in ("files_read", "read", "written", "quarantined", "superseded")} == {
        "files_read": 2, "read": 3, "written": 3, "quarantined": 0, "superseded": 0,
    }  # fmt: skip
    assert {key: hour_15[key] for key in ("read", "written", "quarantined", "superseded")} == {
        "read": 17, "written": 11, "quarantined": 6, "superseded": 0,
    }  # fmt: skip
    assert hour_15["quarantine_reasons"] == {
        "does not fit schema: metrics.fuelAvailable": 1,
        "empty file": 1,
        "metrics.metricTimestamp is not a timestamp": 1,
        "missing carChassis": 1,
        "missing metrics.metricTimestamp": 1,
        "not valid JSON": 1,
    }
    assert window_manifest(lake["bronze"], H15, H16)["partitions"] == [
        {"ingest_year": 2025, "ingest_month": 10, "ingest_day": 29, "ingest_hour": 15}
    ]
    assert [reason for _, reason in lake["quarantine_hourly"]].count("empty file") == 1
    assert {key: hour_17[key] for key in ("files_read", "read", "written", "quarantined")} == {
        "files_read": 0, "read": 0, "written": 0, "quarantined": 0,
    }  # fmt: skip
    assert not lake["stale_hour_left"], "the empty rerun of 17:00 left the earlier run's hour 17 behind"


def test_silver_backfill_keeps_one_row_per_car_and_day_with_late_data(lake):
    silver = lake["silver_after_backfill"]
    keys = [(row["carChassis"], row["event_year"], row["event_month"], row["event_day"]) for row in silver]
    assert len(keys) == len(set(keys)) == 11, keys
    named = {
        (row["carChassis"], row["event_day"], row["currentMileage"], row["Manufacturer"], row["fuel_level_percentage"])
        for row in silver
        if row["carChassis"] in ("car1", "car2", "car3")
    }
    assert named == {
        ("car1", 29, 1200.0, "Hyundai Motor", 60.0),
        ("car2", 29, 500.0, "Hyundai Motor", 60.0),
        ("car3", 29, 700.0, "Hyundai Motor", 60.0),
        ("car2", 27, 300.0, "Hyundai Motor", 60.0),
        ("car2", 28, 450.0, "Hyundai Motor", 60.0),
        ("car1", 28, 900.0, "Hyundai Motor", 60.0),
    }
    window_16 = lake["counts_after_backfill"]
    assert {key: window_16[key] for key in ("read", "read_existing", "written", "quarantined", "superseded")} == {
        "read": 3, "read_existing": 8, "written": 10, "quarantined": 0, "superseded": 1,
    }  # fmt: skip
    manifest = window_manifest(lake["silver"], H16, H17)
    assert manifest["partitions"] == [
        {"event_year": 2025, "event_month": 10, "event_day": 28},
        {"event_year": 2025, "event_month": 10, "event_day": 29},
    ]
    assert [column["Name"] for column in manifest["partition_keys"]] == [
        "event_year",
        "event_month",
        "event_day",
    ]


def test_silver_rerun_is_identical_and_untouched_days_are_not_rewritten(lake):
    assert lake["silver_after_rerun"] == lake["silver_after_backfill"]
    assert lake["day_27_at_end"] == lake["day_27_after_first_write"], "day 27 was rewritten by a window not touching it"
    empty_window = counts(lake["silver"], H17, H18)
    assert (empty_window["read"], empty_window["written"]) == (0, 0)
    assert window_manifest(lake["silver"], H17, H18)["partitions"] == []


def test_a_full_rebuild_of_whole_days_equals_the_hourly_runs_and_drops_what_bronze_does_not_hold(lake):
    assert lake["rebuilt"] == lake["silver_after_backfill"], "rebuilding 27-29 Oct differs from the hourly runs"
    rebuild = counts(lake["rebuilt_silver"], DAY_27, DAY_30)
    assert {key: rebuild[key] for key in ("full_rebuild", "read_existing", "read", "written", "superseded")} == {
        "full_rebuild": True, "read_existing": 0, "read": 17, "written": 11, "superseded": 6,
    }  # fmt: skip
    assert rebuild["replaced"] == lake["ghost_rows"], "the rows the rebuild replaced are counted"


def test_bronze_rerun_of_the_backfill_as_one_window_replaces_its_hours(lake):
    assert lake["bronze_after_rerun"] == lake["bronze_hourly"]
    assert lake["quarantine_after_rerun"] == lake["quarantine_hourly"]
    assert not lake["stray_left"], "the rerun left a quarantine hour it did not write"
    rerun = counts(lake["copy_bronze"], H14, H17)
    assert (rerun["read"], rerun["written"], rerun["quarantined"]) == (23, 17, 6)


def test_a_missing_landing_path_is_one_error_line(lake):
    assert "nowhere does not exist" in one_error_line(lake["missing_landing"])


@pytest.mark.parametrize(
    ("script", "args", "message"),
    [
        ("car_telemetry_bronze.py", ["--landing_path", "l", "--bronze_path", "b", "--quarantine_path", "q",
                                     "--window_start", H14], "required: --window_end"),
        ("car_telemetry_bronze.py", ["--landing_path", "l", "--bronze_path", "b", "--quarantine_path", "q",
                                     "--window_start", H15, "--window_end", H14], "is not after"),
        ("car_telemetry_bronze.py", ["--landing_path", "l", "--bronze_path", "b", "--quarantine_path", "q",
                                     "--window_start", "yesterday", "--window_end", H14], "not an ISO-8601 timestamp"),
        ("car_telemetry_bronze.py", ["--landing_path", "l", "--bronze_path", "b", "--quarantine_path", "q",
                                     "--window_start", "2025-10-29T14:30:00Z", "--window_end", H15],
         "not on an hour boundary"),
        ("car_telemetry_silver.py", ["--bronze_path", "b", "--window_start", H14, "--window_end", H15],
         "required: --silver_path"),
        ("car_telemetry_silver.py", ["--bronze_path", "b", "--silver_path", "s", "--window_start", H14,
                                     "--window_end", "2025-13-01T00:00:00Z"], "not an ISO-8601 timestamp"),
        ("car_telemetry_silver.py", ["--bronze_path", "b", "--silver_path", "s", "--window_start", H14,
                                     "--window_end", H15, "--full_rebuild", "maybe"], "must be true or false"),
        ("car_telemetry_silver.py", ["--bronze_path", "b", "--silver_path", "s", "--window_start",
                                     "2025-10-29T14:30:00Z", "--window_end", H15], "not on an hour boundary"),
        ("car_telemetry_silver.py", ["--bronze_path", "b", "--silver_path", "s", "--window_start", H14,
                                     "--window_end", H15, "--full-rebuild", "true"],
         "unknown argument --full-rebuild (did you mean --full_rebuild?)"),
        ("car_telemetry_silver.py", ["--bronze_path", "b", "--silver_path", "s", "--window_start", H14,
                                     "--window_end", H15, "--full_rebuild", "true"], "is not on a UTC midnight"),
        ("car_telemetry_bronze.py", ["--landing_path", "l", "--bronze_path", "b", "--quarantine_path", "q",
                                     "--window_start", H14, "--window_end", H15, "--bronze", "x"],
         "unknown argument --bronze (did you mean --bronze_path?)"),
        ("car_telemetry_bronze.py", ["--landing_path", "l", "--bronze_path", "b", "--quarantine_path", "q",
                                     "--window_start", H14, "--window_end", H15, "--audit_hours", "-1"],
         "--audit_hours must not be negative"),
    ],
)  # fmt: skip
def test_bad_arguments_are_one_error_line_and_exit_code_2(script, args, message):
    result = run(script, *args, *GLUE_ARGS)
    assert message in one_error_line(result)
    assert result.stderr.strip().count("\n") == 0, "arguments are checked before Spark starts"
