"""Realistic agent sessions (Agno-style documents) for conversation_features, messy as real ones are.

    python -m include.sample_data.conversation_features --day 2025-10-29 [--sessions 200] [--seed 7]
        [--database conversations] [--collection sessions] [--mongo-uri mongodb://127.0.0.1:PORT/]

Each session starts inside the day (a few sit just outside it, on both sides, to test the window)
and has 0-6 runs of an agent calling tools. `created_at` and `updated_at` rotate through the three
kinds real collections hold: BSON date, epoch seconds (int or float) and ISO-8601 text with `Z` or
an offset (`-03:00`, `+05:30`). Metrics are numbers or lists (one per model call); some runs miss
metrics or tools, statuses come in mixed case, some sessions have no agent name or no runs. With
`messy=True` (the default) about 2% of sessions are saved twice (a later copy with a later
`updated_at`, same `session_id`) and about 1% have no `session_id`. Same arguments, same documents.
"""

from __future__ import annotations

import argparse
import os
import random
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

AGENTS = (
    ("support-bot", "OpenAI", "gpt-4o-mini"),
    ("sales-assistant", "Anthropic", "claude-3-5-haiku"),
    ("research-agent", "OpenAI", "gpt-4o"),
    ("billing-helper", "Google", "gemini-1.5-flash"),
)
TOOLS = ("search_docs", "get_invoice", "create_ticket", "web_search", "send_email", "lookup_order")
STATUSES = ("completed", "completed", "completed", "Completed", "COMPLETED", "error", "Error", "failed", "FAILED")
OFFSETS = (timezone.utc, timezone(timedelta(hours=-3)), timezone(timedelta(hours=5, minutes=30)))
EDGE_SHARE = 0.03  # sessions placed just outside the day, or exactly on its start


def _stamp(moment: datetime, kind: int):
    """The instant as one of the kinds real documents hold (a BSON date is a naive UTC datetime in pymongo)."""
    if kind == 0:
        return moment.replace(tzinfo=None)
    if kind == 1:
        return int(moment.timestamp())
    if kind == 2:
        return round(moment.timestamp(), 3)
    zone = OFFSETS[int(moment.timestamp()) % len(OFFSETS)]
    text = moment.astimezone(zone).isoformat(timespec="seconds")
    return text.replace("+00:00", "Z")


def _metric(rng: random.Random, calls: int, low: float, high: float, decimals: int | None):
    values = [rng.uniform(low, high) for _ in range(calls)]
    values = [round(v, decimals) if decimals else int(v) for v in values]
    return values if calls > 1 or rng.random() < 0.3 else values[0]


def _run(rng: random.Random, index: int, at: datetime, kind: int) -> dict:
    calls = rng.randint(1, 3)
    run = {"run_id": f"r-{index}", "created_at": _stamp(at, kind), "status": rng.choice(STATUSES)}
    if rng.random() < 0.9:
        input_tokens = _metric(rng, calls, 50, 900, None)
        output_tokens = _metric(rng, calls, 10, 300, None)
        per_call = [v if isinstance(v, list) else [v] for v in (input_tokens, output_tokens)]
        total = [a + b for a, b in zip(*per_call, strict=True)]
        run["metrics"] = {
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "total_tokens": total if isinstance(input_tokens, list) else total[0],
            "time": _metric(rng, calls, 0.2, 6.0, 2),
        }
        if rng.random() < 0.8:
            run["metrics"]["time_to_first_token"] = _metric(rng, calls, 0.05, 1.5, 2)
    if rng.random() < 0.7:
        run["tools"] = [
            {"tool_name": rng.choice(TOOLS), "tool_call_error": rng.random() < 0.1,
             "metrics": {"time": round(rng.uniform(0.05, 3.0), 2)}}
            for _ in range(rng.randint(0, 3))
        ]  # fmt: skip
    return run


def _start(rng: random.Random, day: datetime) -> datetime:
    roll = rng.random()
    if roll < EDGE_SHARE / 3:
        return day - timedelta(seconds=rng.randint(1, 600))  # the day before: not extracted
    if roll < 2 * EDGE_SHARE / 3:
        return day + timedelta(days=1, seconds=rng.randint(0, 600))  # the day after: not extracted
    if roll < EDGE_SHARE:
        return day  # exactly the start: extracted
    return day + timedelta(seconds=rng.randint(0, 86_399))


def session(rng: random.Random, number: int, day: datetime) -> dict:
    """One session document (`_id` left to the database)."""
    name, provider, model = rng.choice(AGENTS)
    start, kind = _start(rng, day), number % 5
    gap = 0
    runs = []
    for index in range(rng.choice((0, 1, 1, 2, 3, 4, 6))):
        gap += rng.randint(5, 600)
        runs.append(_run(rng, index, start + timedelta(seconds=gap), (kind + index) % 5))
    agent = {"name": name, "model": {"id": model, "provider": provider}}
    if rng.random() < 0.05:
        agent = {"model": {"id": model}}  # no name: `unknown` in the features
    return {
        "session_id": f"s-{number:07d}",
        "agent_id": f"a-{name}",
        "user_id": f"u-{rng.randint(1, 5000):05d}",
        "agent_data": agent,
        "memory": {"runs": runs} if runs or rng.random() < 0.5 else {},
        "created_at": _stamp(start, kind),
        "updated_at": _stamp(start + timedelta(seconds=gap + rng.randint(1, 120)), (kind + 1) % 5),
    }


def generate(sessions: int, day: datetime, seed: int = 7, messy: bool = True) -> Iterator[dict]:
    """`sessions` documents for the UTC day `day`, in creation order of their numbers."""
    rng = random.Random(seed)
    for number in range(sessions):
        document = session(rng, number, day)
        if messy and rng.random() < 0.01:
            del document["session_id"]
        yield document
        if messy and rng.random() < 0.02 and "session_id" in document:
            later = dict(document, updated_at=_stamp(day + timedelta(days=1, hours=1), 1))
            yield later  # the same session saved again later (updated_at after the day)


def load(collection, documents, batch: int = 5000) -> int:
    """Insert `documents` (any iterable) in batches; returns how many."""
    count, pending = 0, []
    for document in documents:
        pending.append(document)
        if len(pending) == batch:
            collection.insert_many(pending, ordered=False)
            count, pending = count + len(pending), []
    if pending:
        collection.insert_many(pending, ordered=False)
        count += len(pending)
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--day", default="2025-10-29")
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database", default="conversations")
    parser.add_argument("--collection", default="sessions")
    parser.add_argument("--mongo-uri", default=os.environ.get("MONGO_URI"))
    args = parser.parse_args()
    if not args.mongo_uri:
        parser.error("no --mongo-uri and no MONGO_URI: start the local servers (make services-up) first")
    from pymongo import MongoClient

    day = datetime.fromisoformat(args.day).replace(tzinfo=timezone.utc)
    with MongoClient(args.mongo_uri) as client:
        loaded = load(client[args.database][args.collection], generate(args.sessions, day, args.seed))
    print(f"loaded {loaded} session documents into {args.database}.{args.collection} for {args.day}")


if __name__ == "__main__":
    main()
