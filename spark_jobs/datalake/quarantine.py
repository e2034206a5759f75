"""Quarantine: records that cannot go to the output, kept with the reason, never dropped.

A transform adds a `reason` column (null for a good record); `split` divides the rows on it.
Quarantine happens before de-duplication, so a bad copy of a record never hides a good one.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

REASON = "reason"


def first_reason(*checks: Column) -> Column:
    """The first check that fired (each is a `when(condition, reason)`), or null if none did."""
    return F.coalesce(*checks)


def split(rows: DataFrame, reason: str = REASON) -> tuple[DataFrame, DataFrame]:
    """(accepted rows without the reason column, refused rows with it)."""
    accepted = rows.where(F.col(reason).isNull()).drop(reason)
    refused = rows.where(F.col(reason).isNotNull())
    return accepted, refused


def reason_counts(rows: DataFrame, reason: str = REASON) -> dict[str, int]:
    """{reason: count} of the refused rows, sorted by reason."""
    counted = rows.where(F.col(reason).isNotNull()).groupBy(reason).count().collect()
    return dict(sorted((row[reason], row["count"]) for row in counted))
