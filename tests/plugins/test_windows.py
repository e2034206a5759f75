"""The window a run processes: from its interval, its conf, or (no logical date) the timetable; errors never retried."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from airflow.exceptions import AirflowFailException
from airflow.timetables.interval import CronDataIntervalTimetable

from dataplatform.windows import WindowError, resolve, run_interval

UTC = timezone.utc
START = datetime(2025, 10, 29, 14, tzinfo=UTC)
END = datetime(2025, 10, 29, 15, tzinfo=UTC)
NO_PARAMS = {"window_start": None, "window_end": None, "full_rebuild": False}
HOURLY = {"align": timedelta(hours=1), "align_label": "an hour"}


def test_scheduled_run_uses_its_data_interval():
    assert resolve((START, END), NO_PARAMS, {}, **HOURLY) == {
        "start": "2025-10-29T14:00:00Z",
        "end": "2025-10-29T15:00:00Z",
        "run_name": "20251029T140000Z_20251029T150000Z",
        "full_rebuild": False,
        "explicit": False,
    }


def test_explicit_window_wins_and_is_normalised_to_utc():
    params = {"window_start": "2025-10-28T21:00:00-03:00", "window_end": "2025-10-30T00:00:00Z", "full_rebuild": True}
    assert resolve((START, END), params, conf=params, **HOURLY) == {
        "start": "2025-10-29T00:00:00Z",
        "end": "2025-10-30T00:00:00Z",
        "run_name": "20251029T000000Z_20251030T000000Z",
        "full_rebuild": True,
        "explicit": True,
    }


def test_a_run_without_an_interval_takes_the_window_from_its_conf():
    params = {**NO_PARAMS, "window_start": "2025-10-29T14:00:00Z", "window_end": "2025-10-29T16:00:00Z"}
    assert resolve(None, params, params, **HOURLY)["run_name"] == "20251029T140000Z_20251029T160000Z"


@pytest.mark.parametrize(
    ("params", "conf", "message"),
    [
        ({**NO_PARAMS, "window_start": "2025-10-29T15:00:00Z", "window_end": "2025-10-29T14:00:00Z"}, {},
         "window end 2025-10-29T14:00:00Z is not after window start 2025-10-29T15:00:00Z"),
        ({**NO_PARAMS, "window_start": "2025-10-29T15:00:00Z"}, {}, "give both window_start and window_end"),
        ({**NO_PARAMS, "window_start": "yesterday", "window_end": "2025-10-29T14:00:00Z"}, {},
         "window_start 'yesterday' is not an ISO-8601 timestamp"),
        ({**NO_PARAMS, "window_start": "2025-10-29T14:00:00", "window_end": "2025-10-29T15:00:00Z"}, {},
         "window_start '2025-10-29T14:00:00' has no time zone"),
        ({**NO_PARAMS, "window_start": "2025-10-29T14:30:00Z", "window_end": "2025-10-29T15:00:00Z"}, {},
         "window_start 2025-10-29T14:30:00Z is not on an hour boundary"),
        ({**NO_PARAMS, "full_rebuild": True}, {}, "full_rebuild needs an explicit window_start and window_end"),
        (NO_PARAMS, {"window_strat": "x"}, "unknown parameter(s) window_strat"),
    ],
)  # fmt: skip
def test_bad_parameters_fail_at_once_with_one_clear_line(params, conf, message):
    with pytest.raises(WindowError) as raised:
        resolve((START, END), params, conf, **HOURLY)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)
    assert isinstance(raised.value, AirflowFailException), "a wrong window must not be retried"


def test_zero_length_interval_is_refused():
    with pytest.raises(WindowError, match="needs a timetable with real intervals"):
        resolve((START, START), NO_PARAMS, {}, **HOURLY)


def test_no_logical_date_means_the_last_complete_interval_before_the_trigger():
    dag = SimpleNamespace(timetable=CronDataIntervalTimetable("0 * * * *", timezone="UTC"))
    dag_run = SimpleNamespace(run_after=datetime(2025, 10, 29, 14, 37, tzinfo=UTC))
    context = {"dag": dag, "dag_run": dag_run}  # no data_interval_start/end at all, as Airflow 3.3 gives it
    assert run_interval(context) == (datetime(2025, 10, 29, 13, tzinfo=UTC), datetime(2025, 10, 29, 14, tzinfo=UTC))


def test_an_unknown_conf_key_is_refused_even_though_airflow_merges_it_into_params():
    params = {**NO_PARAMS, "windw": "2025-10-29T14:00:00Z"}  # what Airflow hands the task
    with pytest.raises(WindowError, match=r"unknown parameter\(s\) windw"):
        resolve((START, END), params, {"windw": "2025-10-29T14:00:00Z"}, declared=set(NO_PARAMS), **HOURLY)


DAILY_ONE_DAY = {"align": timedelta(days=1), "align_label": "a UTC midnight", "span": timedelta(days=1)}
DAY_PARAMS = {"window_start": None, "window_end": None}


def test_a_one_day_dag_takes_exactly_one_day():
    day = (datetime(2025, 10, 29, tzinfo=UTC), datetime(2025, 10, 30, tzinfo=UTC))
    assert resolve(day, DAY_PARAMS, {}, **DAILY_ONE_DAY)["run_name"] == "20251029T000000Z_20251030T000000Z"
    params = {"window_start": "2025-10-27T00:00:00Z", "window_end": "2025-10-29T00:00:00Z"}
    with pytest.raises(WindowError) as raised:
        resolve(day, params, params, **DAILY_ONE_DAY)
    assert str(raised.value) == (
        "the window [2025-10-27T00:00:00Z, 2025-10-29T00:00:00Z) is not one day: this DAG processes one day per run; "
        "for a range of them use `airflow backfill create`"
    )
