from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from airflow.sdk.exceptions import AirflowSkipException

from dataplatform.sensors import landing_files_arrived

WINDOW = {"start": "2025-10-29T14:00:00Z", "end": "2025-10-29T15:00:00Z"}


class _TI:
    def __init__(self, window):
        self.window = window

    def xcom_pull(self, task_ids=None):
        assert task_ids == "resolve_window"
        return self.window


def _file(key, when):
    return {"Key": key, "LastModified": when}


def test_a_file_inside_the_window_is_enough():
    files = [_file("a.json", datetime(2025, 10, 29, 14, 59, 59, tzinfo=timezone.utc))]
    assert landing_files_arrived(files, ti=_TI(WINDOW)) is True


def test_boundaries_are_start_inclusive_end_exclusive():
    at_start = [_file("a.json", datetime(2025, 10, 29, 14, tzinfo=timezone.utc))]
    at_end = [_file("b.json", "2025-10-29T15:00:00+00:00")]
    assert landing_files_arrived(at_start, ti=_TI(WINDOW)) is True
    with pytest.raises(AirflowSkipException, match=r"no landing file was modified in \[2025-10-29T14:00:00Z"):
        landing_files_arrived(at_end, ti=_TI(WINDOW))


def test_an_open_window_without_files_keeps_waiting():
    now = datetime.now(timezone.utc)
    window = {"start": (now - timedelta(hours=1)).isoformat(), "end": (now + timedelta(minutes=1)).isoformat()}
    old = [_file("old.json", now - timedelta(days=2))]
    assert landing_files_arrived(old, ti=_TI(window)) is False
