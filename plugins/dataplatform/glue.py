"""Glue stages: one operator for both modes, and the job definition every stage shares.

In `mwaa` mode a stage is exactly the provider's `GlueJobOperator`: it creates or updates the
Glue job from `create_job_kwargs` and runs the script deployed in S3. In `local` mode the same
task, with the same rendered arguments, runs the script from `spark_jobs/` on local PySpark
(moto accepts Glue job runs but never executes them, so it cannot stand in for Glue here).
"""

from __future__ import annotations

from typing import Any

from airflow.providers.amazon.aws.operators.glue import GlueJobOperator

from dataplatform.config import platform_mode, setting
from dataplatform.local_glue import run_glue_script_locally

GLUE_VERSION = "5.1"
SCRIPTS_PREFIX = "glue/scripts"
SHARED_CODE_ZIP = "glue/datalake.zip"


def glue_job_kwargs(
    worker_type: str = "G.1X",
    number_of_workers: int = 2,
    timeout_minutes: int = 60,
    extra_arguments: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The Glue job definition (`create_job_kwargs`) shared by every stage."""
    artifacts = setting("artifacts_bucket")
    return {
        "GlueVersion": GLUE_VERSION,
        "WorkerType": worker_type,
        "NumberOfWorkers": number_of_workers,
        "Timeout": timeout_minutes,
        # Airflow owns retries; a Glue-side retry would run the stage twice per attempt.
        "MaxRetries": 0,
        "ExecutionProperty": {"MaxConcurrentRuns": 4},
        "DefaultArguments": {
            "--job-language": "python",
            "--extra-py-files": f"s3://{artifacts}/{SHARED_CODE_ZIP}",
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
        return run_glue_script_locally(
            job_name=self.job_name,
            script_location=self.script_location,
            script_args=self.script_args,
            create_job_kwargs=self.create_job_kwargs,
            log=self.log,
        )


def glue_stage(
    task_id: str,
    job: str,
    script_args: dict[str, str],
    worker_type: str = "G.1X",
    number_of_workers: int = 2,
    timeout_minutes: int = 60,
    **operator_kwargs: Any,
) -> PlatformGlueJobOperator:
    """A Glue stage running `spark_jobs/<job>.py` as the Glue job `<job>`."""
    artifacts = setting("artifacts_bucket")
    return PlatformGlueJobOperator(
        task_id=task_id,
        job_name=job,
        script_location=f"s3://{artifacts}/{SCRIPTS_PREFIX}/{job}.py",
        s3_bucket=artifacts,
        iam_role_name=setting("glue_iam_role"),
        script_args=script_args,
        create_job_kwargs=glue_job_kwargs(worker_type, number_of_workers, timeout_minutes),
        update_config=True,
        wait_for_completion=True,
        deferrable=True,
        verbose=True,
        stop_job_run_on_kill=True,
        **operator_kwargs,
    )
