"""Running a Glue job the way Glue does (`python spark_jobs/<job>.py --arg value ...`) and reading what it left.

Shared by every pipeline's job tests. Jobs run on local paths here (an empty AWS_ENDPOINT_URL keeps
the S3A jars out even when moto runs); `run_in_process` calls a job's `main(argv)` in the test's own
SparkSession, which saves a JVM start where a test does not need a separate process.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from datalake import conventions
from include.local.env import local_env

REPO = Path(__file__).resolve().parents[1]
# What Glue adds to every run: the jobs must accept and ignore it.
GLUE_ARGS = ["--JOB_NAME", "test_job", "--JOB_RUN_ID", "jr_1", "--TempDir", "/tmp/t", "--enable-metrics", "true"]


def job_env(**overrides: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYSPARK_GATEWAY")}
    env.update(local_env(with_services=False))
    env.update({"AWS_ENDPOINT_URL": "", "SPARK_SHUFFLE_PARTITIONS": "2", "SPARK_DRIVER_MEMORY": "1g"})
    env.update(overrides)
    return env


def command(script: str, *args: str) -> list[str]:
    return [sys.executable, str(REPO / "spark_jobs" / script), *args]


def run(script: str, *args: str, timeout: float = 600, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        command(script, *args), cwd=REPO, env=job_env(**env), capture_output=True, text=True, timeout=timeout
    )


def start(script: str, *args: str, **env: str) -> subprocess.Popen:
    """The job in the background, in its own process group (so a test can kill -9 it and its JVM)."""
    return subprocess.Popen(
        command(script, *args), cwd=REPO, env=job_env(**env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True,
    )  # fmt: skip


def run_in_process(script: str, *args: str) -> dict:
    """`main(argv)` of `spark_jobs/<script>` in this process (the session is the tests' own)."""
    module = importlib.import_module(Path(script).stem)
    return module.main([*args])


def succeeded(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, f"{result.args}\n{result.stderr[-4000:]}"
    return result


def one_error_line(result: subprocess.CompletedProcess) -> str:
    """The single `error:` line of a job that refused its arguments (exit 2, no traceback)."""
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr[-3000:]
    return errors[0]


def window_counts(output: Path, start: str, end: str) -> dict:
    """The counts JSON a windowed job stored under `output` by default."""
    run_name = conventions.window_run_name(*(conventions.parse_instant("t", value) for value in (start, end)))
    return json.loads(Path(conventions.counts_path(str(output), run_name)).read_text())


def window_manifest(output: Path, start: str, end: str) -> dict:
    run_name = conventions.window_run_name(*(conventions.parse_instant("t", value) for value in (start, end)))
    return json.loads(Path(conventions.manifest_path(str(output), run_name)).read_text())


def land(root: Path, key: str, body: bytes | str, modified: str) -> Path:
    """A landing file with its last-modified time (`2025-10-29T14:10:00Z`)."""
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body.encode() if isinstance(body, str) else body)
    stamp = datetime.fromisoformat(modified).timestamp()
    os.utime(path, (stamp, stamp))
    return path
