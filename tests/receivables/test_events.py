"""Parsing and validating one Kafka message: whole events and whole dead-letter lines, written out by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from datalake.receivables.events import Message, classify

AGENDADOS, CANCELADOS = "recebiveis-agendados", "recebiveis-cancelados"


def _message(value, topic=AGENDADOS, offset=7, key="REC-1") -> Message:
    return Message(topic=topic, partition=2, offset=offset, key=key, value=value)


def test_a_valid_agendado_becomes_the_stored_event_with_decimal_money_and_a_utc_millisecond_key():
    value = (
        '{"id_evento": "e-1", "id_recebivel": "REC-1", "tipo_evento": "AGENDADO", '
        '"data_evento": "2024-12-24T15:30:00.123456-03:00", "valor": 150.25, "id_estabelecimento": "EST-1", '
        '"data_vencimento": "2025-01-15", "bandeira": "VISA", "modalidade": "CREDITO", "extra": 1}'
    )
    assert classify(_message(value)) == (
        {
            "id_recebivel": "REC-1",
            "sk": "2024-12-24T18:30:00.123Z#e-1",
            "id_evento": "e-1",
            "tipo_evento": "AGENDADO",
            "data_evento": "2024-12-24T18:30:00.123Z",
            "valor": Decimal("150.25"),
            "id_estabelecimento": "EST-1",
            "data_vencimento": "2025-01-15",
            "bandeira": "VISA",
            "modalidade": "CREDITO",
            "topic": AGENDADOS,
            "partition": 2,
            "offset": 7,
        },
        None,
    )


def test_a_cancellation_with_string_money_no_zone_and_no_descriptive_fields():
    value = '{"id_evento": "e-2", "id_recebivel": "REC-1", "tipo_evento": "CANCELADO", "data_evento": "2024-12-25 09:00:00", "valor": " 0.1 "}'  # noqa: E501
    event, refused = classify(_message(value, topic="prod.recebiveis-cancelados"))
    assert refused is None
    assert event == {
        "id_recebivel": "REC-1",
        "sk": "2024-12-25T09:00:00.000Z#e-2",
        "id_evento": "e-2",
        "tipo_evento": "CANCELADO",
        "data_evento": "2024-12-25T09:00:00.000Z",
        "valor": Decimal("0.10"),
        "id_estabelecimento": None,
        "data_vencimento": None,
        "bandeira": None,
        "modalidade": None,
        "topic": "prod.recebiveis-cancelados",
        "partition": 2,
        "offset": 7,
    }


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('"0"', Decimal("0.00")),
        ("0", Decimal("0.00")),
        ("1e2", Decimal("100.00")),
        ('"150.250"', Decimal("150.25")),  # a trailing zero is still 2 decimal places
        ("9999999999999999.99", Decimal("9999999999999999.99")),
        ("0.30000000000000000", Decimal("0.30")),
    ],
)
def test_money_edge_cases_that_are_valid(raw, expected):
    value = '{"id_evento": "e", "id_recebivel": "R", "tipo_evento": "AGENDADO", "data_evento": "2024-12-24T18:30:00Z", "valor": %s}'  # noqa: E501
    event, refused = classify(_message(value % raw))
    assert refused is None
    assert event["valor"] == expected
    assert str(event["valor"]) == str(expected), "always 2 decimal places"


GOOD = '"id_evento": "e-9", "id_recebivel": "REC-9", "data_evento": "2024-12-24T18:30:00Z"'
BAD_MESSAGES = [
    (None, "value is empty (null message)"),
    ("{not json", "value is not valid JSON (Expecting property name enclosed in double quotes at char 1)"),
    ("", "value is not valid JSON (Expecting value at char 0)"),
    ('["a"]', "value is JSON but not an object (list)"),
    ('"text"', "value is JSON but not an object (str)"),
    ('{"valor": NaN}', "value is not valid JSON (NaN is not a number)"),
    ('{"id_recebivel": "REC-9", "tipo_evento": "AGENDADO", "valor": "1"}', "id_evento is missing or not a non-empty string"),  # noqa: E501
    ('{"id_evento": 12, "id_recebivel": "REC-9"}', "id_evento is missing or not a non-empty string"),
    ('{"id_evento": "e-9", "id_recebivel": "  "}', "id_recebivel is missing or not a non-empty string"),
    ('{%s, "tipo_evento": "CANCELADO", "valor": "1"}' % GOOD,
     "tipo_evento 'CANCELADO' does not match topic recebiveis-agendados (AGENDADO)"),
    ('{%s, "valor": "1"}' % GOOD, "tipo_evento None does not match topic recebiveis-agendados (AGENDADO)"),
    ('{%s, "tipo_evento": "agendado", "valor": "1"}' % GOOD,
     "tipo_evento 'agendado' does not match topic recebiveis-agendados (AGENDADO)"),
    ('{%s, "tipo_evento": "AGENDADO"}' % GOOD, "valor is missing"),
    ('{%s, "tipo_evento": "AGENDADO", "valor": null}' % GOOD, "valor None is not a decimal number"),
    ('{%s, "tipo_evento": "AGENDADO", "valor": true}' % GOOD, "valor True is not a decimal number"),
    ('{%s, "tipo_evento": "AGENDADO", "valor": "12,50"}' % GOOD, "valor '12,50' is not a decimal number"),
    ('{%s, "tipo_evento": "AGENDADO", "valor": "Infinity"}' % GOOD, "valor 'Infinity' is not a decimal number"),
    ('{%s, "tipo_evento": "AGENDADO", "valor": -0.01}' % GOOD, "valor -0.01 is negative"),
    ('{%s, "tipo_evento": "AGENDADO", "valor": 1.005}' % GOOD, "valor 1.005 has more than 2 decimal places"),
    ('{%s, "tipo_evento": "AGENDADO", "valor": 0.1e-2}' % GOOD, "valor 0.001 has more than 2 decimal places"),
    ('{%s, "tipo_evento": "AGENDADO", "valor": 1e16}' % GOOD, "valor 1E+16 does not fit decimal(18,2)"),
    ('{"id_evento": "e-9", "id_recebivel": "REC-9", "tipo_evento": "AGENDADO", "valor": 1, "data_evento": "yesterday"}',
     "data_evento 'yesterday' is not an ISO-8601 timestamp"),
    ('{"id_evento": "e-9", "id_recebivel": "REC-9", "tipo_evento": "AGENDADO", "valor": 1, "data_evento": "2024-12-24"}',  # noqa: E501
     "data_evento '2024-12-24' is not an ISO-8601 timestamp"),
    ('{"id_evento": "e-9", "id_recebivel": "REC-9", "tipo_evento": "AGENDADO", "valor": 1}',
     "data_evento None is not an ISO-8601 timestamp"),
    ('{%s, "tipo_evento": "AGENDADO", "valor": 1, "data_vencimento": "15/01/2025"}' % GOOD,
     "data_vencimento '15/01/2025' is not a date YYYY-MM-DD"),
]  # fmt: skip


@pytest.mark.parametrize(("value", "reason"), BAD_MESSAGES)
def test_every_bad_kind_becomes_a_whole_dead_letter_line(value, reason):
    assert classify(_message(value, offset=41, key=None)) == (
        None,
        {"topic": AGENDADOS, "partition": 2, "offset": 41, "key": None, "value": value, "reason": reason},
    )
