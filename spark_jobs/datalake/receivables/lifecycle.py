"""A receivable's whole history (its events as stored in DynamoDB) -> its lifecycle document.

Pure Python over `Decimal`: the sums are exact (0.10 + 0.20 cancelled of 0.30 is ZERADO, not
INCONSISTENTE), and the result does not depend on the order the events arrived in.
"""

from __future__ import annotations

from decimal import Decimal

from datalake.receivables.events import AGENDADO, CANCELADO, DESCRIPTIVE, NEGOCIADO

ZERO = Decimal("0.00")
PENDENTE_AGENDAMENTO, ATIVO, ZERADO, INCONSISTENTE = "PENDENTE_AGENDAMENTO", "ATIVO", "ZERADO", "INCONSISTENTE"
DOCUMENT_FIELDS = (
    "id_recebivel",
    *DESCRIPTIVE,
    "valor_original",
    "total_cancelado",
    "total_negociado",
    "valor_disponivel",
    "qtd_cancelamentos",
    "qtd_negociacoes",
    "qtd_eventos",
    "data_primeiro_evento",
    "data_ultimo_evento",
    "status",
)


def status(valor_disponivel: Decimal | None) -> str:
    if valor_disponivel is None:
        return PENDENTE_AGENDAMENTO
    if valor_disponivel > 0:
        return ATIVO
    return ZERADO if valor_disponivel == 0 else INCONSISTENTE


def distinct_events(history: list[dict]) -> list[dict]:
    """One event per `id_evento` (a redelivery counts once), in sort-key order.

    A redelivered event normally has the same sort key and is one item already; if a producer
    resent it with another `data_evento`, the earliest copy is kept, whatever arrived first.
    """
    kept: dict[str, dict] = {}
    for event in sorted(history, key=lambda item: item["sk"]):
        kept.setdefault(event["id_evento"], event)
    return sorted(kept.values(), key=lambda item: item["sk"])


def _total(events: list[dict], event_type: str) -> tuple[Decimal, int]:
    amounts = [Decimal(event["valor"]) for event in events if event["tipo_evento"] == event_type]
    return sum(amounts, ZERO).quantize(ZERO), len(amounts)


def document(id_recebivel: str, history: list[dict]) -> dict | None:
    """The search document of one receivable, or None when it has no valid event."""
    events = distinct_events(history)
    if not events:
        return None
    # Several AGENDADO events (distinct ids) for one receivable: the earliest describes it.
    scheduled = next((event for event in events if event["tipo_evento"] == AGENDADO), None)
    cancelled, cancellations = _total(events, CANCELADO)
    negotiated, negotiations = _total(events, NEGOCIADO)
    original = None if scheduled is None else Decimal(scheduled["valor"]).quantize(ZERO)
    available = None if original is None else original - cancelled - negotiated
    instants = sorted(event["data_evento"] for event in events)
    described = {name: (scheduled or {}).get(name) for name in DESCRIPTIVE}
    return {
        "id_recebivel": id_recebivel,
        **described,
        "valor_original": original,
        "total_cancelado": cancelled,
        "total_negociado": negotiated,
        "valor_disponivel": available,
        "qtd_cancelamentos": cancellations,
        "qtd_negociacoes": negotiations,
        "qtd_eventos": len(events),
        "data_primeiro_evento": instants[0],
        "data_ultimo_evento": instants[-1],
        "status": status(available),
    }
