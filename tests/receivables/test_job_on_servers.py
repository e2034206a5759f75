"""receivables_aggregator through its command line against the real local servers: Kafka (KRaft),
moto (DynamoDB, and S3 for the checkpoint over s3a) and OpenSearch.

One scenario, shared by the tests in order (each Spark run costs a JVM start): hand-made messages
(redeliveries, events before their AGENDADO, 0.10 + 0.20 of 0.30, bad messages of several kinds)
followed by 80 generated receivables, read 50 messages per micro-batch.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from include.local.services import free_port
from include.sample_data import receivables as sample
from tests.jobs import one_error_line, succeeded
from tests.receivables.support import Scenario

pytestmark = [pytest.mark.integration, pytest.mark.slow]
A, C, N = (sample.TOPICS[kind] for kind in ("AGENDADO", "CANCELADO", "NEGOCIADO"))
PER_BATCH = ("--max_offsets_per_trigger", "50")


def _event(id_evento, id_recebivel, tipo, data_evento, valor, **more):
    import json

    return json.dumps({"id_evento": id_evento, "id_recebivel": id_recebivel, "tipo_evento": tipo,
                       "data_evento": data_evento, "valor": valor, **more})  # fmt: skip


DESCRIBED = {
    "id_estabelecimento": "EST-1",
    "data_vencimento": "2025-01-15",
    "bandeira": "VISA",
    "modalidade": "CREDITO",
}
NOT_JSON = '{"id_evento": "x-1", '
WRONG_TOPIC = _event("x-2", "REC-4", "NEGOCIADO", "2024-12-24T10:00:00Z", "1.00")
THREE_DECIMALS = _event("x-3", "REC-4", "NEGOCIADO", "2024-12-24T10:00:00Z", "1.005")
HANDMADE = [
    (A, "REC-1", _event("e-1a", "REC-1", "AGENDADO", "2024-12-24T18:30:00.123Z", 0.30, **DESCRIBED)),  # A@0
    (C, "REC-1", _event("e-1c", "REC-1", "CANCELADO", "2024-12-25T10:00:00Z", 0.1)),  # C@0
    (N, "REC-1", _event("e-1n", "REC-1", "NEGOCIADO", "2024-12-26T07:00:00-03:00", "0.20")),  # N@0
    (C, "REC-2", _event("e-2c", "REC-2", "CANCELADO", "2024-12-25T09:00:00Z", "10")),  # C@1: no AGENDADO yet
    (A, "REC-3", _event("e-3a", "REC-3", "AGENDADO", "2024-12-24T10:00:00Z", "100.00", **DESCRIBED)),  # A@1
    (C, "REC-3", _event("e-3c", "REC-3", "CANCELADO", "2024-12-23T10:00:00Z", "40.00")),  # C@2: dated before
    (C, "REC-3", _event("e-3c", "REC-3", "CANCELADO", "2024-12-23T10:00:00Z", "40.00")),  # C@3: redelivered
    (A, "REC-4", NOT_JSON),  # A@2
    (C, "REC-4", WRONG_TOPIC),  # C@4
    (N, "REC-4", THREE_DECIMALS),  # N@1
]
GENERATED = sample.generate(80, seed=5, bad_share=0.1, prefix="GEN")
REC_1 = {
    "id_recebivel": "REC-1", **DESCRIBED, "valor_original": 0.3, "total_cancelado": 0.1, "total_negociado": 0.2,
    "valor_disponivel": 0.0, "qtd_cancelamentos": 1, "qtd_negociacoes": 1, "qtd_eventos": 3,
    "data_primeiro_evento": "2024-12-24T18:30:00.123Z", "data_ultimo_evento": "2024-12-26T10:00:00.000Z",
    "status": "ZERADO",
}  # fmt: skip
REC_2 = {
    "id_recebivel": "REC-2", "id_estabelecimento": None, "data_vencimento": None, "bandeira": None,
    "modalidade": None, "valor_original": None, "total_cancelado": 10.0, "total_negociado": 0.0,
    "valor_disponivel": None, "qtd_cancelamentos": 1, "qtd_negociacoes": 0, "qtd_eventos": 1,
    "data_primeiro_evento": "2024-12-25T09:00:00.000Z", "data_ultimo_evento": "2024-12-25T09:00:00.000Z",
    "status": "PENDENTE_AGENDAMENTO",
}  # fmt: skip
REC_3 = {
    "id_recebivel": "REC-3", **DESCRIBED, "valor_original": 100.0, "total_cancelado": 40.0, "total_negociado": 0.0,
    "valor_disponivel": 60.0, "qtd_cancelamentos": 1, "qtd_negociacoes": 0, "qtd_eventos": 2,
    "data_primeiro_evento": "2024-12-23T10:00:00.000Z", "data_ultimo_evento": "2024-12-24T10:00:00.000Z",
    "status": "ATIVO",
}  # fmt: skip


@pytest.fixture(scope="module")
def scenario(kafka_env, moto_env, search_env):
    scenario = Scenario({**kafka_env, **moto_env, **search_env})
    scenario.produce(HANDMADE)
    scenario.produce(GENERATED)
    return scenario


def test_a_clean_run_stores_every_event_indexes_every_receivable_and_dead_letters_the_rest(scenario):
    succeeded(scenario.run("clean", *PER_BATCH))

    documents = scenario.documents("clean")
    assert {key: documents[key][1] for key in ("REC-1", "REC-2", "REC-3")} == {"REC-1": REC_1, "REC-2": REC_2,
                                                                               "REC-3": REC_3}  # fmt: skip
    assert "REC-4" not in documents, "a receivable whose every message was refused has no document"
    assert len(documents) == 3 + 80
    items = [item for item in scenario.table_items("clean") if item["id_recebivel"] == "REC-3"]
    assert items == [
        {"id_recebivel": "REC-3", "sk": "2024-12-23T10:00:00.000Z#e-3c", "id_evento": "e-3c",
         "tipo_evento": "CANCELADO", "data_evento": "2024-12-23T10:00:00.000Z", "valor": Decimal("40.00"),
         "topic": scenario.prefix + C, "partition": 0, "offset": 3},  # the later delivery of the same event
        {"id_recebivel": "REC-3", "sk": "2024-12-24T10:00:00.000Z#e-3a", "id_evento": "e-3a",
         "tipo_evento": "AGENDADO", "data_evento": "2024-12-24T10:00:00.000Z", "valor": Decimal("100.00"),
         "topic": scenario.prefix + A, "partition": 0, "offset": 1, **DESCRIBED},
    ]  # fmt: skip
    handmade_dead = [line for line in scenario.dead_letters("clean") if line["key"] == "REC-4"]
    assert sorted(handmade_dead, key=lambda line: line["topic"]) == [
        {"topic": scenario.prefix + A, "partition": 0, "offset": 2, "key": "REC-4", "value": NOT_JSON,
         "reason": "value is not valid JSON (Expecting property name enclosed in double quotes at char 21)"},
        {"topic": scenario.prefix + C, "partition": 0, "offset": 4, "key": "REC-4", "value": WRONG_TOPIC,
         "reason": f"tipo_evento 'NEGOCIADO' does not match topic {scenario.prefix + C} (CANCELADO)"},
        {"topic": scenario.prefix + N, "partition": 0, "offset": 1, "key": "REC-4", "value": THREE_DECIMALS,
         "reason": "valor 1.005 has more than 2 decimal places"},
    ]  # fmt: skip
    bad_generated = sum(key.startswith("GEN-BAD") for _topic, key, _value in GENERATED)
    counts = scenario.counts("clean")
    assert {name: counts[name] for name in ("read", "written", "quarantined", "superseded")} == {
        "read": len(HANDMADE) + len(GENERATED),
        "written": len(HANDMADE) - 3 - 1 + len(GENERATED) - bad_generated,
        "quarantined": 3 + bad_generated,
        "superseded": 1,
    }
    # A receivable touched by several micro-batches is re-indexed by each (its document recomputed).
    assert counts["documents_indexed"] == counts["receivables"] >= 3 + 80
    assert counts["batches"] >= 3, "50 messages per micro-batch"
    scenario.clean_batches = counts["batches"]


def test_a_rerun_with_nothing_new_indexes_nothing(scenario):
    before = scenario.documents("clean")
    succeeded(scenario.run("clean", *PER_BATCH))
    counts = scenario.counts("clean")
    assert (counts["read"], counts["batches"], counts["documents_indexed"]) == (0, 0, 0)
    assert scenario.documents("clean") == before, "same documents, same versions"


def test_kill_9_mid_batch_then_restart_gives_the_clean_runs_table_and_index(scenario, tmp_path):
    scenario.run_and_kill_after_first_batch("killed", tmp_path / "killed.log", *PER_BATCH)
    assert len(scenario.committed_batches("killed")) < scenario.clean_batches, "killed half-way"

    succeeded(scenario.run("killed", *PER_BATCH))
    assert scenario.counts("killed")["batches"] >= 1, "the restart had batches left to do"

    assert scenario.table_items("killed") == scenario.table_items("clean")
    killed = {key: source for key, (_version, source) in scenario.documents("killed").items()}
    assert killed == {key: source for key, (_version, source) in scenario.documents("clean").items()}


def test_a_search_engine_that_refuses_a_document_fails_the_batch_and_the_checkpoint_stays(scenario):
    from opensearchpy import OpenSearch

    index = scenario.paths("refused")["index"]
    search = OpenSearch(hosts=[scenario.env["SEARCH_URL"]])
    search.indices.create(index=index, body={"mappings": {"properties": {"status": {"type": "integer"}}}})

    result = scenario.run("refused", *PER_BATCH)

    # Spark logs the failed task's stack trace; the job's own last word is one line.
    assert result.returncode == 2, result.stderr[-3000:]
    [error] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert result.stderr.rstrip().endswith(error)
    assert error.startswith("error: batch failed, checkpoint not advanced: search engine refused "), error
    assert scenario.committed_batches("refused") == []


def test_servers_that_are_down_or_topics_that_do_not_exist_are_one_line(scenario):
    closed = f"http://127.0.0.1:{free_port()}"
    error = one_error_line(scenario.run("down", search_url=closed))
    assert error.startswith("error: service down: search engine: "), error
    assert error.endswith(f"({closed})")
    assert scenario.committed_batches("down") == []

    error = one_error_line(scenario.run("down", AWS_ENDPOINT_URL=closed))
    assert error.startswith(f"error: service down: DynamoDB: DescribeTable at {closed}: "), error

    result = scenario.run("down", "--topics", f"{scenario.prefix}nowhere-recebiveis-agendados")
    assert one_error_line(result) == (
        f"error: topic(s) {scenario.prefix}nowhere-recebiveis-agendados do not exist on the Kafka broker "
        f"{scenario.env['KAFKA_BOOTSTRAP_SERVERS']}"
    )
