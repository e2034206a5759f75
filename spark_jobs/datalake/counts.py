"""Each job's counts: logged, and stored as a small JSON next to its output.

The rule every job keeps: read = written + quarantined + superseded. `check_balanced` fails
the job rather than let a record vanish without a trace.
"""

from __future__ import annotations

import json
import logging

from pyspark.sql import SparkSession

from datalake import storage

COUNTS_DIR = "_counts"
log = logging.getLogger("datalake.counts")


class UnbalancedCounts(RuntimeError):
    pass


def check_balanced(counts: dict) -> None:
    accounted = counts.get("written", 0) + counts.get("quarantined", 0) + counts.get("superseded", 0)
    if counts.get("read", 0) != accounted:
        raise UnbalancedCounts(f"records lost or invented: {counts}")


def counts_path(output_path: str, run_name: str) -> str:
    return f"{output_path.rstrip('/')}/{COUNTS_DIR}/{run_name}.json"


def write_counts(spark: SparkSession, output_path: str, run_name: str, counts: dict) -> str:
    """Store the counts at `<output_path>/_counts/<run_name>.json` (overwritten by a rerun)."""
    check_balanced(counts)
    path = counts_path(output_path, run_name)
    text = json.dumps(counts, indent=2, sort_keys=True, default=str)
    storage.write_text(spark, path, text)
    print(f"counts {run_name}: {json.dumps(counts, sort_keys=True, default=str)}", flush=True)
    return path


def window_run_name(window_start, window_end) -> str:
    """`20251029T140000Z_20251029T150000Z`: sortable, and legal in every file system."""
    return f"{window_start:%Y%m%dT%H%M%SZ}_{window_end:%Y%m%dT%H%M%SZ}"
