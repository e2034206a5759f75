"""Sample `raw.csv` for crypto_ml: daily prices of a few symbols, rows in no particular order.

Prices follow a random walk whose daily returns carry a little momentum (so the models have
something to find, and not much), volumes vary around a level. With `bad=True` some rows are
wrong the ways real files are: a zero or negative price, `NaN`, an impossible date, a missing
symbol, a row sent twice with a corrected close (the later one wins), and a day with zero volume.
"""

from __future__ import annotations

import csv
import io
import math
import random
from datetime import date, timedelta

HEADER = ("symbol", "date", "open", "high", "low", "close", "volume")
SYMBOLS = ("BTC", "ETH", "SOL", "ADA", "XRP", "DOGE", "DOT", "LTC", "AVAX", "LINK")
START = date(2023, 1, 1)


def _symbol_name(index: int) -> str:
    return SYMBOLS[index] if index < len(SYMBOLS) else f"SYM{index:03d}"


def price_rows(symbols: int, days: int, seed: int, start: date = START) -> list[list[str]]:
    """`symbols` x `days` valid rows, in (symbol, date) order."""
    rng = random.Random(seed)
    rows = []
    for index in range(symbols):
        close, previous_return = rng.uniform(1, 50_000), 0.0
        volume_level = rng.uniform(1e5, 1e9)
        for day in range(days):
            daily_return = 0.15 * previous_return + rng.gauss(0.0005, 0.03)
            open_ = close
            close = max(open_ * math.exp(daily_return), 1e-6)
            high = max(open_, close) * (1 + abs(rng.gauss(0, 0.01)))
            low = min(open_, close) * (1 - abs(rng.gauss(0, 0.01)))
            volume = volume_level * rng.lognormvariate(0, 0.3)
            rows.append([_symbol_name(index), (start + timedelta(days=day)).isoformat(),
                         *(f"{value:.6f}" for value in (open_, high, low, close)), f"{volume:.2f}"])  # fmt: skip
            previous_return = daily_return
    return rows


def bad_rows(rows: list[list[str]]) -> list[list[str]]:
    """Rows that must be quarantined or superseded, built on the valid ones (one of each kind)."""
    first, second = rows[10], rows[11]
    return [
        [first[0], first[1], first[2], first[3], first[4], "0", first[6]],  # non-positive close
        [second[0], second[1], "NaN", *second[3:]],  # not a number
        [first[0], "2023-02-30", *first[2:]],  # no such day
        ["", *first[1:]],  # no symbol
        [first[0], first[1], first[2], first[3], first[4], "-5", first[6]],  # negative close
    ]


def generate(symbols: int = 4, days: int = 400, seed: int = 7, bad: bool = True) -> str:
    """The CSV text, rows shuffled; with `bad`, the bad rows and a superseded duplicate are mixed in.

    The duplicate is the first row of a day sent again after it, with a corrected close: the
    correction comes later in the file, so it wins.
    """
    rng = random.Random(seed + 1)
    rows = price_rows(symbols, days, seed)
    if bad:
        rows[30][6] = "0"  # a day with no trading: the next day's volume change is null
    body = list(rows)
    rng.shuffle(body)
    if bad:
        body += bad_rows(rows)
        stale = list(rows[20])
        stale[5] = f"{float(stale[5]) * 1.5:.6f}"  # the wrong close, sent first
        body.insert(0, stale)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(body)
    return out.getvalue()
