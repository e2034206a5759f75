"""What every DAG of the platform shares: owner, retries, timeouts, timetables, tags.

Real intervals: Airflow 3's default timetable for a cron schedule gives zero-length data
intervals (start == end); a pipeline that processes a window needs `CronDataIntervalTimetable`,
whose runs cover [previous tick, this tick).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow.timetables.interval import CronDataIntervalTimetable

OWNER = "data-platform"
START_DATE = datetime(2025, 10, 1, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

DEFAULT_ARGS = {
    "owner": OWNER,
    "retries": 2,
    "retry_delay": timedelta(minutes=5),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=30),
    "execution_timeout": timedelta(hours=1),
}


def hourly() -> CronDataIntervalTimetable:
    """Runs on the hour, each over the hour before it."""
    return CronDataIntervalTimetable("0 * * * *", timezone="UTC")


def daily() -> CronDataIntervalTimetable:
    """Runs at UTC midnight, each over the day before it."""
    return CronDataIntervalTimetable("0 0 * * *", timezone="UTC")
