"""The local moto server's DynamoDB Query (served by include/local/servers/moto_keyed_query.py, which hands
moto only the queried key's items): the same answers DynamoDB gives, pages and conditions included."""

from __future__ import annotations

import boto3
import pytest

pytestmark = pytest.mark.integration
TABLE = "keyed_query_test"


@pytest.fixture(scope="module")
def table(moto_env):
    client = boto3.client("dynamodb", endpoint_url=moto_env["AWS_ENDPOINT_URL"], region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
    if TABLE in client.list_tables()["TableNames"]:
        client.delete_table(TableName=TABLE)
    attributes = [{"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk", "kind")]
    index = {"IndexName": "by_kind", "KeySchema": [{"AttributeName": "kind", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "ALL"}}  # fmt: skip
    client.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=attributes,
        GlobalSecondaryIndexes=[index],
        BillingMode="PAY_PER_REQUEST",
    )
    for pk in ("A", "B", "C"):
        for n in (3, 1, 2, 5, 4):
            item = {"pk": {"S": pk}, "sk": {"S": f"e{n}"}, "kind": {"S": "odd" if n % 2 else "even"}}
            client.put_item(TableName=TABLE, Item=item)
    return client


def _query(client, **kwargs):
    pages, start = [], None
    while True:
        extra = {"ExclusiveStartKey": start} if start else {}
        page = client.query(TableName=TABLE, Limit=2, **kwargs, **extra)
        pages.append([(item["pk"]["S"], item["sk"]["S"]) for item in page["Items"]])
        start = page.get("LastEvaluatedKey")
        if not start:
            return pages


def test_a_key_reads_its_own_items_in_order_page_by_page(table):
    pages = _query(table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": "B"}})
    assert pages == [[("B", "e1"), ("B", "e2")], [("B", "e3"), ("B", "e4")], [("B", "e5")]]


def test_range_conditions_descending_order_and_filters_still_apply(table):
    pages = _query(
        table,
        KeyConditionExpression="pk = :pk AND sk > :after",
        FilterExpression="kind = :odd",
        ExpressionAttributeValues={":pk": {"S": "C"}, ":after": {"S": "e1"}, ":odd": {"S": "odd"}},
        ScanIndexForward=False,
    )
    assert [item for page in pages for item in page] == [("C", "e5"), ("C", "e3")]


def test_a_missing_key_is_empty_and_an_index_query_still_sees_every_key(table):
    assert _query(table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": "Z"}}) == [[]]
    odd = table.query(TableName=TABLE, IndexName="by_kind", KeyConditionExpression="kind = :k",
                      ExpressionAttributeValues={":k": {"S": "odd"}})["Items"]  # fmt: skip
    assert sorted((item["pk"]["S"], item["sk"]["S"]) for item in odd) == [
        (pk, f"e{n}") for pk in ("A", "B", "C") for n in (1, 3, 5)
    ]
