"""A Glue job's start and finish, the same for every job: arguments, window, session, counts.

    SPEC = JobSpec("car_telemetry_silver", required=("bronze_path", "silver_path"), output="silver_path",
                   window=WindowRule(align=HOUR))

    def main(argv=None):
        run = SPEC.start(argv)             # arguments checked, window parsed, SparkSession built
        ...                                # read, transform, write
        run.finish(counts, manifest)       # counts balanced, manifest and counts stored

Every job also takes `--counts_path` and `--manifest_path`; the DAG passes both (so every kind of
run, windowed or not, follows one rule), and a hand run gets the defaults under its output:
`<output>/_counts/<run>.json` and `<output>/_manifests/<run>.json`. The run name is the window's
(`datalake.conventions.window_run_name`), else the Glue run id, else the job's start time.

Counts: read = written + quarantined + superseded, every term counted on its own (written is
read back from what was committed), so a lost or invented row fails the job instead of
balancing by construction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from pyspark.sql import SparkSession

from datalake import conventions, storage
from datalake.cli import JobError, parse_job_args
from datalake.session import get_spark

RUN_OUTPUT_ARGUMENTS = {"counts_path": None, "manifest_path": None}
WINDOW_ARGUMENTS = ("window_start", "window_end")


class UnbalancedCounts(RuntimeError):
    """Rows were lost or invented between input and output; the job fails rather than hide it."""


@dataclass(frozen=True)
class WindowRule:
    """The job processes [window_start, window_end); both must fall on multiples of `align` (UTC)."""

    align: timedelta | None = None
    label: str = ""

    def check(self, start: datetime, end: datetime) -> None:
        if not self.align:
            return
        epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
        for name, value in (("window_start", start), ("window_end", end)):
            if (value - epoch) % self.align:
                raise JobError(f"--{name} {conventions.iso(value)} is not on {self.label or self.align} boundary")


@dataclass(frozen=True)
class JobSpec:
    name: str
    required: tuple[str, ...]
    output: str  # the argument whose path holds `_counts/` and `_manifests/` by default
    optional: dict[str, str | None] = field(default_factory=dict)
    window: WindowRule | None = None  # None: the job has no window arguments
    # A job partitioned by day (`--anomesdia 20251029`): that day is its window, [D, D+1) in UTC.
    day_argument: str | None = None

    def arguments(self) -> dict[str, bool]:
        """Every argument the job declares -> whether it is required (the DAG tests compare against it)."""
        declared = dict.fromkeys(self.required, True)
        if self.day_argument:
            declared[self.day_argument] = True
        if self.window:
            declared.update(dict.fromkeys(WINDOW_ARGUMENTS, True))
        declared.update(dict.fromkeys([*self.optional, *RUN_OUTPUT_ARGUMENTS], False))
        return declared

    def parse(self, argv: list[str] | None = None) -> JobRun:
        """Arguments and window, checked before any Spark start (so errors are one line)."""
        required = [*self.required, *(WINDOW_ARGUMENTS if self.window else ()), *filter(None, [self.day_argument])]
        args = parse_job_args(self.name, required, {**self.optional, **RUN_OUTPUT_ARGUMENTS}, argv)
        window = None
        if self.window:
            start = _instant("window_start", args.window_start)
            end = _instant("window_end", args.window_end)
            if end <= start:
                raise JobError(f"--window_end {args.window_end} is not after --window_start {args.window_start}")
            self.window.check(start, end)
            window = (start, end)
        elif self.day_argument:
            window = day_window(self.day_argument, getattr(args, self.day_argument))
        return JobRun(spec=self, args=args, window=window, run_name=_run_name(window, argv))

    def start(self, argv: list[str] | None = None, extra_packages: tuple[str, ...] = ()) -> JobRun:
        return self.parse(argv).start_spark(extra_packages)


def day_window(name: str, value: str) -> tuple[datetime, datetime]:
    """`20251029` -> [2025-10-29T00:00Z, 2025-10-30T00:00Z)."""
    try:
        if not (len(value) == 8 and value.isdigit()):  # strptime would take `2025101` as 2025-10-01
            raise ValueError(value)
        day = datetime.strptime(value, "%Y%m%d").replace(tzinfo=timezone.utc)
    except ValueError:
        raise JobError(f"--{name} {value!r} is not a day as YYYYMMDD (e.g. 20251029)") from None
    return day, day + timedelta(days=1)


def _instant(name: str, value: str) -> datetime:
    try:
        return conventions.parse_instant(f"--{name}", value)
    except conventions.InstantError as error:
        raise JobError(str(error)) from None


def _run_name(window: tuple[datetime, datetime] | None, argv: list[str] | None) -> str:
    if window:
        return conventions.window_run_name(*window)
    import sys

    tokens = sys.argv[1:] if argv is None else argv
    for index, token in enumerate(tokens[:-1]):
        if token == "--JOB_RUN_ID":
            return conventions.id_run_name(tokens[index + 1])
    return f"run_{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}"


@dataclass
class JobRun:
    spec: JobSpec
    args: object
    window: tuple[datetime, datetime] | None
    run_name: str
    spark: SparkSession | None = None

    def start_spark(self, extra_packages: tuple[str, ...] = ()) -> JobRun:
        self.spark = get_spark(self.spec.name, extra_packages)
        return self

    @property
    def output_path(self) -> str:
        return getattr(self.args, self.spec.output)

    @property
    def counts_path(self) -> str:
        return self.args.counts_path or conventions.counts_path(self.output_path, self.run_name)

    @property
    def manifest_path(self) -> str:
        return self.args.manifest_path or conventions.manifest_path(self.output_path, self.run_name)

    def require_input(self, argument: str) -> str:
        """The path of an input argument, which must exist (a typo must not look like an empty input)."""
        path = getattr(self.args, argument)
        if not storage.exists(self.spark, path):
            raise JobError(f"--{argument} {path} does not exist")
        return path

    def finish(self, counts: dict, manifest: dict | None = None) -> dict:
        """Check the counts balance, then store the manifest (if any) and the counts, counts last."""
        document = {"job": self.spec.name, "run_name": self.run_name, **self._window_fields(), **counts}
        check_balanced(document)
        if manifest is not None:
            storage.write_text(self.spark, self.manifest_path, json.dumps(manifest, indent=2, sort_keys=True))
        storage.write_text(self.spark, self.counts_path, json.dumps(document, indent=2, sort_keys=True, default=str))
        print(f"counts {self.run_name}: {json.dumps(document, sort_keys=True, default=str)}", flush=True)
        return document

    def _window_fields(self) -> dict:
        if not self.window:
            return {}
        return {"window_start": conventions.iso(self.window[0]), "window_end": conventions.iso(self.window[1])}


def check_balanced(counts: dict) -> None:
    """read (+ existing rows merged in) = written + quarantined + superseded (+ skipped).

    `skipped`: rows a job reads but by its rules does not use (a training run's incomplete rows).
    """
    incoming = counts["read"] + counts.get("read_existing", 0)
    accounted = counts["written"] + counts["quarantined"] + counts["superseded"] + counts.get("skipped", 0)
    if incoming != accounted:
        raise UnbalancedCounts(
            f"{counts.get('job')}: {incoming} rows in "
            f"(read {counts['read']}, existing {counts.get('read_existing', 0)}) "
            f"but {accounted} accounted for (written {counts['written']}, quarantined {counts['quarantined']}, "
            f"superseded {counts['superseded']}, skipped {counts.get('skipped', 0)}): rows were lost or invented"
        )
