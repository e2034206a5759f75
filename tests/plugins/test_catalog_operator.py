"""The catalog operators: partitions registered against the real moto server, the crawler by its calls."""

from __future__ import annotations

import json
import uuid
from unittest import mock

import boto3
import pytest

from dataplatform.catalog import (
    CatalogSyncError,
    GlueCatalogPartitionsOperator,
    partition_location,
    partition_value,
)

SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
INPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"

COLUMNS = [
    {"Name": "carChassis", "Type": "string"},
    {"Name": "currentMileage", "Type": "bigint"},
    {"Name": "metrics_fuelAvailable", "Type": "double"},
    {"Name": "metrics_metricTimestamp", "Type": "timestamp"},
]
PARTITION_KEYS = [
    {"Name": "event_year", "Type": "int"},
    {"Name": "event_month", "Type": "int"},
    {"Name": "event_day", "Type": "int"},
]
OCT_29 = {"event_year": 2025, "event_month": 10, "event_day": 29}
OCT_30 = {"event_year": 2025, "event_month": 10, "event_day": 30}
OCT_31 = {"event_year": 2025, "event_month": 10, "event_day": 31}
NOV_1 = {"event_year": 2025, "event_month": 11, "event_day": 1}


def manifest(partitions: list[dict], columns: list[dict] = COLUMNS) -> dict:
    return {"columns": columns, "partition_keys": PARTITION_KEYS, "partitions": partitions}


@pytest.fixture
def lake(aws_env):
    """A fresh bucket and database name per test (the moto server lives for the whole session)."""
    suffix = uuid.uuid4().hex[:8]
    bucket = f"lake-{suffix}"
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=bucket)

    def put_manifest(run_name: str, table_manifest: dict) -> str:
        key = f"silver/car_telemetry/_manifests/{run_name}.json"
        s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(table_manifest).encode())
        return f"s3://{bucket}/{key}"

    return {"bucket": bucket, "database": f"db_{suffix}", "put_manifest": put_manifest, "glue": boto3.client("glue")}


def register(lake, manifest_path: str, table_location: str | None = None) -> dict:
    operator = GlueCatalogPartitionsOperator(
        task_id="register_partitions",
        database=lake["database"],
        table="car_telemetry_silver",
        table_location=table_location or f"s3://{lake['bucket']}/silver/car_telemetry",
        manifest_path=manifest_path,
    )
    return operator.execute(context={})


def catalog_partitions(lake) -> list[tuple[list[str], str, list[str]]]:
    pages = (
        lake["glue"]
        .get_paginator("get_partitions")
        .paginate(DatabaseName=lake["database"], TableName="car_telemetry_silver")
    )
    found = [
        (p["Values"], p["StorageDescriptor"]["Location"], [c["Name"] for c in p["StorageDescriptor"]["Columns"]])
        for page in pages
        for p in page["Partitions"]
    ]
    return sorted(found)


def catalog_table(lake) -> dict:
    return lake["glue"].get_table(DatabaseName=lake["database"], Name="car_telemetry_silver")["Table"]


COLUMN_NAMES = ["carChassis", "currentMileage", "metrics_fuelAvailable", "metrics_metricTimestamp"]


