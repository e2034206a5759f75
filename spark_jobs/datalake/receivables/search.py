"""The search side: the lifecycle index and bulk indexing with opensearch-py.

`--search_auth` chooses how the job signs requests: `none` for a plain node (local), `sigv4` for
Amazon OpenSearch Service (requests signed with the job's own AWS credentials, the Glue role).
Bulk indexing retries documents refused with 429 (the engine is busy) with backoff, and fails
the batch on any other refused document: no per-document fallback that could hide a loss.
"""

from __future__ import annotations

import os

from opensearchpy import AWSV4SignerAuth, OpenSearch, RequestsHttpConnection
from opensearchpy.exceptions import ConnectionError as SearchConnectionError
from opensearchpy.exceptions import OpenSearchException
from opensearchpy.helpers import BulkIndexError, streaming_bulk

from datalake.receivables.dynamo import BatchFailed, ServiceDown

AUTH_MODES = ("none", "sigv4")
MONEY = {"type": "scaled_float", "scaling_factor": 100}
MAPPING = {
    "dynamic": "strict",
    "properties": {
        "id_recebivel": {"type": "keyword"},
        "id_estabelecimento": {"type": "keyword"},
        "data_vencimento": {"type": "date", "format": "strict_date"},
        "bandeira": {"type": "keyword"},
        "modalidade": {"type": "keyword"},
        "valor_original": MONEY,
        "total_cancelado": MONEY,
        "total_negociado": MONEY,
        "valor_disponivel": MONEY,
        "qtd_cancelamentos": {"type": "integer"},
        "qtd_negociacoes": {"type": "integer"},
        "qtd_eventos": {"type": "integer"},
        "data_primeiro_evento": {"type": "date", "format": "strict_date_optional_time"},
        "data_ultimo_evento": {"type": "date", "format": "strict_date_optional_time"},
        "status": {"type": "keyword"},
    },
}
BULK_CHUNK = 500
RETRIES_ON_429 = 8


def client(url: str, auth: str = "none") -> OpenSearch:
    if auth == "sigv4":
        import boto3

        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        signer = AWSV4SignerAuth(boto3.Session().get_credentials(), region, "es")
        return OpenSearch(hosts=[url], http_auth=signer, connection_class=RequestsHttpConnection,
                          use_ssl=url.startswith("https"), verify_certs=True, timeout=60)  # fmt: skip
    return OpenSearch(hosts=[url], timeout=60, max_retries=2, retry_on_timeout=True)


def ensure_index(search: OpenSearch, index: str) -> bool:
    """Create the index with its mapping unless it exists; True when it was created."""
    try:
        if search.indices.exists(index=index):
            return False
        search.indices.create(index=index, body={"mappings": MAPPING})
    except SearchConnectionError as error:
        raise ServiceDown("search engine", error) from None
    return True


def _actions(index: str, documents: list[dict]):
    for document in documents:
        yield {"_op_type": "index", "_index": index, "_id": document["id_recebivel"], "_source": document}


def index_documents(search: OpenSearch, index: str, documents: list[dict]) -> int:
    """Index (replace by id) every document; returns how many the engine accepted."""
    indexed = 0
    try:
        for ok, _result in streaming_bulk(
            search, _actions(index, documents), chunk_size=BULK_CHUNK, max_retries=RETRIES_ON_429,
            initial_backoff=0.2, max_backoff=5, raise_on_error=True, raise_on_exception=True,
        ):  # fmt: skip
            indexed += bool(ok)
    except BulkIndexError as error:
        first = error.errors[0] if error.errors else {}
        raise BatchFailed(f"search engine refused {len(error.errors)} document(s), e.g. {first}") from None
    except SearchConnectionError as error:
        raise ServiceDown("search engine", error) from None
    except OpenSearchException as error:  # the whole bulk request refused (not one document)
        raise BatchFailed(f"search engine refused the bulk request: {str(error).splitlines()[0]}") from None
    return indexed
