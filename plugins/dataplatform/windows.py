"""The data window a run processes, and the UI parameters that override it.

A scheduled run processes its data interval [data_interval_start, data_interval_end). A manual
run may name an explicit window instead, and ask for a full rebuild of it. The first task of a
DAG resolves the window once (`resolve_window`), and every later task reads it from XCom
through the templates below, so all stages agree on one window.
"""

from __future__ import annotations

from datetime import datetime, timezone

from airflow.exceptions import AirflowException
from airflow.sdk import Param

RESOLVE_TASK_ID = "resolve_window"
WINDOW_START = "{{ ti.xcom_pull(task_ids='%s')['start'] }}" % RESOLVE_TASK_ID
WINDOW_END = "{{ ti.xcom_pull(task_ids='%s')['end'] }}" % RESOLVE_TASK_ID
RUN_NAME = "{{ ti.xcom_pull(task_ids='%s')['run_name'] }}" % RESOLVE_TASK_ID
FULL_REBUILD = "{{ ti.xcom_pull(task_ids='%s')['full_rebuild'] | string | lower }}" % RESOLVE_TASK_ID


def window_params() -> dict[str, Param]:
    return {
        "window_start": Param(
            None,
            type=["null", "string"],
            format="date-time",
            title="Window start (UTC)",
            description="Optional explicit window start, ISO-8601 (2025-10-29T14:00:00Z), on a boundary of "
            "the DAG's schedule (the hour, for an hourly DAG). Leave empty to process the run's data "
            "interval. Needs window_end.",
        ),
        "window_end": Param(
            None,
            type=["null", "string"],
            format="date-time",
            title="Window end (UTC, exclusive)",
            description="Optional explicit window end, exclusive. Must be after window_start.",
        ),
        "full_rebuild": Param(
            False,
            type="boolean",
            title="Full rebuild",
            description="Rebuild the window's output from its input instead of merging into what exists. "
            "Needs an explicit window (e.g. whole days).",
        ),
    }


class WindowError(AirflowException):
    """A window parameter is wrong; the message says which and how."""


def parse_instant(name: str, value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise WindowError(f"{name} {value!r} is not an ISO-8601 timestamp (e.g. 2025-10-29T14:00:00Z)") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def _iso(instant: datetime) -> str:
    return instant.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def resolve(
    data_interval_start: datetime,
    data_interval_end: datetime,
    params: dict,
    conf: dict | None = None,
) -> dict:
    """The window as {"start", "end", "run_name", "full_rebuild"}; raises WindowError if it is wrong."""
    known = set(window_params())
    unknown = sorted(set(conf or {}) - known)
    if unknown:
        raise WindowError(f"unknown parameter(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    start_param, end_param = params.get("window_start"), params.get("window_end")
    if bool(start_param) != bool(end_param):
        raise WindowError("give both window_start and window_end, or neither")
    if start_param:
        start, end = parse_instant("window_start", start_param), parse_instant("window_end", end_param)
    else:
        if params.get("full_rebuild"):
            raise WindowError("full_rebuild needs an explicit window_start and window_end")
        start, end = data_interval_start, data_interval_end
    if end <= start:
        raise WindowError(
            f"window end {_iso(end)} is not after window start {_iso(start)}"
            + ("" if start_param else ": the DAG needs a timetable with real intervals")
        )
    return {
        "start": _iso(start),
        "end": _iso(end),
        "run_name": f"{start:%Y%m%dT%H%M%SZ}_{end:%Y%m%dT%H%M%SZ}",
        "full_rebuild": bool(params.get("full_rebuild")),
    }


def resolve_window(**context) -> dict:
    """Task callable: the run's window, logged so the task log says what the run processes."""
    window = resolve(
        context["data_interval_start"],
        context["data_interval_end"],
        dict(context["params"]),
        dict(context["dag_run"].conf or {}),
    )
    print(f"window [{window['start']}, {window['end']}) full_rebuild={window['full_rebuild']}")
    return window
