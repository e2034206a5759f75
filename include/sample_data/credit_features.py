"""Realistic credit_features input: one day's credit applications as RFC 4180 CSV, optionally with bad rows.

    python -m include.sample_data.credit_features --out FILE [--rows 1000] [--seed 7] [--bad]

Clients look like a retail credit book: ages 20-70 (a few fractional), incomes log-normal around
55k, employment lengths with fractions, loan grades A-G with rates around each grade's reference
(about 10% of rates missing, to be imputed), loan amounts 500-35,000. Values come the way
producers send them: some categories lower-case or padded, some numbers quoted.

`bad=True` appends, after the good rows:
- a row without `id_cliente`, a row with `person_age` "abc", one with `loan_amnt` "1.000,50"
  (a decimal comma) and one with `loan_int_rate` NaN: four quarantined rows;
- a row of the wrong width: one more quarantined row (five in all);
- the first client again with a new loan amount (it replaces the first row: superseded 1), and
  a second copy of the second client that is invalid (quarantined; the valid first copy stays);
- a new client aged 144 with an unseen home ownership ("CONDO"): kept, the age as null, the
  category one-hot as `person_home_ownership_unknown`.
So `rows=N, bad=True` gives N + 8 records: N + 1 written, 6 quarantined, 1 superseded.
Same arguments, same bytes.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
from pathlib import Path

HEADER = (
    "id_cliente", "person_age", "person_income", "person_home_ownership", "person_emp_length",
    "loan_intent", "loan_grade", "loan_amnt", "loan_int_rate", "loan_percent_income",
    "cb_person_default_on_file", "cb_person_cred_hist_length",
)  # fmt: skip
OWNERSHIP = (("RENT", 50), ("MORTGAGE", 40), ("OWN", 8), ("OTHER", 2))
INTENTS = ("EDUCATION", "MEDICAL", "VENTURE", "PERSONAL", "DEBTCONSOLIDATION", "HOMEIMPROVEMENT")
GRADES = (("A", 7.5, 33), ("B", 11.0, 32), ("C", 13.5, 20), ("D", 15.5, 11), ("E", 17.0, 3), ("F", 18.5, 0.7),
          ("G", 20.0, 0.3))  # fmt: skip


def _messy(rng: random.Random, value: str) -> str:
    """How producers send categories: mostly clean, sometimes lower-case or padded."""
    roll = rng.random()
    if roll < 0.05:
        return value.lower()
    if roll < 0.08:
        return f" {value} "
    return value


def client(rng: random.Random, index: int) -> list[str]:
    age = rng.randint(20, 70) + (0.5 if rng.random() < 0.03 else 0)
    income = round(rng.lognormvariate(10.9, 0.5), -2)
    grade, reference, _ = rng.choices(GRADES, weights=[g[2] for g in GRADES])[0]
    rate = "" if rng.random() < 0.1 else f"{reference + rng.uniform(-1.5, 1.5):.2f}"
    amount = rng.randrange(500, 35_000, 25)
    ownership = rng.choices([o for o, _ in OWNERSHIP], weights=[w for _, w in OWNERSHIP])[0]
    emp_length = rng.choice([f"{rng.randint(0, 30)}", f"{rng.randint(0, 12) + 0.5}"])
    return [
        f"CLI-{index:07d}", f"{age:g}", f"{income:.0f}", _messy(rng, ownership), emp_length,
        _messy(rng, rng.choice(INTENTS)), _messy(rng, grade), f"{amount}", rate, f"{amount / income:.2f}",
        rng.choices(["N", "Y"], weights=[82, 18])[0], f"{rng.randint(2, 30)}",
    ]  # fmt: skip


def bad_rows(first: list[str], second: list[str]) -> list[list[str]]:
    good = list(first)
    return [
        ["", *good[1:]],
        ["CLI-B000001", "abc", *good[2:]],
        ["CLI-B000002", *good[1:7], "1.000,50", *good[8:]],
        ["CLI-B000003", *good[1:8], "NaN", *good[9:]],
        ["CLI-B000004", "30", "40000"],
        [first[0], *first[1:7], "999", *first[8:]],
        [second[0], "not a number", *second[2:]],
        ["CLI-B000005", "144", "50000", "CONDO", *good[4:]],
    ]


def generate(rows: int = 1000, seed: int = 7, bad: bool = False) -> str:
    rng = random.Random(seed)
    clients = [client(rng, index) for index in range(1, rows + 1)]
    if bad:
        clients += bad_rows(clients[0], clients[1])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(clients)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--bad", action="store_true")
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(generate(args.rows, args.seed, args.bad), encoding="utf-8")


if __name__ == "__main__":
    main()
