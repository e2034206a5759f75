"""
### receivables_stream: the receivables job as a long-running stream, started, watched and stopped from here

Triggered by an operator, with `action`:
- `start`: starts the Glue job `receivables_aggregator` with `--trigger processing_time` (a
  micro-batch every 15 s; a Glue streaming job in production, a supervised background process
  locally, its PID and log under `.local/streams/receivables_aggregator/`), then watches it: the
  `watch_stream` sensor stays up while the job runs, logs its last progress (input rows/s, batch
  duration, consumer lag, totals) and fails as soon as the job dies without having been asked to.
- `stop`: asks the running job to stop; it finishes the batch in flight and stops, and the
  watcher of the `start` run then succeeds.

The stream has its own checkpoint and dead letter (the AvailableNow DAG `receivables_lifecycle`
has another); both write the same idempotent results, so either may run, but run one at a time.
"""

from datetime import timedelta

from airflow.sdk import DAG, Param, task
from airflow.sdk.bases.operator import chain

from dataplatform import receivables
from dataplatform.config import setting
from dataplatform.dag_defaults import DEFAULT_ARGS, START_DATE
from dataplatform.glue import code_prefix
from dataplatform.streaming import (
    StartStreamingJobOperator,
    StreamingJobSensor,
    stop_streaming_job,
    streaming_job_kwargs,
)

PROGRESS = f"{receivables.checkpoint('stream')}_progress.json"

with DAG(
    dag_id="receivables_stream",
    doc_md=__doc__,
    start_date=START_DATE,
    schedule=None,
    catchup=False,
    max_active_runs=2,  # the watching `start` run and the `stop` run that ends it
    params={"action": Param("start", enum=["start", "stop"], description="start the stream, or stop it cleanly")},
    default_args=DEFAULT_ARGS,
    tags=["receivables", "streaming", "glue"],
) as dag:

    @task.branch(task_id="choose_action")
    def choose_action(params=None) -> str:
        return "start_stream" if params["action"] == "start" else "stop_stream"

    start = StartStreamingJobOperator(
        task_id="start_stream",
        job_name=receivables.JOB,
        script_location=f"{code_prefix()}/scripts/{receivables.JOB}.py",
        script_args={**receivables.job_args("stream", "processing_time"), "--progress_path": PROGRESS},
        create_job_kwargs=streaming_job_kwargs(max_workers=4, extra_arguments=receivables.GLUE_EXTRAS),
        iam_role_arn=setting("glue_role_arn"),
        s3_bucket=setting("artifacts_bucket"),
        update_config=True,
    )

    watch = StreamingJobSensor(
        task_id="watch_stream",
        job_name=receivables.JOB,
        run_id="{{ ti.xcom_pull(task_ids='start_stream') }}",
        progress_path=PROGRESS,
        mode="reschedule",
        poke_interval=60,
        timeout=timedelta(days=30),  # a stream that has run for 30 days: start a fresh watch
        execution_timeout=timedelta(minutes=10),  # per poke
    )

    @task(task_id="stop_stream")
    def stop_stream() -> str:
        return stop_streaming_job(receivables.JOB)

    chain(choose_action(), [start, stop_stream()])
    start >> watch
