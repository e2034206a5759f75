"""Helpers for the receivables tests that talk to the real servers: topics, job runs, table and index dumps."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import boto3

from include.local.servers.kafka import create_topics
from include.sample_data import receivables as sample
from tests.jobs import REPO, command, job_env

SCRIPT = "receivables_aggregator.py"
BUCKET = "receivables-tests"


class Scenario:
    """One set of topics on the broker, and per run its own table, index, checkpoint and dead letter."""

    def __init__(self, env: dict[str, str], partitions: int = 1):
        self.env = env
        self.prefix = f"t{uuid.uuid4().hex[:8]}-"
        self.topics = [self.prefix + topic for topic in sample.TOPICS.values()]
        create_topics(env["KAFKA_BOOTSTRAP_SERVERS"], *self.topics, partitions=partitions)
        s3 = self.s3()
        if BUCKET not in {bucket["Name"] for bucket in s3.list_buckets()["Buckets"]}:
            s3.create_bucket(Bucket=BUCKET)

    def produce(self, triples) -> int:
        return sample.produce(self.env["KAFKA_BOOTSTRAP_SERVERS"], triples, self.prefix)

    def paths(self, name: str) -> dict[str, str]:
        root = f"s3a://{BUCKET}/{self.prefix}{name}"
        return {"checkpoint": f"{root}/checkpoint", "dead_letter": f"{root}/dead_letter",
                "counts": f"{root}/counts.json", "table": self.prefix + name, "index": self.prefix + name}  # fmt: skip

    def argv(self, name: str, *extra: str, search_url: str | None = None) -> list[str]:
        paths = self.paths(name)
        return [
            "--bootstrap_servers", self.env["KAFKA_BOOTSTRAP_SERVERS"], "--checkpoint_path", paths["checkpoint"],
            "--dead_letter_path", paths["dead_letter"], "--search_url", search_url or self.env["SEARCH_URL"],
            "--topics", ",".join(self.topics), "--table", paths["table"], "--index", paths["index"],
            "--counts_path", paths["counts"], *extra,
        ]  # fmt: skip

    def job_env(self) -> dict[str, str]:
        return job_env(**{key: value for key, value in self.env.items() if key.startswith("AWS_")})

    def run(self, name: str, *extra: str, search_url: str | None = None, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(command(SCRIPT, *self.argv(name, *extra, search_url=search_url)), cwd=REPO,
                              env={**self.job_env(), **env}, capture_output=True, text=True, timeout=600)  # fmt: skip

    def run_and_kill_after_first_batch(self, name: str, log: Path, *extra: str) -> None:
        """Start the job, kill -9 it (JVM included) as soon as its first batch is done: later batches are in flight."""
        progress = log.with_suffix(".progress.json")
        with open(log, "w") as output:
            process = subprocess.Popen(
                command(SCRIPT, *self.argv(name, *extra, "--progress_path", str(progress))), cwd=REPO,
                env=self.job_env(), stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 300
        while not progress.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert process.poll() is None, f"the job ended before it could be killed:\n{log.read_text()[-3000:]}"
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(30)

    def counts(self, name: str) -> dict:
        key = self.paths(name)["counts"].removeprefix(f"s3a://{BUCKET}/")
        return json.loads(self.s3().get_object(Bucket=BUCKET, Key=key)["Body"].read())

    def dead_letters(self, name: str) -> list[dict]:
        prefix = self.paths(name)["dead_letter"].removeprefix(f"s3a://{BUCKET}/") + "/"
        listed = self.s3().list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
        lines = []
        for entry in sorted(listed, key=lambda item: item["Key"]):
            body = self.s3().get_object(Bucket=BUCKET, Key=entry["Key"])["Body"].read().decode()
            lines.extend(json.loads(line) for line in body.splitlines())
        return lines

    def committed_batches(self, name: str) -> list[str]:
        prefix = self.paths(name)["checkpoint"].removeprefix(f"s3a://{BUCKET}/") + "/commits/"
        listed = self.s3().list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
        return sorted(entry["Key"].rsplit("/", 1)[1] for entry in listed if not entry["Key"].endswith((".crc", "/")))

    def _aws(self) -> dict[str, str]:
        return {"endpoint_url": self.env["AWS_ENDPOINT_URL"], "region_name": self.env["AWS_DEFAULT_REGION"],
                "aws_access_key_id": self.env["AWS_ACCESS_KEY_ID"],
                "aws_secret_access_key": self.env["AWS_SECRET_ACCESS_KEY"]}  # fmt: skip

    def s3(self):
        return boto3.client("s3", **self._aws())

    def table_items(self, name: str) -> list[dict]:
        table = boto3.resource("dynamodb", **self._aws()).Table(self.paths(name)["table"])
        items, page = [], {}
        while True:
            response = table.scan(**page)
            items.extend(response["Items"])
            if "LastEvaluatedKey" not in response:
                return sorted(items, key=lambda item: (item["id_recebivel"], item["sk"]))
            page = {"ExclusiveStartKey": response["LastEvaluatedKey"]}

    def documents(self, name: str) -> dict[str, dict]:
        """{_id: (_version, _source)} of every document in the run's index."""
        from opensearchpy import OpenSearch
        from opensearchpy.helpers import scan

        search = OpenSearch(hosts=[self.env["SEARCH_URL"]], timeout=30)
        index = self.paths(name)["index"]
        search.indices.refresh(index=index)
        hits = scan(search, index=index, query={"query": {"match_all": {}}, "version": True})
        return {hit["_id"]: (hit["_version"], hit["_source"]) for hit in hits}
