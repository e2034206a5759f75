from __future__ import annotations

from datetime import datetime, timezone

import pytest

from dataplatform.windows import WindowError, resolve

START = datetime(2025, 10, 29, 14, tzinfo=timezone.utc)
END = datetime(2025, 10, 29, 15, tzinfo=timezone.utc)
NO_PARAMS = {"window_start": None, "window_end": None, "full_rebuild": False}


def test_scheduled_run_uses_its_data_interval():
    assert resolve(START, END, NO_PARAMS) == {
        "start": "2025-10-29T14:00:00Z",
        "end": "2025-10-29T15:00:00Z",
        "run_name": "20251029T140000Z_20251029T150000Z",
        "full_rebuild": False,
    }


def test_explicit_window_wins_and_is_normalised_to_utc():
    params = {"window_start": "2025-10-28T21:00:00-03:00", "window_end": "2025-10-30T00:00:00Z", "full_rebuild": True}
    assert resolve(START, END, params, conf=params) == {
        "start": "2025-10-29T00:00:00Z",
        "end": "2025-10-30T00:00:00Z",
        "run_name": "20251029T000000Z_20251030T000000Z",
        "full_rebuild": True,
    }


@pytest.mark.parametrize(
    ("params", "conf", "message"),
    [
        (
            {**NO_PARAMS, "window_start": "2025-10-29T15:00:00Z", "window_end": "2025-10-29T14:00:00Z"},
            {},
            "window end 2025-10-29T14:00:00Z is not after window start 2025-10-29T15:00:00Z",
        ),
        ({**NO_PARAMS, "window_start": "2025-10-29T15:00:00Z"}, {}, "give both window_start and window_end"),
        (
            {**NO_PARAMS, "window_start": "yesterday", "window_end": "2025-10-29T14:00:00Z"},
            {},
            "window_start 'yesterday' is not an ISO-8601 timestamp",
        ),
        ({**NO_PARAMS, "full_rebuild": True}, {}, "full_rebuild needs an explicit window_start and window_end"),
        (NO_PARAMS, {"window_strat": "x"}, "unknown parameter(s) window_strat"),
    ],
)
def test_bad_parameters_give_one_clear_line(params, conf, message):
    with pytest.raises(WindowError) as raised:
        resolve(START, END, params, conf)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_zero_length_interval_is_refused():
    with pytest.raises(WindowError, match="needs a timetable with real intervals"):
        resolve(START, START, NO_PARAMS)
