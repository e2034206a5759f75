"""`python -m include.deploy deploy --env dev` / `rollback --env dev [--to VERSION]` / `history --env dev`.

AWS credentials and region come the way boto3 finds them (profile, environment, role). Errors are one line.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from include.deploy.release import Clients, DeployError, deploy, discover, read_history, rollback
from include.dist import DIST


def environment_name(env: str) -> str:
    return os.environ.get("DEPLOY_MWAA_ENVIRONMENT") or f"dataplatform-{env}"


def aws_clients() -> Clients:
    return Clients(s3=boto3.client("s3"), mwaa=boto3.client("mwaa"), secrets=boto3.client("secretsmanager"))


class _Print(logging.Handler):
    """The deploy's steps on stdout (whatever stdout is at the time: a test may have replaced it)."""

    def emit(self, record: logging.LogRecord) -> None:
        print(f"deploy: {record.getMessage()}", flush=True)


def _log_steps() -> None:
    logger = logging.getLogger("deploy")
    if not any(isinstance(handler, _Print) for handler in logger.handlers):
        logger.addHandler(_Print())
    logger.setLevel(logging.INFO)
    logger.propagate = False


def main(argv: list[str] | None = None, clients: Clients | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m include.deploy", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["deploy", "rollback", "history"])
    parser.add_argument("--env", required=True, help="dev, prod, ...: the MWAA environment dataplatform-<env>")
    parser.add_argument("--dist", type=Path, default=DIST, help="the bundle (make dist), default dist/")
    parser.add_argument("--to", help="rollback: the version to go back to (default: the one before the current)")
    parser.add_argument("--poll-seconds", type=float, default=30, help="how often to ask MWAA about an update")
    args = parser.parse_args(argv)
    _log_steps()
    clients = clients or aws_clients()
    name, wait = environment_name(args.env), (args.poll_seconds, 7200)
    try:
        if args.command == "deploy":
            release = deploy(clients, name, args.dist, wait)
        elif args.command == "rollback":
            release = rollback(clients, name, args.to, wait)
        else:
            print(json.dumps(read_history(clients, discover(clients, name)), indent=2))
            return 0
    except DeployError as error:
        print(f"deploy: error: {error}", file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError) as error:
        # No credentials, no network, access denied: AWS's own message, on one line.
        print(f"deploy: error: AWS: {' '.join(str(error).split())}", file=sys.stderr)
        return 1
    print(f"deploy: {name} runs {release.version} ({release.action})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
