"""The receivables stream in local mode: the producer DAG sends events through `kafka_default`, the stream runs
as a supervised background process (PID and log in its folder), the watcher sees it run, an operator's stop
ends it cleanly, and a job that dies fails the watcher with its last progress."""

from __future__ import annotations

import os
import signal
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


def test_produce_then_stream_watch_stop_and_a_death_is_reported(local_dagbag, receivables_env, tmp_path, monkeypatch):  # noqa: F811
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

        boto3.client("s3").delete_object(Bucket="dp-lake", Key=PROGRESS.removeprefix("s3://dp-lake/"))
        pid = _start(services)
        deadline = time.monotonic() + 240
        while streaming.last_progress(PROGRESS) == "none reported yet" and time.monotonic() < deadline:
            time.sleep(1)
        os.killpg(pid, signal.SIGKILL)
        time.sleep(1)
        with pytest.raises(AirflowFailException, match=f"streaming job {JOB} died; last progress: "):
            watcher.poke({})
    finally:
        if streaming.local_pid(JOB):
            os.killpg(streaming.local_pid(JOB), signal.SIGKILL)
