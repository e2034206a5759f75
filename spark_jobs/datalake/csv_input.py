"""CSV files of one folder -> one row per CSV record, every field a string, nothing dropped.

RFC 4180: a field may be quoted, a quote inside it is doubled, and a quoted field may hold
commas and line breaks (so files are read whole, `multiLine`, rather than split by lines); CRLF,
LF, a UTF-8 byte-order mark and spaces around a quoted value are all fine. Every value is read as
text: the pipeline's own transform decides what a number is, so a bad value is quarantined with a reason instead of
silently becoming null.

Nothing is lost:
- a record with more or fewer fields than the header is kept whole in `malformed`;
- a file whose header is not the expected columns is not parsed by position (its columns would
  land in the wrong places): `check_headers` names the problem, and the pipeline quarantines
  that file's records with it;
- `source_file` and `row_in_file` give each record its place, so "the last row in file order
  wins" means: the greatest (`source_file`, `row_in_file`), files in key order.

Only the folder's direct `*.csv` files are data; others are reported, not read.
"""

from __future__ import annotations

import csv
import io
import os

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from datalake import landing, storage

SUFFIX = ".csv"
MALFORMED = "malformed"
SOURCE_FILE = "source_file"
ROW_IN_FILE = "row_in_file"
HEADER_BYTES = 1 << 20  # a header longer than this is not a header


def is_csv(file: storage.FileStatus, folder: str) -> bool:
    """A direct `*.csv` child of `folder` (a relative local folder is fine: listed paths are absolute)."""
    root = folder if "://" in folder else os.path.abspath(folder)
    relative = file.path[len(root.rstrip("/")) + 1 :]
    return "/" not in relative and relative.endswith(SUFFIX)


def _first_line(path: str) -> str | None:
    """The file's first line (BOM removed), or None for an empty file."""
    stream = landing.open_file(path)
    try:
        head = stream.read(HEADER_BYTES)
    finally:
        stream.close()
    if not head:
        return None
    return head.decode("utf-8-sig", errors="replace").splitlines()[0] if head.strip() else ""


def header_problem(line: str | None, expected: tuple[str, ...]) -> str | None:
    """Why a header line is not `expected` (names compared trimmed, case-insensitive), or None if it is."""
    if line is None:
        return None  # an empty file has no records either
    found = [name.strip().lower() for name in next(csv.reader(io.StringIO(line)), [])]
    wanted = [name.lower() for name in expected]
    if found == wanted:
        return None
    if sorted(found) == sorted(wanted):
        return "header has the expected columns in another order"
    missing = [name for name in wanted if name not in found]
    unexpected = [name for name in found if name not in wanted]
    details = [f"missing {', '.join(missing)}"] if missing else []
    details += [f"unexpected {', '.join(unexpected)[:200]}"] if unexpected else []
    return f"header does not match ({'; '.join(details) or 'not a header'})"


def check_headers(files: list[storage.FileStatus], expected: tuple[str, ...]) -> dict[str, str]:
    """{file name: problem} for the files whose header is not `expected`."""
    problems = {}
    for file in files:
        problem = header_problem(_first_line(file.path), expected)
        if problem:
            problems[file.path.rsplit("/", 1)[-1]] = problem
    return problems


def _file_name() -> Column:
    """The file's name as stored: Spark gives it URL-encoded (`a%20b.csv`), and url_decode reads `+` as a space."""
    return F.url_decode(F.replace(F.col("_metadata.file_name"), F.lit("+"), F.lit("%2B")))


def read_folder(spark: SparkSession, folder: str, columns: tuple[str, ...], multi_line: bool = True) -> DataFrame:
    """Every record of the folder's `*.csv` files: `columns` as strings, `malformed`, `source_file`, `row_in_file`.

    `multi_line=False` for data that never has a line break inside a field (prices, counters): Spark
    then splits a big file across tasks (all cores) instead of reading it whole in one; a record
    that does span lines is read as malformed pieces, each kept (quarantined), none lost.
    """
    schema = T.StructType([T.StructField(name, T.StringType()) for name in (*columns, MALFORMED)])
    return (
        spark.read.schema(schema)
        .options(
            header=True,
            multiLine=multi_line,
            quote='"',
            escape='"',  # RFC 4180: "" inside a quoted field (Spark's default escape is a backslash)
            # `  "35" ` is the quoted value 35; spaces inside quotes are the value's (the pipeline trims).
            ignoreLeadingWhiteSpace=True,
            ignoreTrailingWhiteSpace=True,
            mode="PERMISSIVE",
            columnNameOfCorruptRecord=MALFORMED,
            pathGlobFilter=f"*{SUFFIX}",
            encoding="UTF-8",
        )
        .csv(folder)
        .withColumn(SOURCE_FILE, _file_name())
        # Increasing in file order: a file is read from its start by one task (multiLine), or split into
        # consecutive slices read by tasks whose ids increase with the slice (the partition is the high bits).
        .withColumn(ROW_IN_FILE, F.monotonically_increasing_id())
    )
