"""Which MongoDB documents fall in a window [start, end) by a time field of any type.

Real collections hold the same field as a BSON date, epoch seconds (int, long, double or
decimal) or ISO-8601 text with `Z` or an offset. MongoDB compares values only within one type
(type bracketing), so `window_filter` asks for each type's range in one `$or`:
- dates and numbers: the exact range;
- strings: a widened range. Text compares as text, and `2025-10-29T02:00:00+03:00` is
  2025-10-28T23:00Z: the same instant sorts differently under different offsets. Offsets lie
  within -12:00..+14:00, so every string of an instant in the window starts with a date from
  the day before `start` to the day after `end`; `in_window` then keeps exactly the documents
  whose parsed instant is in the window.
Plain `find` operators only (`$or`, `$gte`, `$lt`): FerretDB and DocumentDB run them too.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

from bson.decimal128 import Decimal128

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# The text of an instant differs from its UTC text by at most the largest offset (+14:00 / -12:00).
STRING_MARGIN = timedelta(days=1)
IN, OUTSIDE, UNREADABLE = "in", "outside", "unreadable"


def _utc(moment: datetime) -> datetime:
    """pymongo gives BSON dates as naive UTC datetimes."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def window_filter(field: str, start: datetime, end: datetime) -> dict:
    """The `find` filter for documents whose `field` may be in [start, end) (strings: a superset)."""
    start, end = _utc(start), _utc(end)
    first_text = f"{start - STRING_MARGIN:%Y-%m-%d}"
    after_text = f"{end + 2 * STRING_MARGIN:%Y-%m-%d}"  # a date string sorts below any longer one
    naive = {"$gte": start.replace(tzinfo=None), "$lt": end.replace(tzinfo=None)}
    epoch = {"$gte": (start - EPOCH).total_seconds(), "$lt": (end - EPOCH).total_seconds()}
    return {
        "$or": [
            {field: naive},
            {field: epoch},
            {field: {"$gte": first_text, "$lt": after_text}},
        ]
    }


def instant_of(value) -> datetime | None:
    """The UTC instant a date, epoch seconds or ISO-8601 text stands for; None if it stands for none."""
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, datetime):
            return _utc(value)
        if isinstance(value, Decimal128):
            value = value.to_decimal()
        if isinstance(value, int | float | Decimal):
            return EPOCH + timedelta(seconds=float(value))
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value.strip())
            return _utc(parsed)
    except (ValueError, OverflowError, InvalidOperation):
        return None
    return None


def placement(value, start: datetime, end: datetime) -> str:
    """IN the window [start, end), OUTSIDE it, or UNREADABLE (not an instant)."""
    instant = instant_of(value)
    if instant is None:
        return UNREADABLE
    return IN if _utc(start) <= instant < _utc(end) else OUTSIDE