@pytest.mark.integration
def test_first_run_creates_database_table_and_exactly_the_manifest_partitions(lake):
    path = lake["put_manifest"]("20251029T140000Z_20251029T150000Z", manifest([OCT_29, OCT_30, NOV_1]))

    result = register(lake, path)

    assert result == {
        "database": lake["database"],
        "table": "car_telemetry_silver",
        "partitions_registered": 3,
        "partitions_updated": 0,
        "partitions_unchanged": 0,
    }
    table = catalog_table(lake)
    root = f"s3://{lake['bucket']}/silver/car_telemetry"
    assert table["TableType"] == "EXTERNAL_TABLE"
    assert table["Parameters"] == {"classification": "parquet"}
    assert table["PartitionKeys"] == [
        {"Name": "event_year", "Type": "int"},
        {"Name": "event_month", "Type": "int"},
        {"Name": "event_day", "Type": "int"},
    ]
    sd = table["StorageDescriptor"]
    assert sd["Columns"] == [
        {"Name": "carChassis", "Type": "string"},
        {"Name": "currentMileage", "Type": "bigint"},
        {"Name": "metrics_fuelAvailable", "Type": "double"},
        {"Name": "metrics_metricTimestamp", "Type": "timestamp"},
    ]
    assert sd["Location"] == f"{root}/"
    assert sd["SerdeInfo"]["SerializationLibrary"] == SERDE
    assert (sd["InputFormat"], sd["OutputFormat"]) == (INPUT_FORMAT, OUTPUT_FORMAT)
    assert catalog_partitions(lake) == [
        (["2025", "10", "29"], f"{root}/event_year=2025/event_month=10/event_day=29/", COLUMN_NAMES),
        (["2025", "10", "30"], f"{root}/event_year=2025/event_month=10/event_day=30/", COLUMN_NAMES),
        (["2025", "11", "1"], f"{root}/event_year=2025/event_month=11/event_day=1/", COLUMN_NAMES),
    ]
    partition = lake["glue"].get_partition(
        DatabaseName=lake["database"], TableName="car_telemetry_silver", PartitionValues=["2025", "11", "1"]
    )["Partition"]
    assert partition["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"] == SERDE
    assert partition["StorageDescriptor"]["InputFormat"] == INPUT_FORMAT


@pytest.mark.integration
def test_rerun_changes_nothing(lake):
    path = lake["put_manifest"]("run", manifest([OCT_29, OCT_30]))
    register(lake, path)
    before_table, before_partitions = catalog_table(lake), catalog_partitions(lake)

    result = register(lake, path)

    assert (result["partitions_registered"], result["partitions_updated"], result["partitions_unchanged"]) == (0, 0, 2)
    assert catalog_partitions(lake) == before_partitions
    assert len(catalog_partitions(lake)) == 2
    assert catalog_table(lake)["StorageDescriptor"]["Columns"] == before_table["StorageDescriptor"]["Columns"]
    assert before_table["VersionId"] == "1"
    assert catalog_table(lake)["VersionId"] == "1", "a rerun must not write a new table version"


@pytest.mark.integration
def test_new_partitions_and_a_new_column_are_added_and_nothing_dropped(lake):
    register(lake, lake["put_manifest"]("first", manifest([OCT_29, OCT_30])))
    with_km_per_liter = [*COLUMNS, {"Name": "km_per_liter", "Type": "double"}]

    result = register(lake, lake["put_manifest"]("second", manifest([OCT_30, OCT_31], columns=with_km_per_liter)))

    # Oct 30 was rewritten with the new column, so its partition now declares it; Oct 29 is untouched.
    assert (result["partitions_registered"], result["partitions_updated"], result["partitions_unchanged"]) == (1, 1, 0)
    assert catalog_table(lake)["StorageDescriptor"]["Columns"] == [
        {"Name": "carChassis", "Type": "string"},
        {"Name": "currentMileage", "Type": "bigint"},
        {"Name": "metrics_fuelAvailable", "Type": "double"},
        {"Name": "metrics_metricTimestamp", "Type": "timestamp"},
        {"Name": "km_per_liter", "Type": "double"},
    ]
    table = catalog_table(lake)
    assert table["VersionId"] == "2", "adding a column is one table update"
    assert (table["TableType"], table["Parameters"]) == ("EXTERNAL_TABLE", {"classification": "parquet"})
    assert [key["Name"] for key in table["PartitionKeys"]] == ["event_year", "event_month", "event_day"]
    assert table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"] == SERDE
    root = f"s3://{lake['bucket']}/silver/car_telemetry"
    assert catalog_partitions(lake) == [
        (["2025", "10", "29"], f"{root}/event_year=2025/event_month=10/event_day=29/", COLUMN_NAMES),
        (["2025", "10", "30"], f"{root}/event_year=2025/event_month=10/event_day=30/", [*COLUMN_NAMES, "km_per_liter"]),
        (["2025", "10", "31"], f"{root}/event_year=2025/event_month=10/event_day=31/", [*COLUMN_NAMES, "km_per_liter"]),
    ]

    # A later manifest without the column does not drop it.
    register(lake, lake["put_manifest"]("third", manifest([OCT_31])))
    assert [c["Name"] for c in catalog_table(lake)["StorageDescriptor"]["Columns"]] == [*COLUMN_NAMES, "km_per_liter"]


