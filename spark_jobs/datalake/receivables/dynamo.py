"""The DynamoDB side: the events table, idempotent batch writes and whole-history reads (boto3).

The endpoint is whatever boto3 resolves (`AWS_ENDPOINT_URL` locally, the regional one on Glue).
Every call that cannot reach DynamoDB raises `ServiceDown`, whose one-line message names it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

BATCH_SIZE = 25  # BatchWriteItem's limit
MAX_ATTEMPTS = 8
KEY_SCHEMA = [{"AttributeName": "id_recebivel", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
ATTRIBUTES = [{"AttributeName": "id_recebivel", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}]
_SERIALIZER, _DESERIALIZER = TypeSerializer(), TypeDeserializer()


class BatchFailed(RuntimeError):
    """The batch cannot complete; it fails as a whole and the checkpoint stays where it was."""


class ServiceDown(BatchFailed):
    """A server the batch needs did not answer."""

    def __init__(self, service: str, detail: object):
        text = str(detail).strip()
        super().__init__(f"service down: {service}: {text.splitlines()[0] if text else type(detail).__name__}")


def client():
    # Few quick retries: a server that is down must fail the batch in seconds, not minutes.
    config = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=30)
    return boto3.client("dynamodb", config=config)


def _call(what: str, action: Callable, **kwargs):
    try:
        return action(**kwargs)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            raise
        raise ServiceDown("DynamoDB", f"{what}: {error}") from None
    except BotoCoreError as error:
        raise ServiceDown("DynamoDB", f"{what} at {client_endpoint()}: {error}") from None


def client_endpoint() -> str:
    return boto3.session.Session().client("dynamodb").meta.endpoint_url


def ensure_table(name: str) -> bool:
    """Create the events table (on demand) unless it exists; True when it was created."""
    dynamodb = client()
    try:
        _call("DescribeTable", dynamodb.describe_table, TableName=name)
        return False
    except ClientError:
        pass
    _call("CreateTable", dynamodb.create_table, TableName=name, KeySchema=KEY_SCHEMA,
          AttributeDefinitions=ATTRIBUTES, BillingMode="PAY_PER_REQUEST")  # fmt: skip
    dynamodb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    return True


def to_item(event: dict) -> dict:
    """An event as a DynamoDB item (nulls left out)."""
    return {name: _SERIALIZER.serialize(value) for name, value in event.items() if value is not None}


def from_item(item: dict) -> dict:
    return {name: _DESERIALIZER.deserialize(value) for name, value in item.items()}


def _write_chunk(dynamodb, table: str, items: list[dict]) -> None:
    """One BatchWriteItem, then its unprocessed items again with jittered exponential backoff."""
    pending = {table: [{"PutRequest": {"Item": item}} for item in items]}
    for attempt in range(MAX_ATTEMPTS):
        response = _call("BatchWriteItem", dynamodb.batch_write_item, RequestItems=pending)
        pending = response.get("UnprocessedItems") or {}
        if not pending:
            return
        time.sleep(min(2.0, 0.05 * 2**attempt) * (0.5 + random.random()))
    raise ServiceDown("DynamoDB", f"BatchWriteItem left {len(pending[table])} item(s) unprocessed after backoff")


def write_events(table: str, events: Iterable[dict], threads: int = 4) -> int:
    """Put the events in chunks of 25 (a few chunks in flight); returns how many were sent.

    The caller passes each key once (BatchWriteItem refuses a request with a key twice).
    """
    items = [to_item(event) for event in events]
    chunks = [items[start : start + BATCH_SIZE] for start in range(0, len(items), BATCH_SIZE)]
    dynamodb = client()
    with ThreadPoolExecutor(max_workers=max(1, min(threads, len(chunks)))) as pool:
        list(pool.map(lambda chunk: _write_chunk(dynamodb, table, chunk), chunks))
    return len(items)


def history(dynamodb, table: str, id_recebivel: str) -> list[dict]:
    """Every stored event of one receivable (Query, all pages, strongly consistent)."""
    pages = dynamodb.get_paginator("query").paginate(
        TableName=table,
        KeyConditionExpression="id_recebivel = :id",
        ExpressionAttributeValues={":id": {"S": id_recebivel}},
        ConsistentRead=True,
    )
    try:
        return [from_item(item) for page in pages for item in page["Items"]]
    except (BotoCoreError, ClientError) as error:
        raise ServiceDown("DynamoDB", f"Query: {error}") from None


def histories(table: str, ids: list[str], threads: int = 8) -> dict[str, list[dict]]:
    """The histories of many receivables, read in parallel by a bounded pool of threads."""
    dynamodb = client()
    with ThreadPoolExecutor(max_workers=max(1, min(threads, len(ids)))) as pool:
        return dict(zip(ids, pool.map(lambda one: history(dynamodb, table, one), ids), strict=True))
