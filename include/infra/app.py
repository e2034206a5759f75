"""The CDK app: `python -m include.infra.app --env dev` synthesises the stack `dataplatform-dev` into
dist/cdk.out (offline: no AWS account is asked). `npx aws-cdk deploy --app "<that command>"` deploys it."""

from __future__ import annotations

import argparse
import os

# Node 20 (installed here) works, but jsii prints a banner about its end of life unless told it is known.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk
from constructs import Construct

from include.infra import airflow, glue, network, storage, stores
from include.local.paths import REPO_ROOT


def stack_name(env: str) -> str:
    return f"dataplatform-{env}"


class DataPlatformStack(cdk.Stack):
    def __init__(self, scope: Construct, env_name: str, **kwargs) -> None:
        super().__init__(scope, stack_name(env_name), **kwargs)
        name = stack_name(env_name)
        self.buckets = storage.buckets(self)
        self.network = network.network(self)
        self.glue_role = glue.glue_role(self, self.buckets)
        self.database = glue.database(self)
        self.stores = stores.stores(self, self.glue_role)
        self.variables = airflow.variables(self, self.buckets, self.glue_role)
        self.execution_role = airflow.execution_role(self, name, self.buckets, self.glue_role)
        self.airflow = airflow.environment(self, name, self.buckets, self.network, self.execution_role)
        self.deployer = airflow.deployer_policy(self, name, self.buckets)
        cdk.CfnOutput(self, "ArtifactsBucket", value=self.buckets.artifacts.bucket_name)
        cdk.CfnOutput(self, "AirflowEnvironment", value=name)
        cdk.Tags.of(self).add("project", "dataplatform")
        cdk.Tags.of(self).add("environment", env_name)


def build(env_name: str, outdir: str | None = None) -> tuple[cdk.App, DataPlatformStack]:
    app = cdk.App(outdir=outdir or str(REPO_ROOT / "dist" / "cdk.out"))
    account, region = os.environ.get("CDK_DEFAULT_ACCOUNT"), os.environ.get("CDK_DEFAULT_REGION")
    environment = cdk.Environment(account=account, region=region) if account and region else None
    return app, DataPlatformStack(app, env_name, env=environment)


def main() -> None:
    parser = argparse.ArgumentParser(description="Synthesise the data platform's stack (CloudFormation).")
    parser.add_argument("--env", default=os.environ.get("ENV", "dev"), help="dev, prod, ...")
    args = parser.parse_args()
    app, stack = build(args.env)
    assembly = app.synth()
    template = assembly.get_stack_by_name(stack.stack_name).template
    print(f"{stack.stack_name}: {len(template['Resources'])} resources in {assembly.directory}")


if __name__ == "__main__":
    main()
