"""The receivables stream in local mode: the producer DAG sends events through `kafka_default`, the stream runs
as a supervised background process (PID and log in its folder), the watcher sees it run, an operator's stop
ends it cleanly, and a job that dies fails the watcher with its last progress."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import boto3
import pytest
from airflow.sdk.exceptions import AirflowFailException

from dataplatform import streaming
from tests.e2e.test_receivables_local import receivables_env  # noqa: F401 (the shared fixture)

pytestmark = [pytest.mark.integration, pytest.mark.slow]
JOB = "receivables_aggregator"
PROGRESS = "s3://dp-lake/stream/receivables/_checkpoints/stream_progress.json"


def _script_args(services: dict[str, str]) -> dict[str, str]:
    return {
        "--bootstrap_servers": services["KAFKA_BOOTSTRAP_SERVERS"],
        "--search_url": services["SEARCH_URL"],
        "--checkpoint_path": "s3://dp-lake/stream/receivables/_checkpoints/stream",
        "--dead_letter_path": "s3://dp-lake/quarantine/receivables/stream",
        "--trigger": "processing_time",
        "--window_seconds": "2",
        "--progress_path": PROGRESS,
    }


def _start(services) -> int:
    return streaming.start_local(JOB, f"s3://dp-artifacts/glue/dev/scripts/{JOB}.py", None, _script_args(services))


def _wait_for_documents(search, count: int, timeout: float = 240) -> int:
    deadline = time.monotonic() + timeout
    found = 0
    while time.monotonic() < deadline:
        if search.indices.exists(index="ciclo_vida_recebiveis"):
            search.indices.refresh(index="ciclo_vida_recebiveis")
            found = search.count(index="ciclo_vida_recebiveis")["count"]
            if found >= count:
                return found
        time.sleep(1)
    return found


def test_produce_then_stream_watch_and_stop_cleanly(local_dagbag, receivables_env, tmp_path, monkeypatch):  # noqa: F811
    services, search = receivables_env
    monkeypatch.setenv(streaming.STREAMS_DIR_ENV, str(tmp_path))
    run = local_dagbag.get_dag("receivables_producer").test(
        run_conf={"receivables": 12, "events_per_second": 500, "bad_share": 0.5}
    )
    assert {ti.state for ti in run.get_task_instances()} == {"success"}

    watcher = streaming.StreamingJobSensor(task_id="watch", job_name=JOB, run_id="local", progress_path=PROGRESS)
    pid = _start(services)
    try:
        assert _start(services) == pid, "a second start finds the running stream"
        assert _wait_for_documents(search, 12) >= 12, (tmp_path / JOB / "job.log").read_text()[-3000:]
        assert watcher.poke({}) is False
        assert streaming.stop_local(JOB) == f"{JOB} (PID {pid}) stopped cleanly"
        assert watcher.poke({}) is True
        assert "stop requested: stopping between two batches" in (tmp_path / JOB / "job.log").read_text()
    finally:
        if streaming.local_pid(JOB):
            os.killpg(streaming.local_pid(JOB), signal.SIGKILL)


def test_a_stream_that_died_without_a_stop_fails_the_watcher_with_its_last_progress(aws_env, tmp_path, monkeypatch):
    """The watcher's side only (a process that is gone, a progress report in S3): no JVM needed."""
    monkeypatch.setenv(streaming.STREAMS_DIR_ENV, str(tmp_path))
    monkeypatch.setenv("PLATFORM", "local")
    folder = tmp_path / JOB
    folder.mkdir()
    gone = subprocess.Popen(["true"])
    gone.wait()
    (folder / "job.pid").write_text(str(gone.pid))
    (folder / "job.log").write_text("line 1\nerror: batch failed, checkpoint not advanced: service down: DynamoDB\n")
    s3 = boto3.client("s3")
    s3.put_object(Bucket="dp-lake", Key=PROGRESS.removeprefix("s3://dp-lake/"), Body=b'{"batch_id": 7}')
    watcher = streaming.StreamingJobSensor(task_id="watch", job_name=JOB, run_id="local", progress_path=PROGRESS)

    with pytest.raises(AirflowFailException) as failure:
        watcher.poke({})

    assert str(failure.value) == (
        f'streaming job {JOB} died; last progress: {{"batch_id": 7}}; log {folder / "job.log"} ends: '
        "line 1 | error: batch failed, checkpoint not advanced: service down: DynamoDB"
    )
