"""Sample receivable events, like the seed's producer: an AGENDADO per receivable, then some
cancellations and negotiations that never exceed what is left, and a share of bad messages.

`generate(...)` returns `(topic, key, value)` triples, deterministic for a seed.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from decimal import Decimal

TOPICS = {"AGENDADO": "recebiveis-agendados", "CANCELADO": "recebiveis-cancelados",
          "NEGOCIADO": "recebiveis-negociados"}  # fmt: skip
BANDEIRAS = ("VISA", "MASTERCARD", "ELO", "AMEX")
MODALIDADES = ("CREDITO", "DEBITO")
START = datetime(2024, 12, 24, 18, 0, tzinfo=timezone.utc)
# Bad messages of every kind the job refuses (value text, topic kind).
BAD = (
    ("{not json", "AGENDADO"),
    ('["a", "list"]', "AGENDADO"),
    ('{"id_recebivel": "REC-X", "tipo_evento": "CANCELADO", "valor": "1.00", '
     '"data_evento": "2024-12-24T18:30:00Z"}', "CANCELADO"),  # no id_evento
    ('{"id_evento": "bad-valor", "id_recebivel": "REC-X", "tipo_evento": "CANCELADO", "valor": "1.005", '
     '"data_evento": "2024-12-24T18:30:00Z"}', "CANCELADO"),
    ('{"id_evento": "bad-date", "id_recebivel": "REC-X", "tipo_evento": "NEGOCIADO", "valor": "1.00", '
     '"data_evento": "yesterday"}', "NEGOCIADO"),
    ('{"id_evento": "bad-topic", "id_recebivel": "REC-X", "tipo_evento": "NEGOCIADO", "valor": "1.00", '
     '"data_evento": "2024-12-24T18:30:00Z"}', "CANCELADO"),
)  # fmt: skip


def _instant(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def receivable_events(number: int, rng: random.Random, prefix: str = "REC") -> list[tuple[str, str, str]]:
    """One receivable's events, AGENDADO first."""
    id_recebivel = f"{prefix}-{number:07d}"
    when = START + timedelta(seconds=number)
    original = Decimal(rng.randint(1000, 500000)) / 100
    event = {"id_recebivel": id_recebivel, "id_estabelecimento": f"EST-{rng.randint(1, 50)}",
             "data_vencimento": (when + timedelta(days=rng.randint(1, 60))).date().isoformat(),
             "bandeira": rng.choice(BANDEIRAS), "modalidade": rng.choice(MODALIDADES)}  # fmt: skip
    produced = [("AGENDADO", original)]
    left = original
    for _ in range(rng.choice((0, 0, 1, 2))):
        if not left:
            break
        amount = (left * Decimal(rng.choice((25, 50, 100))) / 100).quantize(Decimal("0.01"))
        left -= amount
        produced.append((rng.choice(("CANCELADO", "NEGOCIADO")), amount))
    triples = []
    for sequence, (kind, amount) in enumerate(produced):
        value = {**event, "id_evento": f"{id_recebivel}-e{sequence}", "tipo_evento": kind,
                 "data_evento": _instant(when + timedelta(minutes=sequence)), "valor": str(amount)}  # fmt: skip
        triples.append((TOPICS[kind], id_recebivel, json.dumps(value)))
    return triples


def generate(receivables: int, seed: int = 3, bad_share: float = 0.0, prefix: str = "REC", first: int = 0):
    """Events of `receivables` receivables (numbered from `first`) plus about `bad_share` bad messages."""
    rng = random.Random(seed)
    triples = []
    for number in range(first, first + receivables):
        triples.extend(receivable_events(number, rng, prefix))
        if bad_share and rng.random() < bad_share:
            value, kind = BAD[number % len(BAD)]
            triples.append((TOPICS[kind], f"{prefix}-BAD-{number}", value))
    return triples


def recreate_topics(bootstrap_servers: str, topics, timeout: float = 60) -> None:
    """Delete the topics (if they exist) and create them empty: a demo or test that starts from nothing."""
    import time

    from confluent_kafka.admin import AdminClient

    from include.local.servers.kafka import create_topics

    admin = AdminClient({"bootstrap.servers": bootstrap_servers})
    existing = set(admin.list_topics(timeout=10).topics) & set(topics)
    if existing:
        for future in admin.delete_topics(sorted(existing), operation_timeout=30).values():
            future.result()
        deadline = time.monotonic() + timeout
        while set(admin.list_topics(timeout=10).topics) & existing and time.monotonic() < deadline:
            time.sleep(0.2)
    deadline = time.monotonic() + timeout
    while True:
        try:
            create_topics(bootstrap_servers, *topics)
            return
        except Exception:  # a topic still being deleted cannot be created yet
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def produce(bootstrap_servers: str, triples, topic_prefix: str = "") -> int:
    """Write the triples with a confluent-kafka producer (the tests, the demo and the benchmark)."""
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": bootstrap_servers, "linger.ms": 20, "batch.num.messages": 10000,
                         "queue.buffering.max.messages": 1000000})  # fmt: skip
    for topic, key, value in triples:
        while True:
            try:
                producer.produce(topic_prefix + topic, key=key.encode(), value=value.encode())
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    if producer.flush(60):
        raise RuntimeError("kafka: some sample events were not delivered within 60 s")
    return len(triples)
