"""The two MWAA API calls a deploy makes (GetEnvironment, UpdateEnvironment), answered in-process.

moto 5.2.5 (the moto server here) has no MWAA. This is NOT a server: it hooks a real boto3 `mwaa`
client's `before-send` event, so botocore still validates every request against the MWAA API model
and parses the answers with it; only the HTTP exchange is replaced. An update goes UPDATING for
`polls_per_update` GetEnvironment calls, then AVAILABLE (or UPDATE_FAILED with `fail_next_update`).
"""

from __future__ import annotations

import json
from urllib.parse import unquote, urlsplit

from botocore.awsrequest import AWSResponse


class _Body:
    def __init__(self, data: bytes):
        self.data = data

    def stream(self, **_kwargs):
        yield self.data


class MwaaStandIn:
    def __init__(self, name: str, bucket: str, options: dict[str, str], polls_per_update=2, journal=None):
        self.name = name
        self.environment = {
            "Name": name,
            "Arn": f"arn:aws:airflow:us-east-1:000000000000:environment/{name}",
            "Status": "AVAILABLE",
            "AirflowVersion": "3.3.1",
            "SourceBucketArn": f"arn:aws:s3:::{bucket}",
            "DagS3Path": "dags",
            "AirflowConfigurationOptions": dict(options),
        }
        self.polls_per_update = polls_per_update
        self.fail_next_update = False
        self.updates: list[dict] = []
        self.journal: list[str] = [] if journal is None else journal
        self._pending = 0

    def attach(self, client) -> None:
        client.meta.events.register("before-send.mwaa", self._answer)

    def _respond(self, request, status: int, body: dict, error: str | None = None) -> AWSResponse:
        headers = {"Content-Type": "application/json"}
        if error:
            headers["x-amzn-ErrorType"] = error
        return AWSResponse(request.url, status, headers, _Body(json.dumps(body).encode()))

    def _answer(self, request, **_kwargs):
        name = unquote(urlsplit(request.url).path.rstrip("/").rsplit("/", 1)[-1])
        if name != self.name:
            return self._respond(request, 404, {"message": f"{name} not found"}, "ResourceNotFoundException")
        if request.method == "GET":
            environment = self._poll()
            self.journal.append(f"GetEnvironment {environment['Status']}")
            return self._respond(request, 200, {"Environment": environment})
        if request.method == "PATCH":
            self.journal.append(f"UpdateEnvironment {self.name}")
            return self._respond(request, 200, self._update(json.loads(request.body)))
        return self._respond(request, 400, {"message": request.method}, "ValidationException")

    def _poll(self) -> dict:
        if self.environment["Status"] == "UPDATING":
            self._pending -= 1
            if self._pending <= 0:
                failed = self.fail_next_update
                self.environment["Status"] = "UPDATE_FAILED" if failed else "AVAILABLE"
                self.environment["LastUpdate"] = {"Status": "FAILED" if failed else "SUCCESS"}
                if failed:
                    self.environment["LastUpdate"]["Error"] = {"ErrorMessage": "requirements did not install"}
                    self.fail_next_update = False
                else:
                    self.environment.update(self._staged)
        return dict(self.environment)

    def _update(self, body: dict) -> dict:
        if self.environment["Status"] not in ("AVAILABLE", "UPDATE_FAILED"):
            raise AssertionError(f"UpdateEnvironment while {self.environment['Status']}")
        self.updates.append(body)
        self._staged = body
        self._pending = self.polls_per_update
        self.environment["Status"] = "UPDATING"
        return {"Arn": self.environment["Arn"]}
