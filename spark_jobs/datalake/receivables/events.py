"""One Kafka message -> a valid receivable event, or the reason it goes to the dead letter.

Pure Python on purpose (no Spark column functions): money must stay `Decimal` from the raw JSON
text to the index, and the checks need the JSON token itself (`150.25` and `"150.25"` are both
fine, `1.005` and `true` are not). The job calls this inside `foreachPartition`, where the
DynamoDB writes happen anyway, so no UDF round trip is added.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation

AGENDADO, CANCELADO, NEGOCIADO = "AGENDADO", "CANCELADO", "NEGOCIADO"
# A topic's event type is known from how its name ends.
TOPIC_SUFFIXES = {"agendados": AGENDADO, "cancelados": CANCELADO, "negociados": NEGOCIADO}
DEFAULT_TOPICS = ("recebiveis-agendados", "recebiveis-cancelados", "recebiveis-negociados")
CENTS = Decimal("0.01")
MAX_MONEY = Decimal("1e16")  # decimal(18,2): 16 digits before the point
# Fields copied from the message into the stored event (the AGENDADO ones describe the receivable).
DESCRIPTIVE = ("id_estabelecimento", "data_vencimento", "bandeira", "modalidade")


@dataclass(frozen=True)
class Message:
    topic: str
    partition: int
    offset: int
    key: str | None
    value: str | None


class Rejected(ValueError):
    """The message cannot be an event; the text is the dead-letter reason."""


def topic_event_type(topic: str) -> str | None:
    """`recebiveis-cancelados` -> CANCELADO; None for a name with no known ending."""
    for suffix, event_type in TOPIC_SUFFIXES.items():
        if topic.endswith(suffix):
            return event_type
    return None


def _no_constants(name: str):
    raise Rejected(f"value is not valid JSON ({name} is not a number)")


def _load(value: str | None) -> dict:
    if value is None:
        raise Rejected("value is empty (null message)")
    try:
        document = json.loads(value, parse_float=Decimal, parse_int=Decimal, parse_constant=_no_constants)
    except json.JSONDecodeError as error:
        raise Rejected(f"value is not valid JSON ({error.msg} at char {error.pos})") from None
    if not isinstance(document, dict):
        raise Rejected(f"value is JSON but not an object ({type(document).__name__})")
    return document


def _identifier(document: dict, name: str) -> str:
    value = document.get(name)
    if not isinstance(value, str) or not value.strip():
        raise Rejected(f"{name} is missing or not a non-empty string")
    return value


def parse_money(raw) -> Decimal:
    """A JSON number or a string holding one, >= 0, with at most 2 decimal places, as decimal(18,2)."""
    if isinstance(raw, bool) or not isinstance(raw, str | Decimal):
        raise Rejected(f"valor {raw!r} is not a decimal number")
    try:
        amount = Decimal(raw.strip()) if isinstance(raw, str) else raw
    except InvalidOperation:
        raise Rejected(f"valor {raw!r} is not a decimal number") from None
    if not amount.is_finite():
        raise Rejected(f"valor {raw!r} is not a decimal number")
    if amount < 0:
        raise Rejected(f"valor {raw} is negative")
    if amount != amount.quantize(CENTS):
        raise Rejected(f"valor {raw} has more than 2 decimal places")
    if amount >= MAX_MONEY:
        raise Rejected(f"valor {raw} does not fit decimal(18,2)")
    return amount.quantize(CENTS)


def parse_instant(raw) -> str:
    """An ISO-8601 timestamp -> `2024-12-24T18:30:00.123Z` (UTC, milliseconds); no zone means UTC."""
    if not isinstance(raw, str) or len(raw.strip()) <= len("YYYY-MM-DD"):
        raise Rejected(f"data_evento {raw!r} is not an ISO-8601 timestamp")
    try:
        instant = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise Rejected(f"data_evento {raw!r} is not an ISO-8601 timestamp") from None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=timezone.utc)
    utc = instant.astimezone(timezone.utc)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def _due_date(raw) -> str | None:
    if raw is None:
        return None
    try:
        if not isinstance(raw, str) or len(raw) != len("YYYY-MM-DD"):
            raise ValueError(raw)
        return date.fromisoformat(raw).isoformat()
    except ValueError:
        raise Rejected(f"data_vencimento {raw!r} is not a date YYYY-MM-DD") from None


def _text(raw) -> str | None:
    return None if raw is None else str(raw)


def parse(message: Message) -> dict:
    """The event stored in DynamoDB for a valid message; raises Rejected with the reason otherwise."""
    document = _load(message.value)
    id_evento = _identifier(document, "id_evento")
    id_recebivel = _identifier(document, "id_recebivel")
    expected = topic_event_type(message.topic)
    if document.get("tipo_evento") != expected:
        raise Rejected(f"tipo_evento {document.get('tipo_evento')!r} does not match topic {message.topic} ({expected})")
    if "valor" not in document:
        raise Rejected("valor is missing")
    valor = parse_money(document["valor"])
    data_evento = parse_instant(document.get("data_evento"))
    return {
        "id_recebivel": id_recebivel,
        "sk": f"{data_evento}#{id_evento}",
        "id_evento": id_evento,
        "tipo_evento": expected,
        "data_evento": data_evento,
        "valor": valor,
        "id_estabelecimento": _text(document.get("id_estabelecimento")),
        "data_vencimento": _due_date(document.get("data_vencimento")),
        "bandeira": _text(document.get("bandeira")),
        "modalidade": _text(document.get("modalidade")),
        "topic": message.topic,
        "partition": message.partition,
        "offset": message.offset,
    }


def dead_letter(message: Message, reason: str) -> dict:
    """One line of the dead letter: where the message was, its raw text and why it was refused."""
    return {
        "topic": message.topic,
        "partition": message.partition,
        "offset": message.offset,
        "key": message.key,
        "value": message.value,
        "reason": reason,
    }


def classify(message: Message) -> tuple[dict | None, dict | None]:
    """(event, None) for a valid message, (None, dead-letter line) for a refused one."""
    try:
        return parse(message), None
    except Rejected as rejected:
        return None, dead_letter(message, str(rejected))
