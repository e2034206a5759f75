"""The local Glue runner: Glue's argument order, clear errors, and a real run against moto."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import boto3
import pytest

from dataplatform.local_glue import LocalGlueJobError, glue_argv, local_script_path, run_glue_script_locally

REPO = Path(__file__).resolve().parents[2]
FIXTURE_JOBS = REPO / "tests" / "fixtures" / "spark_jobs"
log = logging.getLogger("test")


def test_arguments_follow_glue_order_and_run_arguments_override_defaults():
    create_job_kwargs = {"DefaultArguments": {"--TempDir": "s3://a/tmp/", "--mode": "default"}}
    assert glue_argv("job", "jr_1", create_job_kwargs, {"--mode": "run", "day": "2025-10-29"}) == [
        "--JOB_NAME", "job",
        "--JOB_RUN_ID", "jr_1",
        "--TempDir", "s3://a/tmp/",
        "--mode", "run",
        "--day", "2025-10-29",
    ]  # fmt: skip


def test_deployed_script_maps_to_the_checkout(monkeypatch):
    monkeypatch.delenv("DATAPLATFORM_SPARK_JOBS_DIR", raising=False)
    assert local_script_path("s3://dp-artifacts/glue/scripts/car_telemetry_bronze.py") == (
        REPO / "spark_jobs" / "car_telemetry_bronze.py"
    )


def test_missing_script_is_one_clear_line(monkeypatch, tmp_path):
    monkeypatch.setenv("DATAPLATFORM_SPARK_JOBS_DIR", str(tmp_path))
    with pytest.raises(LocalGlueJobError, match=r"Glue script .*/nope\.py not found"):
        local_script_path("s3://bucket/glue/scripts/nope.py")


def test_local_mode_refuses_to_run_without_local_servers(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with pytest.raises(LocalGlueJobError, match=r"run `make services-up`.*AWS_ENDPOINT_URL is not set"):
        run_glue_script_locally("job", "s3://b/job.py", {}, None, log)


def test_local_mode_refuses_an_endpoint_that_is_not_moto(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    with pytest.raises(LocalGlueJobError, match=r"AWS_ENDPOINT_URL http://127\.0\.0\.1:9 is not a local moto server"):
        run_glue_script_locally("job", "s3://b/job.py", {}, None, log)


@pytest.mark.integration
@pytest.mark.slow
def test_a_real_script_reads_and_writes_s3a_on_moto(aws_env, monkeypatch):
    monkeypatch.setenv("DATAPLATFORM_SPARK_JOBS_DIR", str(FIXTURE_JOBS))
    s3 = boto3.client("s3")
    s3.put_object(Bucket="dp-landing", Key="runner-test/in.json", Body=b'{"id": 1, "name": "a"}\n{"id": 2}\n')

    run_id = run_glue_script_locally(
        job_name="copy_json_to_parquet",
        script_location="s3://dp-artifacts/glue/scripts/copy_json_to_parquet.py",
        script_args={"--input_path": "s3a://dp-landing/runner-test/", "--output_path": "s3://dp-lake/runner-test"},
        create_job_kwargs={"DefaultArguments": {"--enable-metrics": "true", "--TempDir": "s3://dp-artifacts/tmp/"}},
        log=log,
    )

    counts = json.loads(s3.get_object(Bucket="dp-lake", Key=f"runner-test/_counts/{run_id}.json")["Body"].read())
    assert {key: counts[key] for key in ("job", "run_name", "read", "written")} == {
        "job": "copy_json_to_parquet", "run_name": run_id, "read": 2, "written": 2,
    }  # fmt: skip
    keys = [obj["Key"] for obj in s3.list_objects_v2(Bucket="dp-lake", Prefix="runner-test/")["Contents"]]
    assert any(key.endswith(".parquet") for key in keys), keys


@pytest.mark.integration
@pytest.mark.slow
def test_a_failing_script_fails_the_task_with_its_error_line(aws_env, monkeypatch):
    monkeypatch.setenv("DATAPLATFORM_SPARK_JOBS_DIR", str(FIXTURE_JOBS))
    with pytest.raises(LocalGlueJobError, match=r"exit code 2: error: copy_json_to_parquet: .*--output_path"):
        run_glue_script_locally(
            "copy_json_to_parquet", "s3://b/copy_json_to_parquet.py", {"--input_path": "s3a://dp-landing/x/"}, None, log
        )