@pytest.mark.integration
def test_existing_partition_pointing_elsewhere_is_updated(lake):
    register(lake, lake["put_manifest"]("first", manifest([OCT_29])))
    lake["glue"].update_partition(
        DatabaseName=lake["database"],
        TableName="car_telemetry_silver",
        PartitionValueList=["2025", "10", "29"],
        PartitionInput={"Values": ["2025", "10", "29"], "StorageDescriptor": {"Location": "s3://elsewhere/x/"}},
    )

    result = register(lake, lake["put_manifest"]("second", manifest([OCT_29])))

    assert (result["partitions_registered"], result["partitions_updated"]) == (0, 1)
    root = f"s3://{lake['bucket']}/silver/car_telemetry"
    assert catalog_partitions(lake) == [
        (["2025", "10", "29"], f"{root}/event_year=2025/event_month=10/event_day=29/", COLUMN_NAMES),
    ]


@pytest.mark.integration
def test_s3a_paths_are_read_and_registered_as_s3(lake):
    s3_path = lake["put_manifest"]("run", manifest([OCT_29]))
    s3a_path = "s3a://" + s3_path.removeprefix("s3://")

    result = register(lake, s3a_path, table_location=f"s3a://{lake['bucket']}/silver/car_telemetry/")

    assert result["partitions_registered"] == 1
    assert catalog_table(lake)["StorageDescriptor"]["Location"] == f"s3://{lake['bucket']}/silver/car_telemetry/"
    assert catalog_partitions(lake) == [
        (
            ["2025", "10", "29"],
            f"s3://{lake['bucket']}/silver/car_telemetry/event_year=2025/event_month=10/event_day=29/",
            COLUMN_NAMES,
        ),
    ]


@pytest.mark.integration
def test_empty_partition_list_succeeds_and_registers_nothing(lake):
    result = register(lake, lake["put_manifest"]("empty", manifest([])))

    assert (result["partitions_registered"], result["partitions_updated"], result["partitions_unchanged"]) == (0, 0, 0)
    assert catalog_partitions(lake) == []
    assert catalog_table(lake)["PartitionKeys"][0] == {"Name": "event_year", "Type": "int"}


@pytest.mark.integration
def test_more_than_one_batch_of_partitions(lake):
    days = [
        {"event_year": 2024, "event_month": month, "event_day": day} for month in range(1, 10) for day in range(1, 29)
    ]
    assert len(days) == 252

    result = register(lake, lake["put_manifest"]("many", manifest(days)))

    assert result["partitions_registered"] == 252
    partitions = catalog_partitions(lake)
    assert len(partitions) == 252
    assert partitions[0][0] == ["2024", "1", "1"]
    assert partitions[-1][0] == ["2024", "9", "9"]  # sorted as strings


@pytest.mark.integration
def test_missing_manifest_is_a_clear_error(lake):
    with pytest.raises(CatalogSyncError, match=r"manifest s3://.*/_manifests/nope\.json not found"):
        register(lake, f"s3://{lake['bucket']}/silver/car_telemetry/_manifests/nope.json")


