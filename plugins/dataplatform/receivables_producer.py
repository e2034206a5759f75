"""The messages `receivables_producer` sends: realistic receivable events for one topic, at a steady rate.

`ProduceToTopicOperator` calls `events(...)` (by its dotted path) once per topic. All three calls
build the same sequence of events (same seed) and each keeps its topic's; message n of the whole
sequence is due `n / events_per_second` seconds after the start, so three tasks running side by
side produce about `events_per_second` in all, in order within each receivable.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal

KINDS = {"agendados": "AGENDADO", "cancelados": "CANCELADO", "negociados": "NEGOCIADO"}
BANDEIRAS = ("VISA", "MASTERCARD", "ELO", "AMEX")
BAD_VALUES = (
    "{not json",
    '["not", "an", "object"]',
    '{"id_recebivel": "%(id)s", "tipo_evento": "%(kind)s", "valor": "1.00", "data_evento": "%(at)s"}',
    '{"id_evento": "%(id)s-bad", "id_recebivel": "%(id)s", "tipo_evento": "%(kind)s", "valor": "1.005", '
    '"data_evento": "%(at)s"}',
    '{"id_evento": "%(id)s-bad", "id_recebivel": "%(id)s", "tipo_evento": "%(kind)s", "valor": "-3", '
    '"data_evento": "%(at)s"}',
    '{"id_evento": "%(id)s-bad", "id_recebivel": "%(id)s", "tipo_evento": "%(kind)s", "valor": "1.00", '
    '"data_evento": "ontem"}',
)


def _instant(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _receivable(rng: random.Random, id_recebivel: str, now: datetime) -> list[tuple[str, dict]]:
    """(kind, value) of one receivable: AGENDADO, then cancellations/negotiations within what is left."""
    base = {"id_recebivel": id_recebivel, "id_estabelecimento": f"EST-{rng.randint(1, 50)}",
            "data_vencimento": (now + timedelta(days=rng.randint(1, 60))).date().isoformat(),
            "bandeira": rng.choice(BANDEIRAS), "modalidade": rng.choice(("CREDITO", "DEBITO"))}  # fmt: skip
    left = Decimal(rng.randint(1000, 500000)) / 100
    kinds = [("AGENDADO", left)]
    for _ in range(rng.choice((0, 1, 1, 2))):
        amount = (left * Decimal(rng.choice((10, 25, 50, 100))) / 100).quantize(Decimal("0.01"))
        left -= amount
        kinds.append((rng.choice(("CANCELADO", "NEGOCIADO")), amount))
    return [
        (
            kind,
            {
                **base,
                "id_evento": f"{id_recebivel}-e{n}",
                "tipo_evento": kind,
                "data_evento": _instant(now + timedelta(milliseconds=n)),
                "valor": str(amount),
            },
        )
        for n, (kind, amount) in enumerate(kinds)
    ]


def sequence(receivables: int, bad_share: float, run_tag: str) -> list[tuple[str, str, str]]:
    """(kind, key, value) of the whole run, the same for every call with the same arguments."""
    rng = random.Random(run_tag)
    now = datetime.now(timezone.utc)
    messages = []
    for number in range(int(receivables)):
        id_recebivel = f"REC-{run_tag}-{number:06d}"
        for kind, value in _receivable(rng, id_recebivel, now):
            messages.append((kind, id_recebivel, json.dumps(value)))
        if rng.random() < float(bad_share):
            kind = rng.choice(list(KINDS.values()))
            bad = rng.choice(BAD_VALUES) % {"id": id_recebivel, "kind": kind, "at": _instant(now)}
            messages.append((kind, id_recebivel, bad))
    return messages


def events(topic: str, receivables: int, events_per_second: float, bad_share: float, run_tag: str) -> Iterator:
    """(key, value) pairs for `topic`, each sent when its turn in the whole run's sequence comes."""
    kind = next(kind for suffix, kind in KINDS.items() if topic.endswith(suffix))
    interval = 1.0 / float(events_per_second)
    started = time.monotonic()
    for position, (message_kind, key, value) in enumerate(sequence(receivables, bad_share, run_tag)):
        if message_kind != kind:
            continue
        delay = started + position * interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        yield key, value
