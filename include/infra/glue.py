"""The Glue jobs' role and the Glue database.

The job names are the scripts in `spark_jobs/` (a Glue job runs `spark_jobs/<job>.py`, see
`dataplatform.glue`), read when the app is synthesised: a new pipeline's jobs enter the policies
with the next `cdk deploy`, without an edit here.
"""

from __future__ import annotations

from aws_cdk import Aws, Stack
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from constructs import Construct

from datalake.conventions import DEFAULTS
from include.infra.storage import Buckets
from include.local.paths import REPO_ROOT

DATABASE = DEFAULTS["glue_database"]
# Pipelines whose jobs keep run artifacts (models, metrics, charts) in the artifacts bucket, under
# `s3://<artifacts>/<prefix>/`: the Glue role writes there and nowhere else in that bucket (its code
# versions, DAGs and plugins stay read-only to it).
ARTIFACT_PREFIXES = ("crypto_ml",)


def glue_jobs() -> list[str]:
    return sorted(path.stem for path in (REPO_ROOT / "spark_jobs").glob("*.py"))


def catalog_arns(scope: Construct, database: str = DATABASE) -> list[str]:
    """The catalog, the database and its tables (Glue checks all three for table and partition calls)."""
    prefix = f"arn:{Aws.PARTITION}:glue:{Stack.of(scope).region}:{Stack.of(scope).account}"
    return [f"{prefix}:catalog", f"{prefix}:database/{database}", f"{prefix}:table/{database}/*"]


def job_arns(scope: Construct) -> list[str]:
    stack = Stack.of(scope)
    return [f"arn:{Aws.PARTITION}:glue:{stack.region}:{stack.account}:job/{job}" for job in glue_jobs()]


def database(scope: Construct) -> glue.CfnDatabase:
    return glue.CfnDatabase(
        scope,
        "GlueDatabase",
        catalog_id=Stack.of(scope).account,
        database_input=glue.CfnDatabase.DatabaseInputProperty(
            name=DATABASE, description="The data platform's tables (bronze, silver, gold, features)"
        ),
    )


def glue_role(scope: Construct, store: Buckets) -> iam.Role:
    role = iam.Role(
        scope,
        "GlueJobRole",
        assumed_by=iam.ServicePrincipal("glue.amazonaws.com"),
        description="What the Glue jobs may do: read landing, write the lake, read their code, the catalog, logs",
    )
    store.landing.grant_read(role)
    store.lake.grant_read_write(role)
    store.artifacts.grant_read(role, "glue/*")
    store.artifacts.grant_read_write(role, "glue/tmp/*")
    for prefix in ARTIFACT_PREFIXES:
        store.artifacts.grant_read_write(role, f"{prefix}/*")
    stack = Stack.of(scope)
    role.add_to_policy(
        iam.PolicyStatement(
            sid="Catalog",
            actions=[
                "glue:GetDatabase",
                "glue:GetTable",
                "glue:GetTables",
                "glue:CreateTable",
                "glue:UpdateTable",
                "glue:GetPartition",
                "glue:GetPartitions",
                "glue:BatchGetPartition",
                "glue:BatchCreatePartition",
                "glue:BatchUpdatePartition",
            ],
            resources=catalog_arns(scope),
        )
    )
    role.add_to_policy(
        iam.PolicyStatement(
            sid="JobLogs",
            actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[f"arn:{Aws.PARTITION}:logs:{stack.region}:{stack.account}:log-group:/aws-glue/*"],
        )
    )
    # PutMetricData has no resource to scope to; the namespace condition is the narrowing AWS offers.
    role.add_to_policy(
        iam.PolicyStatement(
            sid="JobMetrics",
            actions=["cloudwatch:PutMetricData"],
            resources=["*"],
            conditions={"StringEquals": {"cloudwatch:namespace": "Glue"}},
        )
    )
    return role
