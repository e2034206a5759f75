"""The MWAA environment (Airflow 3.3.1), its execution role, and the Variables it reads from Secrets Manager.

The execution role holds what MWAA itself needs (its source bucket, its logs, its Celery queue, its
metrics) and what the DAGs do: start and watch the Glue jobs named after `spark_jobs/`, keep the
catalog's partitions, wait on landing, read the counts and manifests in the lake, write the Mongo
extracts (`raw/`) and the sensors' ledgers, pass the Glue role (and no other) to Glue, and read the
connections and Variables under `airflow/`.

The environment is created without plugins.zip and requirements.txt (they do not exist before the
first `make deploy`, and MWAA refuses paths to missing objects): the deploy sets them, with the exact
object versions, through UpdateEnvironment.
"""

from __future__ import annotations

import json

from aws_cdk import Aws, SecretValue, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_mwaa as mwaa
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from include.infra.glue import DATABASE, catalog_arns, job_arns
from include.infra.network import Network
from include.infra.storage import Buckets

AIRFLOW_VERSION = "3.3.1"
SECRETS_BACKEND = "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend"
CONNECTIONS_PREFIX = "airflow/connections"
VARIABLES_PREFIX = "airflow/variables"
DAGS_FOLDER = "dags"


def configuration_options() -> dict[str, str]:
    return {
        "secrets.backend": SECRETS_BACKEND,
        "secrets.backend_kwargs": json.dumps(
            {"connections_prefix": CONNECTIONS_PREFIX, "variables_prefix": VARIABLES_PREFIX}
        ),
        "dataplatform.platform": "mwaa",
    }


def variables(scope: Construct, store: Buckets, glue_role: iam.Role) -> list[secretsmanager.Secret]:
    """The settings the DAGs read as Variables `dataplatform_<name>` (not secret; kept beside the connections)."""
    values = {
        "landing_bucket": store.landing.bucket_name,
        "lake_bucket": store.lake.bucket_name,
        "artifacts_bucket": store.artifacts.bucket_name,
        "glue_role_arn": glue_role.role_arn,
        "glue_database": DATABASE,
    }
    return [
        secretsmanager.Secret(
            scope,
            f"Variable-{name}",
            secret_name=f"{VARIABLES_PREFIX}/dataplatform_{name}",
            secret_string_value=SecretValue.unsafe_plain_text(value),
            description=f"Airflow Variable dataplatform_{name}",
        )
        for name, value in values.items()
    ]


def _arn(scope: Construct, service: str, resource: str) -> str:
    stack = Stack.of(scope)
    return f"arn:{Aws.PARTITION}:{service}:{stack.region}:{stack.account}:{resource}"


