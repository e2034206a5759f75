"""What the receivables DAGs share: where the job keeps its state, its connections, its Glue extras.

Connections (never read at import; the templates render when a task runs):
- `kafka_default` (conn_type `kafka`): the confluent-kafka configuration in `extra`; the job gets
  `extra['bootstrap.servers']`. Locally from `.local/services.env`; on MWAA from Secrets Manager.
- `receivables_search` (conn_type `http`): the search engine's `schema`, `host`, `port`, and in
  `extra` `{"auth": "none"}` for a plain node (local) or `{"auth": "sigv4"}` for Amazon
  OpenSearch Service, whose requests the job signs with its Glue role's credentials.
"""

from __future__ import annotations

from datalake.conventions import Table
from dataplatform import paths
from dataplatform.config import setting

DATASET = "receivables"
JOB = "receivables_aggregator"
KAFKA_CONN_ID = "kafka_default"
SEARCH_CONN_ID = "receivables_search"
# The job's state (checkpoints, counts) and its dead letter, in the lake bucket.
STATE = Table(dataset=DATASET, layer="stream", name=JOB)
DEAD_LETTER = paths.table(DATASET, "quarantine")

_SEARCH = "conn.%s" % SEARCH_CONN_ID
BOOTSTRAP_SERVERS = "{{ conn.%s.extra_dejson['bootstrap.servers'] }}" % KAFKA_CONN_ID
SEARCH_URL = "{{ %(c)s.schema or 'https' }}://{{ %(c)s.host }}{{ (':%%d' %% %(c)s.port) if %(c)s.port else '' }}" % {
    "c": _SEARCH
}
SEARCH_AUTH = "{{ %s.extra_dejson.get('auth', 'none') }}" % _SEARCH

# The Kafka connector and the OpenSearch client are not in Glue 5.1: the jars come from the
# artifacts bucket (uploaded by `make dist` next to the scripts), the client from PyPI.
KAFKA_JARS = (
    "spark-sql-kafka-0-10_2.12-3.5.7.jar",
    "spark-token-provider-kafka-0-10_2.12-3.5.7.jar",
    "kafka-clients-3.4.1.jar",
    "commons-pool2-2.11.1.jar",
)
GLUE_EXTRAS = {
    "--extra-jars": ",".join(f"s3://{setting('artifacts_bucket')}/glue/jars/{jar}" for jar in KAFKA_JARS),
    "--additional-python-modules": "opensearch-py==3.2.0",
}


def checkpoint(mode: str) -> str:
    """One checkpoint per way of running (`available_now`, `stream`): never two queries on one."""
    return f"{paths.location(STATE)}/_checkpoints/{mode}"


def dead_letter(mode: str) -> str:
    """Dead-letter files are named by batch id, which is per checkpoint: one folder per mode."""
    return f"{paths.location(DEAD_LETTER)}/{mode}"


def job_args(mode: str, trigger: str) -> dict[str, str]:
    return {
        "--bootstrap_servers": BOOTSTRAP_SERVERS,
        "--search_url": SEARCH_URL,
        "--search_auth": SEARCH_AUTH,
        "--checkpoint_path": checkpoint(mode),
        "--dead_letter_path": dead_letter(mode),
        "--trigger": trigger,
    }
