"""The SparkSession for a job: Glue's own in production, local PySpark only when asked for.

Where a job runs is said, never guessed: the local runner (and the tests, the demo, the
benchmarks, `include/local/env.py`) sets `DATAPLATFORM_SPARK_MASTER` (`local[2]`), and only then
does a job build a local session with the S3A connector pointed at `AWS_ENDPOINT_URL` (the moto
server). Without it the job expects to have been launched by Glue (or spark-submit), which starts
the JVM first and hands Python its gateway; a job that finds neither, or both, stops with one line.
"""

from __future__ import annotations

import os
import sys

from pyspark.sql import SparkSession

from datalake.cli import JobError

LOCAL_MASTER_ENV = "DATAPLATFORM_SPARK_MASTER"
CACHE_ENV = "DATAPLATFORM_CACHE"
S3A_PACKAGES = ("org.apache.hadoop:hadoop-aws:3.3.4", "com.amazonaws:aws-java-sdk-bundle:1.12.262")
# 3.5.6 is the Glue 5.1 match, but the Maven Central mirror this project can reach lacks that one
# release (it has 3.5.0, 3.5.1, 3.5.3, 3.5.7); 3.5.7 is the nearest patch release of the same line.
KAFKA_PACKAGE = "org.apache.spark:spark-sql-kafka-0-10_2.12:3.5.7"


def launched_by_glue() -> bool:
    """Glue (and spark-submit) start the JVM first and pass its gateway port to Python."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def local_master() -> str | None:
    return os.environ.get(LOCAL_MASTER_ENV) or None


def _s3a_settings(endpoint: str) -> dict[str, str]:
    settings = {
        "fs.s3a.endpoint": endpoint,
        "fs.s3a.endpoint.region": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        "fs.s3a.path.style.access": "true",
        "fs.s3a.connection.ssl.enabled": str(endpoint.startswith("https")).lower(),
        "fs.s3a.aws.credentials.provider": "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
        "fs.s3a.access.key": os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
        "fs.s3a.secret.key": os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
        "fs.s3a.change.detection.mode": "none",
        "fs.s3.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
    }
    return {f"spark.hadoop.{key}": value for key, value in settings.items()}


def _local_builder(app_name: str, master: str, packages: list[str]) -> SparkSession.Builder:
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.appName(app_name)
        .master(master)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        # Local mode binds loopback only (the driver's RPC and block manager default to the host's address).
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", os.environ.get("SPARK_SHUFFLE_PARTITIONS", "4"))
        .config("spark.driver.memory", os.environ.get("SPARK_DRIVER_MEMORY", "2g"))
    )
    if os.environ.get(CACHE_ENV):
        builder = builder.config("spark.jars.ivy", os.path.join(os.environ[CACHE_ENV], "ivy"))
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        packages = [*S3A_PACKAGES, *packages]
        for key, value in _s3a_settings(endpoint).items():
            builder = builder.config(key, value)
    if packages:
        builder = builder.config("spark.jars.packages", ",".join(packages))
    return builder


def get_spark(app_name: str, extra_packages: tuple[str, ...] = ()) -> SparkSession:
    master = local_master()
    if master and launched_by_glue():
        raise JobError(f"{LOCAL_MASTER_ENV}={master} is set, but this job was launched by Glue/spark-submit: unset it")
    if master:
        builder = _local_builder(app_name, master, list(extra_packages))
    elif launched_by_glue():
        builder = SparkSession.builder.appName(app_name)
    else:
        raise JobError(
            f"not launched by Glue or spark-submit; to run on local PySpark set {LOCAL_MASTER_ENV} "
            '(eval "$(.venv/bin/python -m include.local.env)" does)'
        )
    spark = builder.config("spark.sql.session.timeZone", "UTC").getOrCreate()
    spark.sparkContext.setLogLevel(os.environ.get("SPARK_LOG_LEVEL", "WARN"))
    return spark


def resolve_local_packages() -> None:
    """Download the connector jars into the shared cache once (`make setup`); later starts hit the cache."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false")
    if os.environ.get(CACHE_ENV):
        builder = builder.config("spark.jars.ivy", os.path.join(os.environ[CACHE_ENV], "ivy"))
    builder.config("spark.jars.packages", ",".join((*S3A_PACKAGES, KAFKA_PACKAGE))).getOrCreate().stop()


if __name__ == "__main__":
    resolve_local_packages()