def _statements(scope: Construct, name: str, glue_role: iam.Role) -> list[iam.PolicyStatement]:
    statement = iam.PolicyStatement
    environment_arn = _arn(scope, "airflow", f"environment/{name}")
    return [
        statement(sid="Metrics", actions=["airflow:PublishMetrics"], resources=[environment_arn]),
        statement(
            sid="AirflowLogs",
            actions=["logs:CreateLogStream", "logs:CreateLogGroup", "logs:PutLogEvents", "logs:GetLogEvents",
                     "logs:GetLogRecord", "logs:GetLogGroupFields", "logs:GetQueryResults"],
            resources=[_arn(scope, "logs", f"log-group:airflow-{name}-*")],
        ),
        # Not resource-scoped by AWS: the listing of log groups, the account's public access block, metrics.
        statement(sid="Describe", actions=["logs:DescribeLogGroups", "s3:GetAccountPublicAccessBlock"],
                  resources=["*"]),
        statement(sid="CloudWatch", actions=["cloudwatch:PutMetricData"], resources=["*"]),
        statement(
            sid="CeleryQueue",
            actions=["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl",
                     "sqs:ReceiveMessage", "sqs:SendMessage"],
            resources=[f"arn:{Aws.PARTITION}:sqs:{Stack.of(scope).region}:*:airflow-celery-*"],
        ),
        statement(
            sid="CeleryQueueKey",
            actions=["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey*", "kms:Encrypt"],
            # MWAA's queue uses an AWS owned key: any key outside this account, and only through SQS.
            not_resources=[f"arn:{Aws.PARTITION}:kms:*:{Stack.of(scope).account}:key/*"],
            conditions={"StringLike": {"kms:ViaService": [f"sqs.{Stack.of(scope).region}.amazonaws.com"]}},
        ),
        statement(
            sid="GlueJobs",
            actions=["glue:GetJob", "glue:CreateJob", "glue:UpdateJob", "glue:StartJobRun", "glue:GetJobRun",
                     "glue:GetJobRuns", "glue:BatchStopJobRun"],
            resources=job_arns(scope),
        ),
        statement(
            sid="GlueJobLogs",
            actions=["logs:GetLogEvents", "logs:FilterLogEvents", "logs:DescribeLogStreams"],
            resources=[_arn(scope, "logs", "log-group:/aws-glue/*")],
        ),
        statement(
            sid="Catalog",
            actions=["glue:GetDatabase", "glue:GetTable", "glue:CreateTable", "glue:UpdateTable",
                     "glue:BatchGetPartition", "glue:BatchCreatePartition", "glue:BatchUpdatePartition"],
            resources=catalog_arns(scope),
        ),
        statement(
            sid="PassGlueRoleToGlueOnly",
            actions=["iam:PassRole"],
            resources=[glue_role.role_arn],
            conditions={"StringEquals": {"iam:PassedToService": "glue.amazonaws.com"}},
        ),
        statement(sid="ReadGlueRole", actions=["iam:GetRole"], resources=[glue_role.role_arn]),
        statement(
            sid="ConnectionsAndVariables",
            actions=["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            resources=[_arn(scope, "secretsmanager", f"secret:{CONNECTIONS_PREFIX}/*"),
                       _arn(scope, "secretsmanager", f"secret:{VARIABLES_PREFIX}/*")],
        ),
    ]  # fmt: skip


def execution_role(scope: Construct, name: str, store: Buckets, glue_role: iam.Role) -> iam.Role:
    role = iam.Role(
        scope,
        "AirflowExecutionRole",
        assumed_by=iam.CompositePrincipal(
            iam.ServicePrincipal("airflow.amazonaws.com"), iam.ServicePrincipal("airflow-env.amazonaws.com")
        ),
        description="MWAA: its own needs, and what the DAGs do (Glue runs, catalog, landing, counts)",
    )
    for statement in _statements(scope, name, glue_role):
        role.add_to_policy(statement)
    store.artifacts.grant_read(role)  # DAGs, plugins.zip, requirements.txt
    store.landing.grant_read(role)  # the sensors
    store.lake.grant_read(role)  # counts and manifests
    # The Mongo extracts (`raw/`, multipart) and the sensors' empty-hour ledgers: nothing else in the lake.
    role.add_to_policy(
        iam.PolicyStatement(
            sid="LakeWrites",
            actions=["s3:PutObject", "s3:AbortMultipartUpload"],
            resources=[store.lake.arn_for_objects("raw/*"), store.lake.arn_for_objects("*/_ledgers/*")],
        )
    )
    return role


def deployer_policy(scope: Construct, name: str, store: Buckets) -> iam.ManagedPolicy:
    """What `make deploy` needs (attach it to the CI role or the people who deploy), and no more."""
    return iam.ManagedPolicy(
        scope,
        "DeployerPolicy",
        managed_policy_name=f"{name}-deployer",
        description=f"make deploy / make rollback for {name}",
        statements=[
            iam.PolicyStatement(
                sid="Environment",
                actions=["airflow:GetEnvironment", "airflow:UpdateEnvironment"],
                resources=[_arn(scope, "airflow", f"environment/{name}")],
            ),
            iam.PolicyStatement(
                sid="Bundle",
                actions=["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject",
                         "s3:ListBucket", "s3:GetBucketVersioning"],
                resources=[store.artifacts.bucket_arn, store.artifacts.arn_for_objects("*")],
            ),
            iam.PolicyStatement(
                sid="ArtifactsVariable",
                actions=["secretsmanager:GetSecretValue"],
                resources=[_arn(scope, "secretsmanager", f"secret:{VARIABLES_PREFIX}/dataplatform_artifacts_bucket*")],
            ),
            iam.PolicyStatement(
                sid="CodeVersion",
                actions=["secretsmanager:PutSecretValue", "secretsmanager:CreateSecret",
                         "secretsmanager:DescribeSecret"],
                resources=[_arn(scope, "secretsmanager", f"secret:{VARIABLES_PREFIX}/dataplatform_code_version*")],
            ),
        ],
    )  # fmt: skip


def environment(scope: Construct, name: str, store: Buckets, net: Network, role: iam.Role) -> mwaa.CfnEnvironment:
    return mwaa.CfnEnvironment(
        scope,
        "Airflow",
        name=name,
        airflow_version=AIRFLOW_VERSION,
        environment_class="mw1.small",
        min_workers=1,
        max_workers=5,
        schedulers=2,
        source_bucket_arn=store.artifacts.bucket_arn,
        dag_s3_path=DAGS_FOLDER,
        execution_role_arn=role.role_arn,
        network_configuration=mwaa.CfnEnvironment.NetworkConfigurationProperty(
            subnet_ids=net.private_subnet_ids, security_group_ids=[net.security_group.security_group_id]
        ),
        # The UI still asks for an IAM login; PRIVATE_ONLY needs a VPN or a bastion into the VPC.
        webserver_access_mode="PUBLIC_ONLY",
        airflow_configuration_options=configuration_options(),
        logging_configuration=mwaa.CfnEnvironment.LoggingConfigurationProperty(
            **{
                f"{part}_logs": mwaa.CfnEnvironment.ModuleLoggingConfigurationProperty(enabled=True, log_level="INFO")
                for part in ("dag_processing", "scheduler", "task", "webserver", "worker")
            }
        ),
    )
