"""Column helpers every pipeline uses: text cleaning, UTC timestamps, ratios.

Each takes and returns a `Column`, so a transform composes them in one `select`/`withColumns`.
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

# What Java's regex `\s` matches: the ASCII whitespace a producer may pad a value with.
WHITESPACE = " \t\n\r\f\u000b"


def trimmed(column: Column) -> Column:
    """Leading and trailing whitespace removed (F.trim only strips spaces).

    `btrim` with a character set, not a regular expression: `^\\s+|\\s+$` backtracks
    quadratically over a long run of whitespace.
    """
    return F.call_function("btrim", column, F.lit(WHITESPACE))


def clean_text(column: Column) -> Column:
    """Trimmed, inner runs of whitespace made one space, blank as null."""
    squeezed = F.regexp_replace(trimmed(column), r"\s+", " ")
    return F.when(squeezed != "", squeezed)


def title_case(column: Column) -> Column:
    """`hyundai motor` -> `Hyundai Motor`, `mercedes-benz` -> `Mercedes-Benz` (initcap splits on spaces only)."""
    return F.array_join(F.transform(F.split(column, "-"), F.initcap), "-")


def parse_utc_timestamp(column: Column) -> Column:
    """ISO-8601 text (`...Z`, an offset, or none, read as UTC) to a timestamp; null if it is not one.

    The job's session time zone is UTC, so a value without a zone is UTC.
    """
    return F.try_to_timestamp(trimmed(column))


def rounded_ratio(numerator: Column, denominator: Column, scale: float = 1, decimals: int = 2) -> Column:
    """numerator / denominator * scale, rounded half away from zero; null when the divisor is null or 0."""
    return F.when(denominator.isNotNull() & (denominator != 0), F.round(numerator / denominator * scale, decimals))
