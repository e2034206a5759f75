"""Argument parsing and error reporting shared by every job's `main()`.

Glue appends its own arguments (`--JOB_NAME`, `--JOB_RUN_ID`, `--TempDir`, `--enable-*`, ...),
so jobs parse with `parse_known_args` and ignore what they do not declare. A wrong argument
or a missing input ends the job with one `error: ...` line and exit code 2, not a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime, timezone


class JobError(Exception):
    """A problem with the job's arguments or inputs, reported as one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise JobError(f"{self.prog}: {message}")


def parse_job_args(job: str, required: list[str], optional: dict[str, str | None] | None = None, argv=None):
    # No abbreviations: an unknown `--bronze` must not silently mean `--bronze_path`.
    parser = _Parser(prog=job, add_help=True, allow_abbrev=False)
    for name in required:
        parser.add_argument(f"--{name}", required=True)
    for name, default in (optional or {}).items():
        parser.add_argument(f"--{name}", default=default)
    known, _glue_arguments = parser.parse_known_args(argv)
    return known


def parse_timestamp(name: str, value: str) -> datetime:
    """An ISO-8601 timestamp as aware UTC; a naive one is taken as UTC."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise JobError(f"--{name} {value!r} is not an ISO-8601 timestamp (e.g. 2025-10-29T14:00:00Z)") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def parse_window(start: str, end: str) -> tuple[datetime, datetime]:
    window_start = parse_timestamp("window_start", start)
    window_end = parse_timestamp("window_end", end)
    if window_end <= window_start:
        raise JobError(f"--window_end {end} is not after --window_start {start}")
    return window_start, window_end


def run_job(main: Callable[[list[str] | None], object], argv: list[str] | None = None) -> None:
    """Run a job's main, turning a JobError into one line on stderr and exit code 2."""
    try:
        main(argv)
    except JobError as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        sys.exit(2)
