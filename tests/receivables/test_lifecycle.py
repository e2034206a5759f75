"""A receivable's history -> its lifecycle document: whole documents written out by hand."""

from __future__ import annotations

import random
from decimal import Decimal

from datalake.receivables.lifecycle import document


def _event(id_evento, tipo, data_evento, valor, **descriptive):
    fields = {"id_estabelecimento": None, "data_vencimento": None, "bandeira": None, "modalidade": None}
    return {"id_recebivel": "REC-1", "sk": f"{data_evento}#{id_evento}", "id_evento": id_evento,
            "tipo_evento": tipo, "data_evento": data_evento, "valor": Decimal(valor), **fields, **descriptive,
            "topic": "t", "partition": 0, "offset": 0}  # fmt: skip


SCHEDULED = _event("e-1", "AGENDADO", "2024-12-24T18:30:00.123Z", "0.30", id_estabelecimento="EST-1",
                   data_vencimento="2025-01-15", bandeira="VISA", modalidade="CREDITO")  # fmt: skip


def test_point_one_plus_point_two_cancelled_of_point_three_is_zerado_not_inconsistente():
    history = [
        SCHEDULED,
        _event("e-2", "CANCELADO", "2024-12-25T10:00:00.000Z", "0.10"),
        _event("e-3", "NEGOCIADO", "2024-12-26T10:00:00.000Z", "0.20"),
    ]
    assert document("REC-1", history) == {
        "id_recebivel": "REC-1",
        "id_estabelecimento": "EST-1",
        "data_vencimento": "2025-01-15",
        "bandeira": "VISA",
        "modalidade": "CREDITO",
        "valor_original": Decimal("0.30"),
        "total_cancelado": Decimal("0.10"),
        "total_negociado": Decimal("0.20"),
        "valor_disponivel": Decimal("0.00"),
        "qtd_cancelamentos": 1,
        "qtd_negociacoes": 1,
        "qtd_eventos": 3,
        "data_primeiro_evento": "2024-12-24T18:30:00.123Z",
        "data_ultimo_evento": "2024-12-26T10:00:00.000Z",
        "status": "ZERADO",
    }


def test_events_before_their_agendado_make_a_pending_document_with_null_agendado_fields():
    history = [
        _event("e-2", "CANCELADO", "2024-12-25T10:00:00.000Z", "10.00"),
        _event("e-3", "NEGOCIADO", "2024-12-25T11:00:00.000Z", "5.50"),
        _event("e-4", "CANCELADO", "2024-12-25T09:00:00.000Z", "0.01"),
    ]
    assert document("REC-1", history) == {
        "id_recebivel": "REC-1",
        "id_estabelecimento": None,
        "data_vencimento": None,
        "bandeira": None,
        "modalidade": None,
        "valor_original": None,
        "total_cancelado": Decimal("10.01"),
        "total_negociado": Decimal("5.50"),
        "valor_disponivel": None,
        "qtd_cancelamentos": 2,
        "qtd_negociacoes": 1,
        "qtd_eventos": 3,
        "data_primeiro_evento": "2024-12-25T09:00:00.000Z",
        "data_ultimo_evento": "2024-12-25T11:00:00.000Z",
        "status": "PENDENTE_AGENDAMENTO",
    }


def test_the_agendado_arriving_later_completes_it_and_arrival_order_does_not_matter():
    history = [
        _event("e-2", "CANCELADO", "2024-12-25T10:00:00.000Z", "100.00"),
        _event("e-3", "NEGOCIADO", "2024-12-23T08:00:00.000Z", "60.26"),  # dated before the AGENDADO
        SCHEDULED | {"valor": Decimal("160.25")},
    ]
    expected = {
        "id_recebivel": "REC-1",
        "id_estabelecimento": "EST-1",
        "data_vencimento": "2025-01-15",
        "bandeira": "VISA",
        "modalidade": "CREDITO",
        "valor_original": Decimal("160.25"),
        "total_cancelado": Decimal("100.00"),
        "total_negociado": Decimal("60.26"),
        "valor_disponivel": Decimal("-0.01"),
        "qtd_cancelamentos": 1,
        "qtd_negociacoes": 1,
        "qtd_eventos": 3,
        "data_primeiro_evento": "2024-12-23T08:00:00.000Z",
        "data_ultimo_evento": "2024-12-25T10:00:00.000Z",
        "status": "INCONSISTENTE",
    }
    assert document("REC-1", history) == expected
    for seed in range(5):
        shuffled = list(history)
        random.Random(seed).shuffle(shuffled)
        assert document("REC-1", shuffled) == expected


def test_a_redelivered_event_counts_once_even_when_resent_with_another_date():
    history = [
        SCHEDULED | {"valor": Decimal("100.00")},
        _event("e-2", "CANCELADO", "2024-12-25T10:00:00.000Z", "40.00") | {"offset": 5},
        _event("e-2", "CANCELADO", "2024-12-25T10:00:00.000Z", "40.00") | {"offset": 9},
        _event("e-2", "CANCELADO", "2024-12-27T10:00:00.000Z", "40.00"),  # resent later with a new date
    ]
    assert document("REC-1", history) == {
        "id_recebivel": "REC-1",
        "id_estabelecimento": "EST-1",
        "data_vencimento": "2025-01-15",
        "bandeira": "VISA",
        "modalidade": "CREDITO",
        "valor_original": Decimal("100.00"),
        "total_cancelado": Decimal("40.00"),
        "total_negociado": Decimal("0.00"),
        "valor_disponivel": Decimal("60.00"),
        "qtd_cancelamentos": 1,
        "qtd_negociacoes": 0,
        "qtd_eventos": 2,
        "data_primeiro_evento": "2024-12-24T18:30:00.123Z",
        "data_ultimo_evento": "2024-12-25T10:00:00.000Z",
        "status": "ATIVO",
    }


def test_only_an_agendado_is_active_with_zero_totals_and_no_history_has_no_document():
    assert document("REC-1", [SCHEDULED]) == {
        "id_recebivel": "REC-1",
        "id_estabelecimento": "EST-1",
        "data_vencimento": "2025-01-15",
        "bandeira": "VISA",
        "modalidade": "CREDITO",
        "valor_original": Decimal("0.30"),
        "total_cancelado": Decimal("0.00"),
        "total_negociado": Decimal("0.00"),
        "valor_disponivel": Decimal("0.30"),
        "qtd_cancelamentos": 0,
        "qtd_negociacoes": 0,
        "qtd_eventos": 1,
        "data_primeiro_evento": "2024-12-24T18:30:00.123Z",
        "data_ultimo_evento": "2024-12-24T18:30:00.123Z",
        "status": "ATIVO",
    }
    assert document("REC-1", []) is None


def test_a_zero_agendado_is_zerado_and_many_cents_sum_exactly():
    cents = [_event(f"c-{n}", "CANCELADO", f"2024-12-25T10:00:{n:02d}.000Z", "0.01") for n in range(10)]
    result = document("REC-1", [SCHEDULED | {"valor": Decimal("0.10")}, *cents])
    assert (result["total_cancelado"], result["valor_disponivel"], result["status"]) == (
        Decimal("0.00") + Decimal("0.10"), Decimal("0.00"), "ZERADO",
    )  # fmt: skip
    assert document("REC-1", [SCHEDULED | {"valor": Decimal("0")}])["status"] == "ZERADO"
