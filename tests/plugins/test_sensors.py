"""The landing sensor's rule: a `.json` file of [start, end), at any depth, once the window has settled."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from dataplatform.sensors import EMPTY, FOUND, WAIT, landing_state

UTC = timezone.utc
START = datetime(2025, 10, 29, 14, tzinfo=UTC)
END = datetime(2025, 10, 29, 15, tzinfo=UTC)
LONG_AFTER = END + timedelta(hours=5)


def obj(key, when):
    return {"Key": key, "LastModified": when}


def test_a_file_inside_the_window_in_a_sub_folder_is_found():
    files = [obj("car_telemetry/fleet/2025/10/29/a.json", datetime(2025, 10, 29, 14, 59, 59, tzinfo=UTC))]
    assert landing_state(files, START, END, LONG_AFTER) == FOUND


def test_boundaries_are_start_inclusive_end_exclusive():
    assert landing_state([obj("a.json", START)], START, END, LONG_AFTER) == FOUND
    assert landing_state([obj("b.json", "2025-10-29T15:00:00+00:00")], START, END, LONG_AFTER) == EMPTY


def test_files_that_are_not_json_do_not_count():
    assert landing_state([obj("a.txt", START), obj("b.json.tmp", START)], START, END, LONG_AFTER) == EMPTY


def test_it_waits_for_the_window_to_settle_even_with_files():
    files = [obj("a.json", START)]
    assert landing_state(files, START, END, END + timedelta(minutes=4)) == WAIT
    assert landing_state(files, START, END, END + timedelta(minutes=5)) == FOUND


def test_an_empty_window_waits_for_the_grace_then_is_empty():
    old = [obj("old.json", START - timedelta(days=2))]
    assert landing_state(old, START, END, END + timedelta(minutes=14)) == WAIT
    assert landing_state(old, START, END, END + timedelta(minutes=15)) == EMPTY


def test_the_listing_stops_at_the_first_file_of_the_window():
    listed = []

    def objects():
        for index in range(1000):
            listed.append(index)
            yield obj(f"k{index}.json", START if index == 3 else START - timedelta(days=1))

    assert landing_state(objects(), START, END, LONG_AFTER) == FOUND
    assert listed == [0, 1, 2, 3]


def test_a_negative_settle_does_not_wait_for_the_window_to_close():
    files = [obj("a.json", START)]
    assert landing_state(files, START, END, START + timedelta(minutes=1), settle=timedelta(seconds=-1)) == FOUND
    assert landing_state([], START, END, START + timedelta(minutes=1), settle=timedelta(seconds=-1)) == WAIT
