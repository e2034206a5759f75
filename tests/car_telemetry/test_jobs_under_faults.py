"""car_telemetry's jobs the way production treats them: hostile files, odd names, reruns, rebuilds, two runs at
once, a kill -9 in the middle of a write, files that land late, rows that vanish.

Most jobs run in-process (`main(argv)` in the tests' SparkSession); the concurrency and kill tests run real
processes, as two Glue runs or a killed one would be.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from datalake.car_telemetry import bronze as bronze_transforms
from datalake.car_telemetry import silver as silver_transforms
from datalake.job import UnbalancedCounts
from tests.jobs import land, one_error_line, run, run_in_process, start, succeeded, window_counts

pytestmark = pytest.mark.slow

H10, H11, H14, H15, H16 = (f"2025-10-29T{hour}:00:00Z" for hour in (10, 11, 14, 15, 16))
DAY_29, DAY_30 = "2025-10-29T00:00:00Z", "2025-10-30T00:00:00Z"


def reading(car: str, mileage, at: str) -> dict:
    return {"carChassis": car, "Manufacturer": "mercedes-benz", "fuelCapacity": 50, "currentMileage": mileage,
            "metrics": {"metricTimestamp": at, "fuelAvailable": 25}}  # fmt: skip


def bronze(lake: Path, start: str, end: str, *extra: str) -> dict:
    return run_in_process(
        "car_telemetry_bronze.py", "--landing_path", str(lake / "landing"), "--bronze_path", str(lake / "bronze"),
        "--quarantine_path", str(lake / "quarantine"), "--window_start", start, "--window_end", end, *extra,
    )  # fmt: skip


def silver(lake: Path, start: str, end: str, *extra: str) -> dict:
    return run_in_process(
        "car_telemetry_silver.py", "--bronze_path", str(lake / "bronze"), "--silver_path", str(lake / "silver"),
        "--window_start", start, "--window_end", end, *extra,
    )  # fmt: skip


def silver_rows(lake: Path) -> list[tuple]:
    table = pq.read_table(lake / "silver")
    columns = (table.column(name).to_pylist() for name in ("carChassis", "event_day", "currentMileage"))
    return sorted(zip(*columns, strict=True))


def quarantine_rows(lake: Path) -> list[dict]:
    files = sorted((lake / "quarantine").glob("ingest_year=*/**/*.json"))
    return [json.loads(line) for file in files for line in file.read_text().splitlines()]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, spark):
    """One hour of landing files with odd names and hostile content, run through bronze and silver."""
    lake = tmp_path_factory.mktemp("hostile")
    landing = lake / "landing"
    at = "2025-10-29T14:10:00Z"
    for name in ("a[1].json", "{b}.json", "c:d.json", "with space.json", "a%20b.json", "x*?.json"):
        land(landing, f"odd/{name}", json.dumps(reading(name, 100, at)), at)
    land(landing, "odd/empty name.json", b"", at)
    land(landing, "nan/c33.json", '[{"carChassis": "C33", "currentMileage": NaN, "metrics": {"metricTimestamp": '
         '"2025-10-29T14:01:00Z"}}, {"carChassis": "C33", "currentMileage": 99999, "metrics": {"metricTimestamp": '
         '"2025-10-29T14:02:00Z"}}, {"carChassis": "C34", "currentMileage": Infinity, "metrics": {"metricTimestamp": '
         '"2025-10-29T14:03:00Z"}}]', at)  # fmt: skip
    land(landing, "spaces/padded.json", "[" + " " * 3_000_000 + json.dumps(reading("WS", 1, at)) + "\n" * 100_000 + "]",
         at)  # fmt: skip
    land(landing, "binary/photo.json", b"\x89PNG\r\n\x1a\n\x00\xff\xfe garbage", at)
    land(landing, "empty/array.json", "[ ]", at)
    land(landing, "notes/readme.txt", "not a landing file", at)
    counts = {"bronze": bronze(lake, H14, H15), "silver": silver(lake, H14, H15)}
    return {"lake": lake, "counts": counts}


def test_odd_but_legal_names_are_read_and_named_exactly(hostile):
    table = pq.read_table(hostile["lake"] / "bronze")
    sources = {Path(path).name for path in table.column("source_file").to_pylist()}
    assert {"a[1].json", "{b}.json", "c:d.json", "with space.json", "a%20b.json", "x*?.json"} <= sources
    empty = [row for row in quarantine_rows(hostile["lake"]) if row["reason"] == "empty file"]
    assert [Path(row["source_file"]).name for row in empty] == ["empty name.json"]


def test_nan_and_infinity_are_quarantined_and_cannot_win_the_consolidation(hostile):
    reasons = {(row["record_index"], row["reason"]) for row in quarantine_rows(hostile["lake"])
               if row["source_file"].endswith("c33.json")}  # fmt: skip
    assert reasons == {(0, "NaN or Infinity is not a JSON number"), (2, "NaN or Infinity is not a JSON number")}
    assert [row for row in silver_rows(hostile["lake"]) if row[0].startswith("C3")] == [("C33", 29, 99999.0)]


def test_megabytes_of_whitespace_and_binary_content_are_handled(hostile):
    assert ("WS", 29, 1.0) in silver_rows(hostile["lake"])
    binary = [row for row in quarantine_rows(hostile["lake"]) if row["source_file"].endswith("photo.json")]
    assert [(row["reason"], row["record_encoding"]) for row in binary] == [("not valid JSON", "base64")]
    assert base64.b64decode(binary[0]["record"]) == b"\x89PNG\r\n\x1a\n\x00\xff\xfe garbage"


def test_an_empty_array_is_a_file_without_records_and_a_txt_file_is_ignored_by_name(hostile):
    counts = hostile["counts"]["bronze"]
    assert counts["files_without_records"] == 1
    assert (counts["files_ignored"], [Path(path).name for path in counts["files_ignored_sample"]]) == (
        1,
        ["readme.txt"],
    )
    assert counts["read"] == counts["written"] + counts["quarantined"]


def test_manufacturer_is_title_case_after_a_hyphen_too(hostile):
    table = pq.read_table(hostile["lake"] / "silver")
    assert set(table.column("Manufacturer").to_pylist()) - {None} == {"Mercedes-Benz"}


def test_a_run_leaves_no_staging_behind(hostile):
    for layer in ("bronze", "quarantine", "silver"):
        assert not (hostile["lake"] / layer / "_staging").exists(), layer


def test_a_full_rebuild_rebuilds_whole_days_from_every_hour_of_bronze(tmp_path, spark):
    land(tmp_path / "landing", "car10.json", json.dumps(reading("CAR-10", 10, "2025-10-29T10:05:00Z")),
         "2025-10-29T10:10:00Z")  # fmt: skip
    land(tmp_path / "landing", "car14.json", json.dumps(reading("CAR-14", 14, "2025-10-29T14:05:00Z")),
         "2025-10-29T14:10:00Z")  # fmt: skip
    for window in ((H10, H11), (H14, H15)):
        bronze(tmp_path, *window)
        silver(tmp_path, *window)
    assert silver_rows(tmp_path) == [("CAR-10", 29, 10.0), ("CAR-14", 29, 14.0)]

    counts = silver(tmp_path, DAY_29, DAY_30, "--full_rebuild", "true")

    assert silver_rows(tmp_path) == [("CAR-10", 29, 10.0), ("CAR-14", 29, 14.0)]
    assert {key: counts[key] for key in ("read", "replaced", "written", "superseded")} == {
        "read": 2, "replaced": 2, "written": 2, "superseded": 0,
    }  # fmt: skip


def test_a_row_that_vanishes_fails_the_job_instead_of_balancing(tmp_path, spark, monkeypatch):
    land(tmp_path / "landing", "cars.json", json.dumps([reading("A", 1, "2025-10-29T14:01:00Z"),
                                                        reading("B", 2, "2025-10-29T14:02:00Z")]),
         "2025-10-29T14:10:00Z")  # fmt: skip
    bronze(tmp_path, H14, H15)
    best_rows = silver_transforms.best_rows
    monkeypatch.setattr(silver_transforms, "best_rows", lambda ranked: best_rows(ranked).where("carChassis != 'B'"))
    with pytest.raises(UnbalancedCounts, match="rows were lost or invented"):
        silver(tmp_path, H14, H15)

    to_bronze = bronze_transforms.to_bronze
    monkeypatch.setattr(bronze_transforms, "to_bronze", lambda parsed: to_bronze(parsed).where("carChassis != 'A'"))
    with pytest.raises(UnbalancedCounts, match="rows were lost or invented"):
        bronze(tmp_path, H14, H15)


def test_a_file_that_lands_in_a_window_already_run_is_reported(tmp_path, spark):
    land(tmp_path / "landing", "on_time.json", json.dumps(reading("A", 1, "2025-10-29T14:01:00Z")),
         "2025-10-29T14:10:00Z")  # fmt: skip
    assert bronze(tmp_path, H14, H15)["late_files"] == 0
    land(tmp_path / "landing", "slow_upload.json", json.dumps(reading("B", 2, "2025-10-29T14:20:00Z")),
         "2025-10-29T14:30:00Z")  # fmt: skip
    land(tmp_path / "landing", "next.json", json.dumps(reading("C", 3, "2025-10-29T15:01:00Z")),
         "2025-10-29T15:10:00Z")  # fmt: skip

    land(tmp_path / "landing", "not_run_yet.json", json.dumps(reading("D", 4, "2025-10-29T13:01:00Z")),
         "2025-10-29T13:10:00Z")  # fmt: skip
    counts = bronze(tmp_path, H15, H16)

    assert (counts["late_files"], counts["late_windows"]) == (1, [[H14, H15]])
    assert (counts["unprocessed_files"], counts["unprocessed_windows"]) == (1, [["2025-10-29T13:00:00Z", H14]])
    assert [Path(path).name for path in counts["late_files_sample"]] == ["slow_upload.json"]
    assert bronze(tmp_path, H14, H15)["late_files"] == 0  # the rerun picked it up
    assert bronze(tmp_path, H15, H16)["late_files"] == 0


def test_leftovers_of_killed_runs_are_removed_by_the_next_run(tmp_path, spark):
    land(tmp_path / "landing", "a.json", json.dumps(reading("A", 1, "2025-10-29T14:01:00Z")), "2025-10-29T14:10:00Z")
    bronze(tmp_path, H14, H15)
    old = time.time() - 7 * 3600
    for leftover in ("silver/.spark-staging-1234/part-0.parquet", "silver/_staging/some_run/attempt/part-0.parquet",
                     "silver/_temporary/0/part-0"):  # fmt: skip
        path = tmp_path / leftover
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
        os.utime(path, (old, old))
    silver(tmp_path, H14, H15)
    assert sorted(child.name for child in (tmp_path / "silver").iterdir()) == [
        "_counts", "_locks", "_manifests", "event_year=2025",
    ]  # fmt: skip


def test_silver_with_a_missing_bronze_path_is_one_error_line(tmp_path):
    result = run("car_telemetry_silver.py", "--bronze_path", str(tmp_path / "typo"), "--silver_path",
                 str(tmp_path / "silver"), "--window_start", H14, "--window_end", H15)  # fmt: skip
    assert "typo does not exist" in one_error_line(result)
    assert not (tmp_path / "silver" / "_counts").exists(), "a typo must not look like an empty hour"


@pytest.fixture(scope="module")
def busy_hour(tmp_path_factory):
    """A bronze hour big enough that a silver run takes a few seconds to write (50 files x 1,000 readings)."""
    lake = tmp_path_factory.mktemp("busy")
    for index in range(50):
        records = [reading(f"CAR-{index}-{car}", car, "2025-10-29T15:%02d:00Z" % (car % 60)) for car in range(1000)]
        land(lake / "landing", f"fleet/{index}.json", json.dumps(records), "2025-10-29T15:10:00Z")
    succeeded(run("car_telemetry_bronze.py", "--landing_path", str(lake / "landing"), "--bronze_path",
                  str(lake / "bronze"), "--quarantine_path", str(lake / "quarantine"), "--window_start", H15,
                  "--window_end", H16))  # fmt: skip
    return lake


BUSY_SILVER = sorted((f"CAR-{index}-{car}", 29, float(car)) for index in range(50) for car in range(1000))


def silver_command(lake: Path) -> tuple[str, ...]:
    return ("car_telemetry_silver.py", "--bronze_path", str(lake / "bronze"), "--silver_path", str(lake / "silver"),
            "--window_start", H15, "--window_end", H16)  # fmt: skip


def test_two_runs_of_one_window_at_once_both_end_correct(busy_hour):
    first = start(*silver_command(busy_hour))
    time.sleep(0.5)
    second = start(*silver_command(busy_hour))
    for process in (first, second):
        _, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, stderr[-3000:]
    assert silver_rows(busy_hour) == BUSY_SILVER
    assert window_counts(busy_hour / "silver", H15, H16)["written"] == 50_000
    assert not (busy_hour / "silver" / "_staging").exists()


def test_kill_9_in_the_middle_of_a_write_then_rerun_gives_the_clean_output(busy_hour, tmp_path):
    lake = tmp_path
    (lake / "bronze").symlink_to(busy_hour / "bronze", target_is_directory=True)
    process = start(*silver_command(lake))
    staging = lake / "silver" / "_staging"
    deadline = time.monotonic() + 300
    while not any(staging.rglob("*.parquet")) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the job finished before it could be killed mid-write"

    succeeded(run(*silver_command(lake)))
    assert silver_rows(lake) == BUSY_SILVER
    assert not (lake / "silver" / "_staging").exists()
