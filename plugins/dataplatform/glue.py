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

from typing import Any

from airflow.providers.amazon.aws.links.glue import GlueJobRunDetailsLink
from airflow.providers.amazon.aws.operators.glue import GlueJobOperator

from dataplatform.config import platform_mode, setting
from dataplatform.local_glue import run_glue_script_locally

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
    """`GlueJobOperator` that, in local mode, runs the script on local PySpark instead of Glue."""

    def execute(self, context):
        if platform_mode() == "mwaa":
            return super().execute(context)
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
