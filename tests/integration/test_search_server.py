"""The local search engine is a real OpenSearch node: mappings, upserts by id, get, term and range queries.

Talks to it only through the official client (opensearch-py), as the receivables job does.
"""

from __future__ import annotations

import pytest

from datalake.receivables.search import MAPPING  # the job's own index mapping

pytestmark = pytest.mark.integration

INDEX = "ciclo_vida_recebiveis"
REC_1_SCHEDULED = {
    "id_recebivel": "REC-1",
    "id_estabelecimento": "EST-1",
    "data_vencimento": "2025-01-15",
    "bandeira": "VISA",
    "modalidade": "CREDITO",
    "valor_original": "150.25",
    "total_cancelado": "0.00",
    "total_negociado": "0.00",
    "valor_disponivel": "150.25",
    "qtd_cancelamentos": 0,
    "qtd_negociacoes": 0,
    "qtd_eventos": 1,
    "data_primeiro_evento": "2024-12-24T18:30:00.123Z",
    "data_ultimo_evento": "2024-12-24T18:30:00.123Z",
    "status": "ATIVO",
}
# The same receivable after a cancellation of 50.25: the whole document is re-indexed under the same id.
REC_1_CANCELLED = {
    **REC_1_SCHEDULED,
    "total_cancelado": "50.25",
    "valor_disponivel": "100.00",
    "qtd_cancelamentos": 1,
    "qtd_eventos": 2,
    "data_ultimo_evento": "2024-12-26T09:00:00.000Z",
}
# A cancellation that arrived before its AGENDADO event.
REC_2_PENDING = {
    "id_recebivel": "REC-2",
    "id_estabelecimento": None,
    "data_vencimento": None,
    "bandeira": None,
    "modalidade": None,
    "valor_original": None,
    "total_cancelado": "10.00",
    "total_negociado": "0.00",
    "valor_disponivel": None,
    "qtd_cancelamentos": 1,
    "qtd_negociacoes": 0,
    "qtd_eventos": 1,
    "data_primeiro_evento": "2024-12-25T12:00:00Z",
    "data_ultimo_evento": "2024-12-25T12:00:00Z",
    "status": "PENDENTE_AGENDAMENTO",
}


@pytest.fixture
def search(search_env):
    from opensearchpy import OpenSearch

    client = OpenSearch(hosts=[search_env["SEARCH_URL"]], timeout=30)
    client.indices.delete(index=INDEX, ignore_unavailable=True)
    yield client
    client.indices.delete(index=INDEX, ignore_unavailable=True)
    client.close()


def _ids(response) -> list[str]:
    return [hit["_id"] for hit in response["hits"]["hits"]]


def test_the_server_is_a_real_opensearch_node(search, search_env):
    info = search.info()
    assert info["version"]["distribution"] == "opensearch"
    assert info["version"]["number"] == search_env["SEARCH_ENGINE_VERSION"]
    assert search.cluster.health()["status"] in {"green", "yellow"}


def test_receivables_index_upsert_get_term_and_range(search):
    created = search.indices.create(
        index=INDEX, body={"settings": {"number_of_shards": 1, "number_of_replicas": 0}, "mappings": MAPPING}
    )
    assert created["acknowledged"] is True
    stored = search.indices.get_mapping(index=INDEX)[INDEX]["mappings"]["properties"]
    assert stored["valor_disponivel"] == {"type": "scaled_float", "scaling_factor": 100.0}
    assert stored["data_ultimo_evento"]["type"] == "date"

    assert search.index(index=INDEX, id="REC-1", body=REC_1_SCHEDULED)["result"] == "created"
    assert search.index(index=INDEX, id="REC-2", body=REC_2_PENDING)["result"] == "created"
    upsert = search.index(index=INDEX, id="REC-1", body=REC_1_CANCELLED)
    assert (upsert["result"], upsert["_version"]) == ("updated", 2)
    search.indices.refresh(index=INDEX)

    assert search.count(index=INDEX)["count"] == 2

    rec_1 = search.get(index=INDEX, id="REC-1")
    assert rec_1["_version"] == 2
    assert rec_1["_source"] == REC_1_CANCELLED

    active = search.search(index=INDEX, body={"query": {"term": {"status": "ATIVO"}}})
    assert _ids(active) == ["REC-1"]
    pending = search.search(index=INDEX, body={"query": {"term": {"status": "PENDENTE_AGENDAMENTO"}}})
    assert _ids(pending) == ["REC-2"]
    assert pending["hits"]["hits"][0]["_source"]["valor_original"] is None

    # [2024-12-25, 2024-12-26): only REC-2's last event; REC-1's moved to the 26th with the re-index.
    on_the_25th = search.search(
        index=INDEX,
        body={
            "query": {"range": {"data_ultimo_evento": {"gte": "2024-12-25T00:00:00Z", "lt": "2024-12-26T00:00:00Z"}}}
        },
    )
    assert _ids(on_the_25th) == ["REC-2"]
    since_the_25th = search.search(
        index=INDEX,
        body={
            "query": {"range": {"data_ultimo_evento": {"gte": "2024-12-25T00:00:00Z"}}},
            "sort": [{"data_ultimo_evento": "asc"}],
        },
    )
    assert _ids(since_the_25th) == ["REC-2", "REC-1"]
    due_in_january = search.search(
        index=INDEX, body={"query": {"range": {"data_vencimento": {"gte": "2025-01-01", "lte": "2025-01-31"}}}}
    )
    assert _ids(due_in_january) == ["REC-1"]

    # Amounts are scaled_float with 2 decimals: cents are exact in sums (null counts as missing).
    totals = search.search(
        index=INDEX,
        body={
            "size": 0,
            "aggs": {
                "disponivel": {"sum": {"field": "valor_disponivel"}},
                "cancelado": {"sum": {"field": "total_cancelado"}},
            },
        },
    )
    assert totals["aggregations"]["disponivel"]["value"] == pytest.approx(100.00, abs=1e-9)
    assert totals["aggregations"]["cancelado"]["value"] == pytest.approx(60.25, abs=1e-9)
