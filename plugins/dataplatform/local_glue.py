"""Run a Glue script on local PySpark with the arguments Glue would pass it.

Glue starts a script as `script.py --JOB_NAME <job> --JOB_RUN_ID <id> <DefaultArguments>
<run arguments>`; this does the same with `spark_jobs/<script>` and the rendered arguments,
so the script cannot tell local from production except by where S3 is.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from collections import deque
from pathlib import Path
from typing import Any

from dataplatform.config import PlatformConfigError

SPARK_JOBS_DIR_ENV = "DATAPLATFORM_SPARK_JOBS_DIR"
SPARK_PYTHON_ENV = "DATAPLATFORM_SPARK_PYTHON"
# Read by `datalake.session`: the explicit "run on local PySpark" switch (never set on Glue).
SPARK_MASTER_ENV = "DATAPLATFORM_SPARK_MASTER"
DEFAULT_SPARK_MASTER = "local[2]"
DEFAULT_SPARK_JOBS_DIR = Path(__file__).resolve().parents[2] / "spark_jobs"


class LocalGlueJobError(PlatformConfigError):
    """A local Glue run could not start or failed; the message is one line."""


def spark_jobs_dir() -> Path:
    return Path(os.environ.get(SPARK_JOBS_DIR_ENV) or DEFAULT_SPARK_JOBS_DIR)


def local_script_path(script_location: str) -> Path:
    """`s3://bucket/glue/scripts/job.py` (as deployed) -> `spark_jobs/job.py` (in this checkout)."""
    script = spark_jobs_dir() / Path(script_location).name
    if not script.is_file():
        raise LocalGlueJobError(
            f"Glue script {script} not found (from script_location {script_location}); "
            f"is {SPARK_JOBS_DIR_ENV} pointing at the repo's spark_jobs/?"
        )
    return script


def glue_argv(job_name: str, run_id: str, create_job_kwargs: dict | None, script_args: dict) -> list[str]:
    """Arguments in Glue's order: its own, then the job's DefaultArguments, then the run's."""
    default_arguments = dict((create_job_kwargs or {}).get("DefaultArguments", {}))
    arguments = {"--JOB_NAME": job_name, "--JOB_RUN_ID": run_id, **default_arguments, **script_args}
    argv: list[str] = []
    for key, value in arguments.items():
        argv += [key if key.startswith("--") else f"--{key}", str(value)]
    return argv


def require_local_aws() -> str:
    """Local mode must never reach real AWS: insist on a moto server (only moto has /moto-api/)."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    if not endpoint:
        raise LocalGlueJobError(
            "local mode needs the local servers: run `make services-up` and load .local/services.env "
            "(AWS_ENDPOINT_URL is not set)"
        )
    try:
        urllib.request.urlopen(f"{endpoint.rstrip('/')}/moto-api/", timeout=3).close()
    except (urllib.error.URLError, OSError) as error:
        raise LocalGlueJobError(
            f"AWS_ENDPOINT_URL {endpoint} is not a local moto server that answers ({error}); run `make services-up`"
        ) from None
    return endpoint


def run_glue_script_locally(
    job_name: str,
    script_location: str,
    script_args: dict[str, Any],
    create_job_kwargs: dict | None,
    log,
) -> str:
    require_local_aws()
    script = local_script_path(script_location)
    run_id = f"jr_local_{uuid.uuid4().hex}"
    argv = [os.environ.get(SPARK_PYTHON_ENV) or sys.executable, str(script)]
    argv += glue_argv(job_name, run_id, create_job_kwargs, script_args)
    log.info("Local Glue run %s of %s: %s", run_id, job_name, " ".join(argv))
    last_lines: deque[str] = deque(maxlen=20)
    env = {**os.environ, SPARK_MASTER_ENV: os.environ.get(SPARK_MASTER_ENV) or DEFAULT_SPARK_MASTER}
    with subprocess.Popen(
        argv,
        cwd=spark_jobs_dir().parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as process:
        for line in process.stdout:
            line = line.rstrip()
            last_lines.append(line)
            log.info("%s", line)
    if process.returncode != 0:
        errors = [line for line in last_lines if line.startswith("error:")]
        reason = errors[-1] if errors else (last_lines[-1] if last_lines else "no output")
        raise LocalGlueJobError(f"Glue job {job_name} ({run_id}) failed with exit code {process.returncode}: {reason}")
    log.info("Local Glue run %s of %s SUCCEEDED", run_id, job_name)
    return run_id
