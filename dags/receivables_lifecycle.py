"""
### receivables_lifecycle: Kafka receivable events -> DynamoDB history -> lifecycle documents, every 5 minutes

Each run starts the Glue job `receivables_aggregator` with `--trigger available_now`: it consumes
every event of the topics `recebiveis-agendados`, `recebiveis-cancelados` and
`recebiveis-negociados` that arrived since its checkpoint, in micro-batches, then stops. Per
batch: refused messages go to the dead letter with the reason, valid events are written to the
DynamoDB table `Recebiveis` (a redelivered event is the same item), and each receivable touched
gets its document recomputed from its whole history and indexed (by `id_recebivel`) in the
search index `ciclo_vida_recebiveis`. Then the run's counts are published (consumed, written,
dead-lettered, superseded, documents indexed, batches, where the time went).

One run at a time (`max_active_runs=1`): runs share the checkpoint. A run that fails leaves the
checkpoint at the last complete batch; the next run redoes only what is missing, and every write
is idempotent. No backfill: the checkpoint, not the data interval, decides what is new.
Connections: `kafka_default` and `receivables_search` (see `dataplatform.receivables`).
"""

from datetime import timedelta

from airflow.sdk import DAG
from airflow.timetables.interval import CronDataIntervalTimetable

from dataplatform import paths, receivables
from dataplatform.dag_defaults import DEFAULT_ARGS, START_DATE
from dataplatform.glue import glue_stage
from dataplatform.run_counts import publish_counts_task
from dataplatform.windows import resolve_run_name

COUNTS = paths.counts(receivables.STATE)

with DAG(
    dag_id="receivables_lifecycle",
    doc_md=__doc__,
    start_date=START_DATE,
    schedule=CronDataIntervalTimetable("*/5 * * * *", timezone="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={
        **DEFAULT_ARGS,
        "retries": 2,
        "retry_delay": timedelta(minutes=1),
        "execution_timeout": timedelta(minutes=30),
    },
    tags=["receivables", "streaming", "glue"],
) as dag:
    run_name = resolve_run_name()

    aggregate = glue_stage(
        task_id="receivables_aggregator",
        job=receivables.JOB,
        script_args={**receivables.job_args("available_now", "available_now"), "--counts_path": COUNTS},
        extra_arguments=receivables.GLUE_EXTRAS,
        max_workers=4,
        timeout_minutes=30,
    )

    counts = publish_counts_task({receivables.JOB: COUNTS})

    run_name >> aggregate >> counts
