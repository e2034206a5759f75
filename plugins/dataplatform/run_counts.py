"""Publish a run's counts: read the counts JSON each stage stored, log one line each, return them.

With them goes what the run's Glue stages cost (`glue_cost`: each stage's record from
`dataplatform.run_cost` and their total). The returned dict lands in XCom (the Airflow UI shows it
per run); the counts stay in the JSON files next to each output for anyone to query. A stage that found landing files of
earlier windows that never reached its output (`late_files`, see the bronze job) fails this
task after publishing, with the command that reprocesses those windows.
"""

from __future__ import annotations

import json
import logging

from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.providers.amazon.aws.operators.glue import GlueJobOperator
from airflow.sdk import task
from airflow.sdk.exceptions import AirflowFailException

from dataplatform.catalog import s3_uri
from dataplatform.run_cost import COST_XCOM_KEY, run_total

log = logging.getLogger(__name__)
PUBLISH_TASK_ID = "publish_counts"


def read_counts(counts_paths: dict[str, str], aws_conn_id: str | None = "aws_default") -> dict[str, dict]:
    hook = S3Hook(aws_conn_id=aws_conn_id)
    published = {}
    for stage, path in counts_paths.items():
        bucket, key = S3Hook.parse_s3_url(s3_uri(path))
        published[stage] = json.loads(hook.read_key(key, bucket_name=bucket))
    return published


def _summary(counts: dict) -> str:
    return ", ".join(f"{key}={value}" for key, value in sorted(counts.items()) if not isinstance(value, dict | list))


def late_files_message(dag_id: str, published: dict[str, dict]) -> str | None:
    """One line naming the late landing files and the reruns that pick them up, or None."""
    late = {stage: counts for stage, counts in published.items() if counts.get("late_files")}
    if not late:
        return None
    parts = []
    for stage, counts in late.items():
        windows = counts.get("late_windows", [])
        reruns = "; ".join(
            f"airflow dags trigger {dag_id} --conf '{json.dumps({'window_start': s, 'window_end': e})}'"
            for s, e in windows
        )
        examples = ", ".join(counts.get("late_files_sample", [])[:3])
        parts.append(
            f"{stage}: {counts['late_files']} landing file(s) of earlier windows are missing from its output "
            f"(e.g. {examples}); rerun: {reruns}"
        )
    return " | ".join(parts)


def read_costs(context) -> dict | None:
    """The run's Glue stages' cost records (None when the DAG has no Glue stage)."""
    stages = [task.task_id for task in context["dag"].tasks if isinstance(task, GlueJobOperator)]
    if not stages:
        return None
    pulled = {stage: context["ti"].xcom_pull(task_ids=stage, key=COST_XCOM_KEY) for stage in stages}
    return run_total({stage: cost for stage, cost in pulled.items() if cost})


def publish_counts(counts_paths: dict[str, str], **context) -> dict[str, dict]:
    published = read_counts(counts_paths)
    for stage, counts in published.items():
        log.info("%s: %s", stage, _summary(counts))
    cost = read_costs(context)
    if cost is not None:
        published["glue_cost"] = cost
        log.info("glue cost (%s): total_usd=%s", cost["mode"], cost["total_usd"])
    message = late_files_message(context["dag"].dag_id, published)
    if message:
        context["ti"].xcom_push(key="return_value", value=published)
        raise AirflowFailException(message)
    return published


def publish_counts_task(counts_paths: dict[str, str]):
    """The `publish_counts` task of a DAG (after its last stage)."""
    return task(task_id=PUBLISH_TASK_ID)(publish_counts)(counts_paths=counts_paths)
