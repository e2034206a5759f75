"""Glue stages: `GlueJobOperator` with the production job definition; local mode runs the script here.

In `mwaa` mode a stage creates/updates the Glue job `<job>` (Glue 5.1) and runs
`s3://<artifacts>/glue/<version>/scripts/<job>.py` with the shared job code from
`s3://<artifacts>/glue/<version>/datalake.zip`. The code version is a setting
(`dataplatform_code_version`): a deploy uploads a new version next to the old ones and then
moves the Variable, so a backfill running across a deploy keeps one version per task, and a
rollback is setting the Variable back. In `local` mode the same operator, with the same
arguments, runs `spark_jobs/<job>.py` on local PySpark (moto accepts Glue job runs but never
executes them, so it cannot stand in for Glue here).
"""

from __future__ import annotations

import time
from typing import Any

from airflow.providers.amazon.aws.links.glue import GlueJobRunDetailsLink
from airflow.providers.amazon.aws.operators.glue import GlueJobOperator

from dataplatform.config import platform_mode, setting
from dataplatform.local_glue import run_glue_script_locally
from dataplatform.run_cost import COST_XCOM_KEY, glue_run_cost, local_run_cost

GLUE_VERSION = "5.1"
CODE_PREFIX = "glue"
SHARED_CODE_ZIP = "datalake.zip"
DEFAULT_WORKER_TYPE = "G.1X"
# With auto-scaling on, NumberOfWorkers is the ceiling: Glue starts small and adds executors up to it.
DEFAULT_MAX_WORKERS = 10


def code_prefix() -> str:
    """`s3://<artifacts>/glue/<version>`: where a deploy puts this version's scripts and package."""
    return f"s3://{setting('artifacts_bucket')}/{CODE_PREFIX}/{setting('code_version')}"


def glue_job_kwargs(
    worker_type: str = DEFAULT_WORKER_TYPE,
    max_workers: int = DEFAULT_MAX_WORKERS,
    timeout_minutes: int = 60,
    extra_arguments: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The Glue job definition (`create_job_kwargs`) of a stage."""
    artifacts = setting("artifacts_bucket")
    return {
        "GlueVersion": GLUE_VERSION,
        "WorkerType": worker_type,
        "NumberOfWorkers": max_workers,
        "Timeout": timeout_minutes,
        # Airflow owns retries; a Glue-side retry would run the stage twice per attempt.
        "MaxRetries": 0,
        "DefaultArguments": {
            "--job-language": "python",
            "--extra-py-files": f"{code_prefix()}/{SHARED_CODE_ZIP}",
            "--TempDir": f"s3://{artifacts}/glue/tmp/",
            "--enable-metrics": "true",
            "--enable-auto-scaling": "true",
            "--enable-continuous-cloudwatch-log": "true",
            "--enable-observability-metrics": "true",
            **(extra_arguments or {}),
        },
    }


class PlatformGlueJobOperator(GlueJobOperator):
    """`GlueJobOperator` that, in local mode, runs the script on local PySpark instead of Glue.

    Either way it records what the run cost (`dataplatform.run_cost`) as the XCom `glue_cost`.
    """

    template_fields = (*GlueJobOperator.template_fields, "glue_price")

    def __init__(self, *, glue_price: str = "0.44", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.glue_price = glue_price

    def _record_cost(self, context, run_id: str) -> None:
        """Never fails the stage: a run that succeeded is not undone by its bill being unreadable."""
        try:
            job_run = self.hook.conn.get_job_run(JobName=self.job_name, RunId=run_id)["JobRun"]
            # A run reports its job's workers; where it leaves them out, the job definition says.
            definition = {key: (self.create_job_kwargs or {}).get(key) for key in ("WorkerType", "NumberOfWorkers")}
            known = {key: value for key, value in job_run.items() if value is not None}
            cost = glue_run_cost(self.job_name, {**definition, **known}, self.glue_price)
        except Exception as error:  # the cost is a report, not the stage's result
            self.log.warning("could not read the cost of %s run %s: %s", self.job_name, run_id, error)
            cost = glue_run_cost(self.job_name, {"Id": run_id}, self.glue_price)
        self.log.info("Glue run cost: %s", cost)
        context["ti"].xcom_push(key=COST_XCOM_KEY, value=cost)

    def execute_complete(self, context, event=None):
        run_id = super().execute_complete(context, event)
        self._record_cost(context, run_id)
        return run_id

    def execute(self, context):
        if platform_mode() == "mwaa":
            run_id = super().execute(context)  # a deferred run ends in execute_complete instead
            self._record_cost(context, run_id)
            return run_id
        started = time.monotonic()
        run_id = run_glue_script_locally(
            job_name=self.job_name,
            script_location=self.script_location,
            script_args=self.script_args,
            create_job_kwargs=self.create_job_kwargs,
            log=self.log,
        )
        # The operator's "Glue job run details" link reads this XCom when the task ends; a local run has
        # no console page, and an empty value says so (a missing one is logged as an error).
        context["ti"].xcom_push(key=GlueJobRunDetailsLink.key, value={})
        cost = local_run_cost(self.job_name, run_id, time.monotonic() - started, self.glue_price)
        context["ti"].xcom_push(key=COST_XCOM_KEY, value=cost)
        return run_id


def glue_stage(
    task_id: str,
    job: str,
    script_args: dict[str, str],
    *,
    worker_type: str = DEFAULT_WORKER_TYPE,
    max_workers: int = DEFAULT_MAX_WORKERS,
    timeout_minutes: int = 60,
    concurrent_runs: int = 1,
    extra_arguments: dict[str, str] | None = None,
    **operator_kwargs: Any,
) -> PlatformGlueJobOperator:
    """A Glue stage running `spark_jobs/<job>.py` as the Glue job `<job>`.

    `extra_arguments` go to the job's DefaultArguments (`--extra-jars`, `--additional-python-modules`,
    ...); `concurrent_runs` is Glue's own limit on simultaneous runs of the job.
    """
    kwargs = glue_job_kwargs(worker_type, max_workers, timeout_minutes, extra_arguments)
    kwargs["ExecutionProperty"] = {"MaxConcurrentRuns": concurrent_runs}
    return PlatformGlueJobOperator(
        task_id=task_id,
        job_name=job,
        script_location=f"{code_prefix()}/scripts/{job}.py",
        s3_bucket=setting("artifacts_bucket"),
        iam_role_arn=setting("glue_role_arn"),
        glue_price=setting("glue_price_per_dpu_hour"),
        script_args=script_args,
        create_job_kwargs=kwargs,
        concurrent_run_limit=concurrent_runs,
        update_config=True,
        wait_for_completion=True,
        deferrable=True,
        verbose=True,
        stop_job_run_on_kill=True,
        **operator_kwargs,
    )
