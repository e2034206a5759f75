"""What a job wrote, in the shape the Glue Data Catalog wants it.

A job that writes a partitioned table stores this under the key "table" of its counts JSON;
the catalog operator in `plugins/dataplatform/catalog.py` registers exactly these partitions
with exactly these columns, so the catalog never has to be crawled to learn them.
"""

from __future__ import annotations

from pyspark.sql import DataFrame


def glue_columns(df: DataFrame, exclude: tuple[str, ...] = ()) -> list[dict[str, str]]:
    """Columns as Glue/Hive declares them (`bigint`, `double`, `timestamp`, `struct<...>`)."""
    return [
        {"Name": field.name, "Type": field.dataType.simpleString()}
        for field in df.schema.fields
        if field.name not in exclude
    ]


def table_manifest(df: DataFrame, partition_columns: tuple[str, ...], partitions: list[dict]) -> dict:
    """`df` is the table as written (partition columns included); `partitions` the ones written.

    Example: {"columns": [{"Name": "carChassis", "Type": "string"}, ...],
              "partition_keys": [{"Name": "event_year", "Type": "int"}, ...],
              "partitions": [{"event_year": 2025, "event_month": 10, "event_day": 29}]}
    """
    by_name = {column["Name"]: column for column in glue_columns(df)}
    return {
        "columns": glue_columns(df, exclude=partition_columns),
        "partition_keys": [by_name[name] for name in partition_columns],
        "partitions": sorted(partitions, key=lambda p: tuple(p[name] for name in partition_columns)),
    }
