"""Keep the Glue Data Catalog in step with what the jobs wrote.

`GlueCatalogPartitionsOperator` is the everyday path: a job that writes a partitioned table
stores its manifest (`datalake.manifest.table_manifest`) at `<output>/_manifests/<run>.json`,
and this operator registers exactly those partitions (and any new columns) without crawling
S3, so its cost depends on the run, not on the size of the table. For discovering data whose
schema nobody here writes, see `dataplatform.crawler.GlueCrawlerSyncOperator`.

Both talk to whatever `AWS_ENDPOINT_URL` / the AWS connection points at: Glue in `mwaa`
mode, the moto server in `local` mode.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.amazon.aws.hooks.glue_catalog import GlueCatalogHook
from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowException
from botocore.config import Config
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from airflow.sdk import Context

PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
PARQUET_INPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
BATCH_LIMIT = 100  # batch_create_partition / batch_update_partition accept at most 100 entries
RETRYABLE_ERRORS = {"ThrottlingException", "InternalServiceException", "OperationTimeoutException"}
MAX_ATTEMPTS = 5
# Spark and Hive write a null partition value, and escape these characters, in partition paths.
HIVE_NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
HIVE_PATH_ESCAPES = {chr(c) for c in range(0x20)} | set("\"#%'*/:=?\\\x7f{[]^")


class CatalogSyncError(AirflowException):
    """The catalog could not be brought in step; the message says what and where."""


def s3_uri(path: str) -> str:
    """`s3a://b/k` and `s3n://b/k` (Spark's spellings) -> `s3://b/k`."""
    scheme, separator, rest = path.strip().partition("://")
    if not separator or scheme.lower() not in {"s3", "s3a", "s3n"}:
        raise CatalogSyncError(f"{path!r} is not an S3 URI (s3://bucket/prefix)")
    return f"s3://{rest}"


def partition_value(value: Any) -> str:
    """A partition value as Spark writes it in the path: `2025`, `true`, null as Hive's default."""
    if value is None:
        return HIVE_NULL_PARTITION
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def escape_path_name(value: str) -> str:
    return "".join(f"%{ord(char):02X}" if char in HIVE_PATH_ESCAPES else char for char in value)


def partition_location(table_location: str, keys: list[str], values: list[str]) -> str:
    """`s3://lake/t/` + event_year=2025, ... -> `s3://lake/t/event_year=2025/.../`."""
    parts = [f"{escape_path_name(key)}={escape_path_name(value)}" for key, value in zip(keys, values, strict=True)]
    return "/".join([table_location.rstrip("/"), *parts]) + "/"


def storage_descriptor(columns: list[dict], location: str) -> dict:
    return {
        "Columns": columns,
        "Location": location,
        "InputFormat": PARQUET_INPUT_FORMAT,
        "OutputFormat": PARQUET_OUTPUT_FORMAT,
        "Compressed": False,
        "SerdeInfo": {"SerializationLibrary": PARQUET_SERDE, "Parameters": {"serialization.format": "1"}},
    }


def same_storage(existing: dict, wanted: dict) -> bool:
    """Whether a partition already points where, and declares what, this run wants."""

    def essentials(sd: dict) -> tuple:
        columns = tuple((c["Name"].lower(), c["Type"]) for c in sd.get("Columns", []))
        serde = sd.get("SerdeInfo", {}).get("SerializationLibrary")
        return sd.get("Location"), columns, sd.get("InputFormat"), sd.get("OutputFormat"), serde

    return essentials(existing) == essentials(wanted)


def read_manifest(text: str, path: str) -> dict:
    """A job's table manifest, checked for shape."""
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as error:
        raise CatalogSyncError(f"manifest {path} is not JSON: {error}") from None
    if not isinstance(manifest, dict) or not {"columns", "partition_keys", "partitions"} <= manifest.keys():
        raise CatalogSyncError(f"{path} is not a table manifest: expected columns, partition_keys and partitions")
    key_names = [key["Name"] for key in manifest["partition_keys"]]
    for partition in manifest["partitions"]:
        if set(partition) != set(key_names):
            raise CatalogSyncError(f"manifest {path}: partition {partition} does not match the keys {key_names}")
    return manifest


def merged_columns(existing: list[dict], wanted: list[dict], log) -> tuple[list[dict], list[dict]]:
    """Existing columns (never dropped, types kept) plus the new ones; returns (merged, added)."""
    known = {column["Name"].lower(): column for column in existing}
    added = [column for column in wanted if column["Name"].lower() not in known]
    for column in wanted:
        old = known.get(column["Name"].lower())
        if old and old["Type"] != column["Type"]:
            log.warning("column %s is %s in the catalog but %s in the manifest; kept %s",
                        column["Name"], old["Type"], column["Type"], old["Type"])  # fmt: skip
    return [*existing, *added], added


def only_input_fields(client, shape: str, described: dict) -> dict:
    """`get_table` output -> a valid `TableInput` (drops read-only fields such as CreateTime)."""
    allowed = client.meta.service_model.shape_for(shape).members
    return {key: value for key, value in described.items() if key in allowed}


class GlueCatalogPartitionsOperator(BaseOperator):
    """Register the partitions a job wrote (its table manifest) in the Glue Data Catalog.

    Creates the database and the external Parquet table if missing, adds columns the manifest
    has and the table lacks (never drops one), creates the manifest's partitions and updates
    those that exist but point elsewhere or declare other columns. Rerunning changes nothing.

    :param database: Glue database (created if missing).
    :param table: Glue table (created if missing).
    :param table_location: S3 URI of the table root (`s3://` or `s3a://`).
    :param manifest_path: S3 URI of the manifest the job wrote (`<output>/_manifests/<run>.json`).
    :param aws_conn_id: Airflow AWS connection.
    :param region_name: AWS region; the connection's or boto3's default if not given.
    :param partition_folder: a folder inside each partition that holds its Parquet files, when the
        partition folder holds other outputs too (`dt=2025-10-29/parquet/` next to `dt=2025-10-29/csv/`).
    """

    template_fields: Sequence[str] = ("database", "table", "table_location", "manifest_path")
    ui_color = "#ededed"

    def __init__(
        self,
        *,
        database: str,
        table: str,
        table_location: str,
        manifest_path: str,
        aws_conn_id: str | None = "aws_default",
        region_name: str | None = None,
        partition_folder: str = "",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.partition_folder = partition_folder.strip("/")
        self.database = database
        self.table = table
        self.table_location = table_location
        self.manifest_path = manifest_path
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name

    def execute(self, context: Context) -> dict:
        manifest = self._load_manifest(s3_uri(self.manifest_path))
        location = s3_uri(self.table_location).rstrip("/") + "/"
        glue = GlueCatalogHook(
            aws_conn_id=self.aws_conn_id,
            region_name=self.region_name,
            config=Config(retries={"mode": "adaptive", "max_attempts": 10}),
        ).get_conn()
        self._ensure_database(glue)
        columns = self._ensure_table(glue, manifest, location)
        created, updated, unchanged = self._register_partitions(glue, manifest, columns, location)
        self.log.info("%s.%s: %d partitions registered, %d updated, %d unchanged",
                      self.database, self.table, created, updated, unchanged)  # fmt: skip
        return {
            "database": self.database,
            "table": self.table,
            "partitions_registered": created,
            "partitions_updated": updated,
            "partitions_unchanged": unchanged,
        }

    def _load_manifest(self, path: str) -> dict:
        try:
            text = S3Hook(aws_conn_id=self.aws_conn_id, region_name=self.region_name).read_key(key=path)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code in {"404", "NoSuchKey", "NoSuchBucket"}:
                raise CatalogSyncError(f"manifest {path} not found: did the job that writes it succeed?") from None
            raise
        manifest = read_manifest(text, path)
        self.log.info("manifest %s: %d columns, %d partitions",
                      path, len(manifest["columns"]), len(manifest["partitions"]))  # fmt: skip
        return manifest

    def _ensure_database(self, glue) -> None:
        try:
            glue.get_database(Name=self.database)
        except glue.exceptions.EntityNotFoundException:
            self.log.info("creating Glue database %s", self.database)
            with contextlib.suppress(glue.exceptions.AlreadyExistsException):  # created meanwhile
                glue.create_database(DatabaseInput={"Name": self.database})

    def _ensure_table(self, glue, manifest: dict, location: str) -> list[dict]:
        """Create or extend the table; returns its columns (without the partition keys)."""
        try:
            existing = glue.get_table(DatabaseName=self.database, Name=self.table)["Table"]
        except glue.exceptions.EntityNotFoundException:
            if self._create_table(glue, manifest, location):
                return manifest["columns"]
            existing = glue.get_table(DatabaseName=self.database, Name=self.table)["Table"]
        self._check_partition_keys(existing, manifest)
        sd = existing.get("StorageDescriptor", {})
        if sd.get("Location", "").rstrip("/") != location.rstrip("/"):
            self.log.warning("table %s.%s is at %s, not %s", self.database, self.table, sd.get("Location"), location)
        columns, added = merged_columns(sd.get("Columns", []), manifest["columns"], self.log)
        if added:
            self.log.info("adding columns to %s.%s: %s", self.database, self.table, [c["Name"] for c in added])
            table_input = only_input_fields(glue, "TableInput", existing)
            table_input["StorageDescriptor"] = {**sd, "Columns": columns}
            glue.update_table(DatabaseName=self.database, TableInput=table_input)
        return columns

    def _create_table(self, glue, manifest: dict, location: str) -> bool:
        self.log.info("creating Glue table %s.%s at %s", self.database, self.table, location)
        table_input = {
            "Name": self.table,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"classification": "parquet"},
            "PartitionKeys": manifest["partition_keys"],
            "StorageDescriptor": storage_descriptor(manifest["columns"], location),
        }
        try:
            glue.create_table(DatabaseName=self.database, TableInput=table_input)
        except glue.exceptions.AlreadyExistsException:
            return False  # another task created it meanwhile: treat it as existing
        return True

    def _check_partition_keys(self, existing: dict, manifest: dict) -> None:
        have = [key["Name"].lower() for key in existing.get("PartitionKeys", [])]
        want = [key["Name"].lower() for key in manifest["partition_keys"]]
        if have != want:
            raise CatalogSyncError(
                f"table {self.database}.{self.table} is partitioned by {have} but the manifest by {want}; "
                "partition keys cannot change: drop the table (the data stays in S3) and rerun"
            )

    def _register_partitions(self, glue, manifest: dict, columns: list[dict], location: str) -> tuple[int, int, int]:
        keys = [key["Name"] for key in manifest["partition_keys"]]
        wanted = {}
        for partition in manifest["partitions"]:
            values = [partition_value(partition[key]) for key in keys]
            partition_path = partition_location(location, keys, values)
            if self.partition_folder:
                partition_path += self.partition_folder + "/"
            wanted[tuple(values)] = {"Values": values, "StorageDescriptor": storage_descriptor(columns, partition_path)}
        if not wanted:
            return 0, 0, 0
        table_ref = {"DatabaseName": self.database, "TableName": self.table}
        existing_values = self._batched(
            lambda chunk: glue.batch_create_partition(**table_ref, PartitionInputList=chunk).get("Errors", []),
            list(wanted.values()),
            values_of=lambda item: item["Values"],
            tolerated="AlreadyExistsException",
            action="create",
        )
        existing_values &= wanted.keys()
        stale = self._stale_partitions(glue, table_ref, [wanted[values] for values in existing_values])
        self._batched(
            lambda chunk: glue.batch_update_partition(**table_ref, Entries=chunk).get("Errors", []),
            [{"PartitionValueList": item["Values"], "PartitionInput": item} for item in stale],
            values_of=lambda entry: entry["PartitionValueList"],
            tolerated=None,
            action="update",
        )
        created = len(wanted) - len(existing_values)
        return created, len(stale), len(existing_values) - len(stale)

    def _stale_partitions(self, glue, table_ref: dict, candidates: list[dict]) -> list[dict]:
        """Of partitions that already exist, those whose storage differs from what is wanted."""
        stale = []
        for start in range(0, len(candidates), BATCH_LIMIT):
            chunk = candidates[start : start + BATCH_LIMIT]
            found = glue.batch_get_partition(**table_ref, PartitionsToGet=[{"Values": p["Values"]} for p in chunk])
            current = {tuple(p["Values"]): p.get("StorageDescriptor", {}) for p in found["Partitions"]}
            stale += [p for p in chunk if not same_storage(current.get(tuple(p["Values"]), {}), p["StorageDescriptor"])]
        return stale

    def _batched(
        self,
        send: Callable[[list[dict]], list[dict]],
        items: list[dict],
        values_of: Callable[[dict], list[str]],
        tolerated: str | None,
        action: str,
    ) -> set[tuple[str, ...]]:
        """Send `items` in chunks of 100, retrying throttled entries; returns the tolerated ones' values.

        Any other per-entry error fails the task, naming the partitions and the reasons.
        """
        tolerated_values: set[tuple[str, ...]] = set()
        failures: list[str] = []
        for start in range(0, len(items), BATCH_LIMIT):
            pending = items[start : start + BATCH_LIMIT]
            for attempt in range(1, MAX_ATTEMPTS + 1):
                retry: set[tuple[str, ...]] = set()
                for error in send(pending):
                    values = tuple(error.get("PartitionValues") or error.get("PartitionValueList") or [])
                    detail = error.get("ErrorDetail", {})
                    code = detail.get("ErrorCode")
                    if code == tolerated:
                        tolerated_values.add(values)
                    elif code in RETRYABLE_ERRORS and attempt < MAX_ATTEMPTS:
                        retry.add(values)
                    else:
                        failures.append(f"{list(values)}: {code} {detail.get('ErrorMessage', '')}".strip())
                pending = [item for item in pending if tuple(values_of(item)) in retry]
                if not pending:
                    break
                time.sleep(2**attempt)
        if failures:
            shown = "; ".join(failures[:5]) + (f"; and {len(failures) - 5} more" if len(failures) > 5 else "")
            raise CatalogSyncError(
                f"could not {action} {len(failures)} partition(s) of {self.database}.{self.table}: {shown}"
            )
        return tolerated_values