@pytest.mark.integration
def test_a_counts_file_is_not_a_manifest(lake):
    key = "silver/car_telemetry/_counts/old.json"
    boto3.client("s3").put_object(Bucket=lake["bucket"], Key=key, Body=b'{"read": 1, "written": 1}')

    with pytest.raises(CatalogSyncError, match="is not a table manifest"):
        register(lake, f"s3://{lake['bucket']}/{key}")


@pytest.mark.integration
def test_changed_partition_keys_are_refused(lake):
    register(lake, lake["put_manifest"]("first", manifest([OCT_29])))
    by_year_only = {"columns": COLUMNS, "partition_keys": PARTITION_KEYS[:1], "partitions": [{"event_year": 2025}]}

    with pytest.raises(CatalogSyncError, match="partition keys cannot change"):
        register(lake, lake["put_manifest"]("second", by_year_only))


def test_partition_values_and_locations_as_spark_writes_them():
    assert [partition_value(v) for v in (2025, 1, "20251029", True, None)] == [
        "2025",
        "1",
        "20251029",
        "true",
        "__HIVE_DEFAULT_PARTITION__",
    ]
    assert (
        partition_location("s3://lake/credit/", ["anomesdia"], ["20251029"]) == "s3://lake/credit/anomesdia=20251029/"
    )
    assert partition_location("s3://lake/t", ["k"], ["a/b:c=d"]) == "s3://lake/t/k=a%2Fb%3Ac%3Dd/"


def batching_operator() -> GlueCatalogPartitionsOperator:
    return GlueCatalogPartitionsOperator(
        task_id="t", database="db", table="tbl", table_location="s3://b/t", manifest_path="s3://b/m.json"
    )


def entries(count: int) -> list[dict]:
    return [{"Values": [str(i)]} for i in range(count)]


def test_batches_hold_at_most_100_partitions():
    sizes = []

    def send(chunk):
        sizes.append(len(chunk))
        return []

    batching_operator()._batched(send, entries(250), lambda e: e["Values"], tolerated=None, action="create")

    assert sizes == [100, 100, 50]


def test_throttled_partitions_are_retried_and_other_errors_fail_clearly():
    calls = []

    def send(chunk):
        calls.append([e["Values"][0] for e in chunk])
        if len(calls) == 1:
            return [
                {"PartitionValues": ["1"], "ErrorDetail": {"ErrorCode": "ThrottlingException", "ErrorMessage": "slow"}},
                {"PartitionValues": ["2"], "ErrorDetail": {"ErrorCode": "AlreadyExistsException"}},
            ]
        return []

    with mock.patch("dataplatform.catalog.time.sleep"):
        existing = batching_operator()._batched(
            send, entries(3), lambda e: e["Values"], tolerated="AlreadyExistsException", action="create"
        )

    assert calls == [["0", "1", "2"], ["1"]]
    assert existing == {("2",)}

    def refuse(chunk):
        return [
            {"PartitionValues": ["0"], "ErrorDetail": {"ErrorCode": "InvalidInputException", "ErrorMessage": "bad"}}
        ]

    with pytest.raises(CatalogSyncError, match=r"could not create 1 partition\(s\) of db.tbl: \['0'\]: InvalidInput"):
        batching_operator()._batched(refuse, entries(1), lambda e: e["Values"], tolerated=None, action="create")


@pytest.mark.integration
def test_a_partition_folder_points_each_partition_at_its_parquet_subfolder(lake):
    path = lake["put_manifest"]("20251029T000000Z_20251030T000000Z", manifest([OCT_29]))
    root = f"s3://{lake['bucket']}/gold/conversation_features"
    operator = GlueCatalogPartitionsOperator(
        task_id="register_partitions", database=lake["database"], table="car_telemetry_silver",
        table_location=root, manifest_path=path, partition_folder="/parquet/",
    )  # fmt: skip

    operator.execute(context={})

    assert catalog_partitions(lake) == [
        (["2025", "10", "29"], f"{root}/event_year=2025/event_month=10/event_day=29/parquet/", COLUMN_NAMES)
    ]
