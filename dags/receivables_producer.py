"""
### receivables_producer: send sample receivable events to Kafka, on demand

Triggered by an operator with a form: how many receivables, events per second (in all), and the
share of receivables that also get a bad message (not JSON, no `id_evento`, a bad `valor` or
`data_evento`). Each receivable gets an AGENDADO event and up to two cancellations or negotiations
that never exceed what is left. One task per topic (`recebiveis-agendados`, `-cancelados`,
`-negociados`), Kafka provider's `ProduceToTopicOperator`, message key = `id_recebivel`, through
the connection `kafka_default`. Receivable ids carry the run's tag, so runs never collide.
The events are picked up by `receivables_lifecycle` (every 5 minutes) or `receivables_stream`.
"""

from airflow.providers.apache.kafka.operators.produce import ProduceToTopicOperator
from airflow.sdk import DAG, Param

from dataplatform import receivables
from dataplatform.dag_defaults import DEFAULT_ARGS, START_DATE

TOPICS = ("recebiveis-agendados", "recebiveis-cancelados", "recebiveis-negociados")
EVENTS = {
    "receivables": "{{ params.receivables }}",
    "events_per_second": "{{ params.events_per_second }}",
    "bad_share": "{{ params.bad_share }}",
    "run_tag": "{{ ts_nodash }}",
}

with DAG(
    dag_id="receivables_producer",
    doc_md=__doc__,
    start_date=START_DATE,
    schedule=None,
    catchup=False,
    params={
        "receivables": Param(100, type="integer", minimum=1, maximum=1_000_000, description="how many receivables"),
        "events_per_second": Param(
            50, type="number", exclusiveMinimum=0, maximum=100_000, description="the rate of all three topics together"
        ),
        "bad_share": Param(
            0.05, type="number", minimum=0, maximum=1, description="share of receivables that also get one bad message"
        ),
    },
    default_args=DEFAULT_ARGS,
    tags=["receivables", "streaming", "sample-data"],
) as dag:
    ProduceToTopicOperator.partial(
        task_id="produce",
        kafka_config_id=receivables.KAFKA_CONN_ID,
        producer_function="dataplatform.receivables_producer.events",
        poll_timeout=0.1,
    ).expand_kwargs([{"topic": topic, "producer_function_kwargs": {"topic": topic, **EVENTS}} for topic in TOPICS])
