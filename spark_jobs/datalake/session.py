"""The SparkSession for a job: Glue's own in production, local PySpark plus the S3A connector here.

Local S3 is the moto server named by `AWS_ENDPOINT_URL` (from the environment, or from
`.local/services.env` when the job runs from a checkout). `s3://` and `s3a://` both go through
S3A locally, so a job gets the very arguments Glue would give it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pyspark.sql import SparkSession

S3A_PACKAGES = ("org.apache.hadoop:hadoop-aws:3.3.4", "com.amazonaws:aws-java-sdk-bundle:1.12.262")
# 3.5.6 is the Glue 5.1 match, but the Maven Central mirror this project can reach lacks that one
# release (it has 3.5.0, 3.5.1, 3.5.3, 3.5.7); 3.5.7 is the nearest patch release of the same line.
KAFKA_PACKAGE = "org.apache.spark:spark-sql-kafka-0-10_2.12:3.5.7"
CHECKOUT_ROOT = Path(__file__).resolve().parents[2]
SERVICES_ENV = CHECKOUT_ROOT / ".local" / "services.env"
# Outside the checkout so every clone on this machine shares one download (~300 MB of jars).
CACHE_ROOT = Path(os.environ.get("DATAPLATFORM_CACHE") or Path.home() / ".cache" / "dataplatform")
IVY_DIR = CACHE_ROOT / "ivy"


def local_aws_endpoint() -> str | None:
    """The local S3 endpoint, if this run is local; None on Glue (which has no such file)."""
    if os.environ.get("AWS_ENDPOINT_URL"):
        return os.environ["AWS_ENDPOINT_URL"]
    if SERVICES_ENV.is_file():
        for line in SERVICES_ENV.read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip() and not key.startswith("#"):
                os.environ.setdefault(key.strip(), value.strip())
        return os.environ.get("AWS_ENDPOINT_URL")
    return None


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


def launched_by_spark_submit() -> bool:
    """Glue (and spark-submit) start the JVM first and hand Python its gateway port.

    Such a run already has its master, jars and S3 settings; only a plain `python job.py`
    run needs the local ones below.
    """
    return "PYSPARK_GATEWAY_PORT" in os.environ


def get_spark(app_name: str, extra_packages: tuple[str, ...] = ()) -> SparkSession:
    builder = SparkSession.builder.appName(app_name).config("spark.sql.session.timeZone", "UTC")
    packages = list(extra_packages)
    if not launched_by_spark_submit():
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = (
            builder.master(os.environ.get("SPARK_MASTER", "local[2]"))
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", os.environ.get("SPARK_SHUFFLE_PARTITIONS", "4"))
            .config("spark.driver.memory", os.environ.get("SPARK_DRIVER_MEMORY", "2g"))
            .config("spark.jars.ivy", str(IVY_DIR))
        )
        endpoint = local_aws_endpoint()
        if endpoint:
            packages += S3A_PACKAGES
            for key, value in _s3a_settings(endpoint).items():
                builder = builder.config(key, value)
    if packages:
        builder = builder.config("spark.jars.packages", ",".join(packages))
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel(os.environ.get("SPARK_LOG_LEVEL", "WARN"))
    return spark


def resolve_local_packages() -> None:
    """Download the connector jars into the shared cache once (`make setup`); later starts hit the cache."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (
        SparkSession.builder.master("local[1]")
        .config("spark.ui.enabled", "false")
        .config("spark.jars.ivy", str(IVY_DIR))
        .config("spark.jars.packages", ",".join((*S3A_PACKAGES, KAFKA_PACKAGE)))
        .getOrCreate()
    )
    spark.stop()


if __name__ == "__main__":
    resolve_local_packages()
