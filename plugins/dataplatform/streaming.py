"""A Glue job that keeps running (Spark Structured Streaming): start it, watch it, stop it cleanly.

In `mwaa` mode the job is a Glue streaming job: `StartStreamingJobOperator` starts a run without
waiting for it, `StreamingJobSensor` polls the run's state, `stop_streaming_job` asks Glue to stop
it. In `local` mode the same tasks run the script as a supervised background process on this
machine, with its PID, log and progress under `.local/streams/<job>/`; a stop is SIGTERM, which the
job turns into a stop between two micro-batches. Either way the sensor fails as soon as the job dies
without having been asked to stop, and says what its last progress report was.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from airflow.providers.amazon.aws.hooks.glue import GlueJobHook
from airflow.sdk.bases.sensor import BaseSensorOperator
from airflow.sdk.exceptions import AirflowFailException

from dataplatform.config import platform_mode
from dataplatform.glue import PlatformGlueJobOperator, glue_job_kwargs
from dataplatform.local_glue import SPARK_MASTER_ENV, SPARK_PYTHON_ENV, glue_argv, local_script_path

STREAMS_DIR_ENV = "DATAPLATFORM_STREAMS_DIR"
FAILED_STATES = {"FAILED", "ERROR", "TIMEOUT"}


def stream_dir(job: str) -> Path:
    root = os.environ.get(STREAMS_DIR_ENV) or Path(__file__).resolve().parents[2] / ".local" / "streams"
    return Path(root) / job


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of this process is dead too
        return os.waitpid(pid, os.WNOHANG) == (0, 0)
    except ChildProcessError:
        return True


def local_pid(job: str) -> int | None:
    """The PID of the job's background process if it runs, else None."""
    pid_file = stream_dir(job) / "job.pid"
    if not pid_file.is_file():
        return None
    pid = int(pid_file.read_text().strip() or 0)
    return pid if pid and _alive(pid) else None


def last_progress(progress_path: str, aws_conn_id: str | None = "aws_default") -> str:
    """The job's last progress report (`--progress_path`, in S3), or a note that there is none yet."""
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    from dataplatform.catalog import s3_uri

    hook = S3Hook(aws_conn_id=aws_conn_id)
    bucket, key = S3Hook.parse_s3_url(s3_uri(progress_path))
    if not hook.check_for_key(key, bucket_name=bucket):
        return "none reported yet"
    return hook.read_key(key, bucket_name=bucket)


def start_local(job: str, script_location: str, create_job_kwargs: dict, script_args: dict) -> int:
    """Start the script in the background (its own session: it outlives the task), unless it already runs."""
    running = local_pid(job)
    if running:
        return running
    folder = stream_dir(job)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "stop.requested").unlink(missing_ok=True)
    argv = [os.environ.get(SPARK_PYTHON_ENV) or sys.executable, str(local_script_path(script_location))]
    argv += glue_argv(job, f"jr_stream_{int(time.time())}", create_job_kwargs, script_args)
    env = {**os.environ, SPARK_MASTER_ENV: os.environ.get(SPARK_MASTER_ENV) or "local[2]"}
    repo = local_script_path(script_location).parents[1]
    with open(folder / "job.log", "ab") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   env=env, start_new_session=True, cwd=repo)  # fmt: skip
    (folder / "job.pid").write_text(str(process.pid))
    return process.pid


def streaming_job_kwargs(max_workers: int, extra_arguments: dict[str, str]) -> dict:
    """A Glue streaming job's definition: the stage's, as `gluestreaming`, with no timeout."""
    kwargs = glue_job_kwargs(max_workers=max_workers, extra_arguments=extra_arguments)
    kwargs.pop("Timeout")
    return {**kwargs, "Command": {"Name": "gluestreaming", "PythonVersion": "3"}}


class StartStreamingJobOperator(PlatformGlueJobOperator):
    """Start the streaming job and return at once (its run id, or `local:<pid>`)."""

    def execute(self, context):
        if platform_mode() == "mwaa":
            self.wait_for_completion = False
            self.deferrable = False
            return super().execute(context)
        pid = start_local(self.job_name, self.script_location, self.create_job_kwargs, self.script_args)
        self.log.info("streaming job %s runs locally as PID %s; log %s", self.job_name, pid,
                      stream_dir(self.job_name) / "job.log")  # fmt: skip
        return f"local:{pid}"


class StreamingJobSensor(BaseSensorOperator):
    """Done when the job was stopped on request; fails when it died on its own, with its last progress."""

    template_fields = ("run_id", "progress_path")

    def __init__(self, *, job_name: str, run_id: str, progress_path: str, aws_conn_id: str | None = "aws_default",
                 **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        self.job_name, self.run_id, self.progress_path, self.aws_conn_id = job_name, run_id, progress_path, aws_conn_id

    def poke(self, context) -> bool:
        progress = last_progress(self.progress_path, self.aws_conn_id)
        if platform_mode() == "mwaa":
            state = GlueJobHook(aws_conn_id=self.aws_conn_id).get_job_state(self.job_name, self.run_id)
            if state in FAILED_STATES:
                raise AirflowFailException(f"streaming job {self.job_name} is {state}; last progress: {progress}")
            self.log.info("streaming job %s is %s; last progress: %s", self.job_name, state, progress)
            return state in {"STOPPED", "SUCCEEDED"}
        folder = stream_dir(self.job_name)
        if local_pid(self.job_name):
            self.log.info("streaming job %s is running; last progress: %s", self.job_name, progress)
            return False
        if (folder / "stop.requested").is_file():
            self.log.info("streaming job %s stopped on request; last progress: %s", self.job_name, progress)
            return True
        tail = (
            (folder / "job.log").read_text(errors="replace").splitlines()[-5:] if (folder / "job.log").is_file() else []
        )
        raise AirflowFailException(
            f"streaming job {self.job_name} died; last progress: {progress}; log {folder / 'job.log'} ends: "
            + " | ".join(tail)
        )


def stop_local(job: str, timeout_s: float = 120) -> str:
    folder = stream_dir(job)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "stop.requested").write_text(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    pid = local_pid(job)
    if not pid:
        return f"{job} was not running"
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    if _alive(pid):
        os.killpg(pid, signal.SIGKILL)  # a stop that hangs: the checkpoint makes a kill safe
        return f"{job} (PID {pid}) did not stop within {timeout_s:.0f}s and was killed"
    return f"{job} (PID {pid}) stopped cleanly"


def stop_streaming_job(job: str, aws_conn_id: str | None = "aws_default") -> str:
    """Ask the running job to stop (Glue: BatchStopJobRun of its running runs; local: SIGTERM)."""
    if platform_mode() == "mwaa":
        glue = GlueJobHook(aws_conn_id=aws_conn_id).conn
        runs = glue.get_job_runs(JobName=job)["JobRuns"]
        running = [run["Id"] for run in runs if run["JobRunState"] in {"STARTING", "RUNNING", "WAITING"}]
        if running:
            glue.batch_stop_job_run(JobName=job, JobRunIds=running)
        return f"stop requested for {job} runs {running or 'none running'}"
    return stop_local(job)
