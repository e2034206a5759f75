"""A job's command line: its declared arguments, Glue's own, and nothing else.

Glue starts a script with its own arguments mixed in (`--JOB_NAME`, `--JOB_RUN_ID`, `--TempDir`,
`--enable-metrics`, ...). Those are accepted and ignored; any other argument the job does not
declare is an error, so a misspelt `--full-rebuild` cannot silently run a different job than
the one asked for. A wrong argument or a missing input ends the job with one `error: ...` line
and exit code 2, before Spark starts.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from collections.abc import Callable, Iterable, Mapping

# Arguments Glue passes to every script (job parameters it sets itself, and DefaultArguments with
# special meaning). Upper-case names (`--JOB_NAME`, `--WORKFLOW_RUN_ID`, ...) are all Glue's.
GLUE_ARGUMENTS = frozenset(
    {
        "--TempDir",
        "--job-bookmark-option",
        "--job-language",
        "--scriptLocation",
        "--conf",
        "--datalake-formats",
        "--spark-event-logs-path",
        "--encryption-type",
        "--user-jars-first",
        "--disable-proxy-v2",
        "--additional-python-modules",
        "--python-modules-installer-option",
        "--auto-scale-within-microbatch",
    }
)
GLUE_PREFIXES = ("--enable-", "--extra-", "--continuous-log-", "--executor-", "--glue-")
GLUE_RESERVED = re.compile(r"^--[A-Z][A-Z0-9_]*$")


class JobError(Exception):
    """A problem with the job's arguments or inputs, reported as one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise JobError(f"{self.prog}: {message}")


def is_glue_argument(name: str) -> bool:
    return name in GLUE_ARGUMENTS or name.startswith(GLUE_PREFIXES) or bool(GLUE_RESERVED.match(name))


def reject_unknown(job: str, argv: Iterable[str], declared: Iterable[str]) -> None:
    """Fail on any `--name` that is neither declared nor Glue's, suggesting the nearest declared one."""
    known = {f"--{name}" for name in declared}
    for token in argv:
        if not token.startswith("--"):
            continue
        name = token.split("=", 1)[0]
        if name in known or is_glue_argument(name):
            continue
        close = difflib.get_close_matches("--" + name[2:].replace("-", "_"), sorted(known), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]}?)" if close else f"; known: {', '.join(sorted(known))}"
        raise JobError(f"{job}: unknown argument {name}{hint}")


def parse_job_args(
    job: str,
    required: Iterable[str],
    optional: Mapping[str, str | None] | None = None,
    argv: list[str] | None = None,
) -> argparse.Namespace:
    argv = sys.argv[1:] if argv is None else argv
    required, optional = list(required), dict(optional or {})
    reject_unknown(job, argv, [*required, *optional])
    # No abbreviations: `--bronze` must not silently mean `--bronze_path`.
    parser = _Parser(prog=job, add_help=False, allow_abbrev=False)
    for name in required:
        parser.add_argument(f"--{name}", required=True)
    for name, default in optional.items():
        parser.add_argument(f"--{name}", default=default)
    known, _glue_arguments = parser.parse_known_args(argv)
    return known


def parse_flag(name: str, value: str) -> bool:
    lowered = str(value).strip().lower()
    if lowered not in ("true", "false"):
        raise JobError(f"--{name} must be true or false, not {value!r}")
    return lowered == "true"


def run_job(main: Callable[[list[str] | None], object], argv: list[str] | None = None) -> None:
    """Run a job's main, turning a JobError into one line on stderr and exit code 2."""
    try:
        main(argv)
    except JobError as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        sys.exit(2)
