"""Where a job runs is said, never guessed: local PySpark only when asked for, Glue's session otherwise."""

from __future__ import annotations

import pytest

from datalake.cli import JobError
from datalake.session import LOCAL_MASTER_ENV, get_spark
from tests.jobs import one_error_line, run


def test_neither_glue_nor_the_local_flag_is_one_clear_error(monkeypatch):
    monkeypatch.delenv(LOCAL_MASTER_ENV, raising=False)
    monkeypatch.delenv("PYSPARK_GATEWAY_PORT", raising=False)
    with pytest.raises(
        JobError, match=f"not launched by Glue or spark-submit; to run on local PySpark set {LOCAL_MASTER_ENV}"
    ):
        get_spark("job")


def test_the_local_flag_on_glue_is_refused_rather_than_running_on_the_driver(monkeypatch):
    monkeypatch.setenv(LOCAL_MASTER_ENV, "local[2]")
    monkeypatch.setenv("PYSPARK_GATEWAY_PORT", "45678")
    with pytest.raises(JobError, match=f"{LOCAL_MASTER_ENV}=local\\[2\\] is set, but this job was launched by Glue"):
        get_spark("job")


def test_a_job_run_by_hand_without_the_flag_says_how_to_run_it_locally(tmp_path):
    result = run("credit_features.py", "--input_path", str(tmp_path), "--output_path", str(tmp_path / "o"),
                 "--anomesdia", "20251029", DATAPLATFORM_SPARK_MASTER="")  # fmt: skip
    assert "not launched by Glue or spark-submit" in one_error_line(result)
