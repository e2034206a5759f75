"""The data window a run processes, and the UI parameters that override it.

A scheduled run processes its data interval [data_interval_start, data_interval_end). A manual
run may name an explicit window instead (`window_start`/`window_end` in the form or the conf),
and a run created without a logical date (`airflow dags trigger` without `-l`, REST with
`"logical_date": null`) has no interval at all: it takes the window from its conf, or else the
last complete interval before it was triggered. An Asset-triggered run of a windowless DAG gets
no window, only a run name.

The first task of a DAG resolves the window once (`resolve_window`); every later task reads it
from XCom through the templates below, so all stages agree on one window. A wrong window fails
that task at once and without retries (`AirflowFailException`), with one line saying why.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pendulum
from airflow.sdk import Param, task
from airflow.sdk.exceptions import AirflowFailException

from datalake.conventions import InstantError, id_run_name, iso, parse_instant, window_run_name

RESOLVE_TASK_ID = "resolve_window"
_XCOM = "ti.xcom_pull(task_ids='%s')" % RESOLVE_TASK_ID
WINDOW_START = "{{ %s['start'] }}" % _XCOM
WINDOW_END = "{{ %s['end'] }}" % _XCOM
RUN_NAME = "{{ %s['run_name'] }}" % _XCOM
WINDOW_DATE = "{{ %s['start'][:10] }}" % _XCOM  # the UTC date the window starts on (a daily run's day)
FULL_REBUILD = "{{ %s['full_rebuild'] | string | lower }}" % _XCOM
# The window's first day as YYYYMMDD (`anomesdia`), for a DAG whose runs are one UTC day each.
WINDOW_DAY = "{{ %s['start'][:10] | replace('-', '') }}" % _XCOM
WINDOW_ARGS = {"--window_start": WINDOW_START, "--window_end": WINDOW_END}
ZONE_NOTE = "with its time zone (RFC 3339: 2025-10-29T14:00:00Z or 2025-10-29T11:00:00-03:00)"
# What the form's schema can check: an RFC 3339 date-time that names its zone (`Z` or an offset).
WITH_ZONE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|z|[+-]\d{2}:\d{2})$"


class WindowError(AirflowFailException):
    """A window parameter is wrong; the message says which and how. Never retried."""


def window_params(align_label: str, rebuild: bool = False) -> dict[str, Param]:
    params = {
        "window_start": Param(
            None,
            type=["null", "string"],
            format="date-time",
            pattern=WITH_ZONE,
            title="Window start",
            description=f"Optional explicit window start, {ZONE_NOTE}, on {align_label} boundary. "
            "Leave empty to process the run's data interval. Needs window_end.",
        ),
        "window_end": Param(
            None,
            type=["null", "string"],
            format="date-time",
            pattern=WITH_ZONE,
            title="Window end (exclusive)",
            description=f"Optional explicit window end, exclusive, {ZONE_NOTE}. Must be after window_start.",
        ),
    }
    if rebuild:
        params["full_rebuild"] = Param(
            False,
            type="boolean",
            title="Full rebuild",
            description="Rebuild whole event days from all of their input instead of merging into what exists. "
            "Needs an explicit window of whole UTC days.",
        )
    return params


def _instant(name: str, value) -> datetime:
    try:
        return parse_instant(name, value, require_zone=True)
    except InstantError as error:
        raise WindowError(str(error)) from None


def _check_alignment(start: datetime, end: datetime, align: timedelta | None, label: str) -> None:
    for name, value in (("window_start", start), ("window_end", end)):
        # Plain timedelta arithmetic: the scheduler's pendulum datetimes subtract to pendulum Intervals.
        since_epoch = timedelta(seconds=value.timestamp())
        if align and since_epoch % align:
            raise WindowError(f"{name} {iso(value)} is not on {label} boundary")


def resolve(
    interval: tuple[datetime, datetime] | None,
    params: dict,
    conf: dict | None,
    *,
    align: timedelta | None = None,
    align_label: str = "",
    declared: set[str] | None = None,
    span: timedelta | None = None,
) -> dict:
    """The window as {"start", "end", "run_name", "full_rebuild", "explicit"}; raises WindowError if it is wrong.

    `declared` are the DAG's own params (Airflow merges every conf key into `params`, known or not).
    `span`: the window must be exactly this long (a DAG whose job takes one day at a time).
    """
    known = set(params) if declared is None else declared
    unknown = sorted(set(conf or {}) - known)
    if unknown:
        raise WindowError(f"unknown parameter(s) {', '.join(unknown)}; known: {', '.join(sorted(known)) or 'none'}")
    start_param, end_param = params.get("window_start"), params.get("window_end")
    if bool(start_param) != bool(end_param):
        raise WindowError("give both window_start and window_end, or neither")
    if start_param:
        start, end = _instant("window_start", start_param), _instant("window_end", end_param)
    elif params.get("full_rebuild"):
        raise WindowError("full_rebuild needs an explicit window_start and window_end")
    elif interval:
        start, end = interval
    else:
        raise WindowError("the run has no data interval and no window_start/window_end")
    if end <= start:
        raise WindowError(
            f"window end {iso(end)} is not after window start {iso(start)}"
            + ("" if start_param else ": the DAG needs a timetable with real intervals")
        )
    _check_alignment(start, end, align, align_label)
    if span and timedelta(seconds=end.timestamp() - start.timestamp()) != span:
        raise WindowError(
            f"the window [{iso(start)}, {iso(end)}) is not one {span_label(span)}: this DAG processes one "
            f"{span_label(span)} per run; for a range of them use `airflow backfill create`"
        )
    return {
        "start": iso(start),
        "end": iso(end),
        "run_name": window_run_name(start, end),
        "full_rebuild": bool(params.get("full_rebuild")),
        "explicit": bool(start_param),
    }


def span_label(span: timedelta) -> str:
    return "day" if span == timedelta(days=1) else str(span)


def run_interval(context) -> tuple[datetime, datetime] | None:
    """The run's data interval; for a run without a logical date, the timetable's last complete one."""
    start, end = context.get("data_interval_start"), context.get("data_interval_end")
    if start is not None and end is not None and end > start:
        return start, end
    dag_run = context["dag_run"]
    if start is None and getattr(dag_run, "run_after", None) is not None:
        run_after = pendulum.instance(dag_run.run_after)  # the timetables want pendulum datetimes
        inferred = context["dag"].timetable.infer_manual_data_interval(run_after=run_after)
        return inferred.start, inferred.end
    return (start, end) if start is not None else None


def resolve_window(align: timedelta | None, align_label: str, span: timedelta | None = None):
    """The `resolve_window` task of a windowed DAG (windows on multiples of `align`, exactly `span` long if given)."""

    @task(task_id=RESOLVE_TASK_ID)
    def resolve_window(**context) -> dict:
        interval = run_interval(context)
        window = resolve(interval, dict(context["params"]), dict(context["dag_run"].conf or {}), align=align,
                         align_label=align_label, declared=set(context["dag"].params), span=span)  # fmt: skip
        source = "the run's conf" if window["explicit"] else "the run's data interval"
        shown = f"[{iso(interval[0])}, {iso(interval[1])})" if interval else "none"
        print(f"This run processes [{window['start']}, {window['end']}) from {source} "
              f"(data interval in the UI: {shown}); full_rebuild={window['full_rebuild']}")  # fmt: skip
        return window

    return resolve_window()


def resolve_run_name():
    """The `resolve_window` task of a windowless DAG: a run name (the interval's, else the run id's)."""

    @task(task_id=RESOLVE_TASK_ID)
    def resolve_window(**context) -> dict:
        unknown = sorted(set(context["dag_run"].conf or {}) - set(context["dag"].params))
        if unknown:
            raise WindowError(f"unknown parameter(s) {', '.join(unknown)}")
        start, end = context.get("data_interval_start"), context.get("data_interval_end")
        if start is not None and end is not None and end > start:
            run_name = window_run_name(start, end)
        else:
            run_name = id_run_name(context["dag_run"].run_id)
        print(f"This run is {run_name}")
        return {"run_name": run_name}

    return resolve_window()
