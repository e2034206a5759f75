"""Before the stream starts: every argument checked and every server asked, each failure one line.

The Kafka check goes through the Kafka client already on the JVM's class path (the Spark Kafka
connector's), so the job needs no second Kafka library on Glue.
"""

from __future__ import annotations

from pyspark.sql import SparkSession

from datalake.cli import JobError
from datalake.receivables import dynamo, events, search

TRIGGERS = ("available_now", "processing_time")
STARTING_OFFSETS = ("earliest", "latest")


def topics(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names:
        raise JobError("--topics names no topic")
    for name in names:
        if events.topic_event_type(name) is None:
            endings = ", ".join(f"...{suffix}" for suffix in events.TOPIC_SUFFIXES)
            raise JobError(f"--topics: cannot tell the event type of topic {name!r} (its name must end in {endings})")
    return names


def choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise JobError(f"--{name} {value!r} is not one of {', '.join(allowed)}")
    return value


def positive_int(name: str, value: str | None) -> int | None:
    if value is None:
        return None
    if not str(value).strip().isdigit() or int(value) <= 0:
        raise JobError(f"--{name} {value!r} is not a positive whole number")
    return int(value)


def kafka_topics(spark: SparkSession, bootstrap_servers: str, wanted: list[str], timeout_s: int = 15) -> None:
    """Fail with one line when the broker does not answer or a topic does not exist."""
    jvm = spark.sparkContext._jvm
    properties = jvm.java.util.Properties()
    properties.setProperty("bootstrap.servers", bootstrap_servers)
    properties.setProperty("request.timeout.ms", str(timeout_s * 1000))
    properties.setProperty("default.api.timeout.ms", str(timeout_s * 1000))
    admin = jvm.org.apache.kafka.clients.admin.AdminClient.create(properties)
    try:
        names = set(admin.listTopics().names().get(timeout_s, jvm.java.util.concurrent.TimeUnit.SECONDS))
    except Exception:  # py4j wraps the Java TimeoutException/ExecutionException
        raise JobError(f"Kafka broker {bootstrap_servers} does not answer (listing topics timed out)") from None
    finally:
        admin.close()
    missing = [name for name in wanted if name not in names]
    if missing:
        raise JobError(f"topic(s) {', '.join(missing)} do not exist on the Kafka broker {bootstrap_servers}")


def sinks(table: str, index: str, search_url: str, search_auth: str) -> None:
    """Create the table and the index if missing; one line naming the server that does not answer."""
    try:
        dynamo.ensure_table(table)
    except dynamo.ServiceDown as down:
        raise JobError(str(down)) from None
    try:
        search.ensure_index(search.client(search_url, search_auth), index)
    except dynamo.ServiceDown as down:
        raise JobError(f"{down} ({search_url})") from None
