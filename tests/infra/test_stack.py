"""The CDK stack, synthesised offline once per session (about half a minute: jsii starts Node), checked with
`aws_cdk.assertions` on the CloudFormation template: the resources, their key properties, encryption everywhere,
and the IAM policies' least privilege (no `*` action, `*` resources only for actions AWS cannot scope)."""

from __future__ import annotations

import json
import shutil

import pytest

from include.deploy import release
from include.deploy.__main__ import environment_name
from include.infra.glue import glue_jobs

# Actions AWS offers no resource (or only `*`) for; anything else on `*` is a failure.
UNSCOPED = {
    "cloudwatch:PutMetricData",
    "logs:DescribeLogGroups",
    "s3:GetAccountPublicAccessBlock",
}


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    if not shutil.which("node"):
        pytest.fail("the CDK synthesises through Node (jsii): install Node 20+ (apt-get install nodejs)")
    from include.infra.app import build

    app, stack = build("test", outdir=str(tmp_path_factory.mktemp("cdk.out")))
    app.synth()
    return stack


@pytest.fixture(scope="session")
def template(stack):
    from aws_cdk.assertions import Template

    return Template.from_stack(stack)


@pytest.fixture(scope="session")
def resources(template) -> dict[str, dict]:
    return template.to_json()["Resources"]


def _of_type(resources: dict, kind: str) -> dict[str, dict]:
    return {name: resource for name, resource in resources.items() if resource["Type"] == kind}


def _allow_statements(resources: dict) -> list[tuple[str, dict]]:
    found = []
    for name, resource in resources.items():
        properties = resource.get("Properties", {})
        documents = []
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            documents.append(properties["PolicyDocument"])
        if resource["Type"] == "AWS::IAM::Role":
            documents += [policy["PolicyDocument"] for policy in properties.get("Policies", [])]
        for document in documents:
            found += [(name, statement) for statement in document["Statement"] if statement["Effect"] == "Allow"]
    return found


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def test_the_stack_has_every_part(template, resources):
    from aws_cdk.assertions import Match

    for kind, count in {
        "AWS::S3::Bucket": 3,
        "AWS::MWAA::Environment": 1,
        "AWS::IAM::Role": 2,
        "AWS::Glue::Database": 1,
        "AWS::DynamoDB::Table": 1,
        "AWS::OpenSearchService::Domain": 1,
        "AWS::EC2::VPC": 1,
        "AWS::EC2::NatGateway": 1,
        "AWS::IAM::ManagedPolicy": 1,
    }.items():
        template.resource_count_is(kind, count)
    template.has_resource_properties("AWS::Glue::Database", {"DatabaseInput": {"Name": "dataplatform"}})
    assert not _of_type(resources, "AWS::Lambda::Function"), "no custom-resource Lambda slipped in"
    template.has_resource_properties("AWS::EC2::SecurityGroupIngress", {"IpProtocol": "-1", "SourceSecurityGroupId":
                                     Match.any_value()})  # fmt: skip
    print(f"\nsynthesised template: {len(resources)} resources")


def test_buckets_are_versioned_encrypted_tls_only_and_private(template, resources):
    buckets = _of_type(resources, "AWS::S3::Bucket")
    for name, bucket in buckets.items():
        properties = bucket["Properties"]
        assert properties["VersioningConfiguration"] == {"Status": "Enabled"}, name
        encryption = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms"), name
        assert properties["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }, name
    for policy in _of_type(resources, "AWS::S3::BucketPolicy").values():
        denies = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
        assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denies)
    landing = next(bucket for name, bucket in buckets.items() if name.startswith("Landing"))
    rules = {rule["Id"]: rule for rule in landing["Properties"]["LifecycleConfiguration"]["Rules"]}
    assert rules["expire-landed-files"]["ExpirationInDays"] == 30
    assert rules["expire-landed-files"]["Transitions"] == [{"StorageClass": "STANDARD_IA", "TransitionInDays": 7}]
    assert rules["abort-incomplete-uploads"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
    artifacts = next(bucket for name, bucket in buckets.items() if name.startswith("Artifacts"))
    artifact_rules = artifacts["Properties"]["LifecycleConfiguration"]["Rules"]
    assert [rule.get("Prefix") for rule in artifact_rules if "ExpirationInDays" in rule] == ["glue/tmp/"], (
        "old code versions never expire: a rollback needs them"
    )


def test_mwaa_runs_airflow_3_3_1_with_secrets_manager_in_two_private_subnets(resources):
    (environment,) = _of_type(resources, "AWS::MWAA::Environment").values()
    properties = environment["Properties"]
    assert properties["Name"] == environment_name("test")
    assert properties["AirflowVersion"] == "3.3.1"
    assert properties["DagS3Path"] == "dags"
    assert "PluginsS3Path" not in properties, "the first make deploy sets plugins (they do not exist before it)"
    assert properties["SourceBucketArn"] == {"Fn::GetAtt": [_name(resources, "Artifacts", "AWS::S3::Bucket"), "Arn"]}
    options = properties["AirflowConfigurationOptions"]
    assert options["secrets.backend"] == release.SECRETS_BACKEND, "what make deploy expects"
    assert json.loads(options["secrets.backend_kwargs"]) == {
        "connections_prefix": "airflow/connections",
        "variables_prefix": "airflow/variables",
    }
    assert options["dataplatform.platform"] == "mwaa"
    network = properties["NetworkConfiguration"]
    assert len(network["SubnetIds"]) == 2
    private = {name for name in _of_type(resources, "AWS::EC2::Subnet") if "private" in name}
    assert {subnet["Ref"] for subnet in network["SubnetIds"]} <= private
    assert all(properties["LoggingConfiguration"][part]["Enabled"] for part in properties["LoggingConfiguration"])


def _name(resources: dict, prefix: str, kind: str) -> str:
    (name,) = [name for name in _of_type(resources, kind) if name.startswith(prefix)]
    return name


def test_no_policy_allows_a_wildcard_action_and_star_resources_only_for_unscoped_actions(resources):
    statements = _allow_statements(resources)
    assert statements
    for owner, statement in statements:
        actions = _listed(statement["Action"])
        assert not [a for a in actions if a == "*" or a.endswith(":*")], f"{owner}: {actions}"
        if "*" in _listed(statement.get("Resource", [])):
            assert set(actions) <= UNSCOPED, f"{owner} allows {actions} on *"


def _role_statements(resources: dict, role_prefix: str) -> list[dict]:
    role = _name(resources, role_prefix, "AWS::IAM::Role")
    return [
        statement
        for owner, statement in _allow_statements(resources)
        if any(ref == {"Ref": role} for ref in resources[owner]["Properties"].get("Roles", []))
    ]


def test_the_execution_role_passes_only_the_glue_role_and_starts_only_the_project_jobs(resources):
    glue_role = _name(resources, "GlueJobRole", "AWS::IAM::Role")
    statements = _role_statements(resources, "AirflowExecutionRole")
    passes = [s for s in statements if "iam:PassRole" in _listed(s["Action"])]
    assert passes == [
        {
            "Sid": "PassGlueRoleToGlueOnly",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": {"Fn::GetAtt": [glue_role, "Arn"]},
            "Condition": {"StringEquals": {"iam:PassedToService": "glue.amazonaws.com"}},
        }
    ]
    (jobs,) = [s for s in statements if s.get("Sid") == "GlueJobs"]
    assert {"glue:StartJobRun", "glue:GetJobRun"} <= set(jobs["Action"])
    # Each ARN is Fn::Join of [..., ":job/<name>"].
    named = sorted(arn["Fn::Join"][1][-1].removeprefix(":job/") for arn in _listed(jobs["Resource"]))
    assert named == glue_jobs(), "one ARN per script in spark_jobs/, nothing broader"
    secrets = next(s for s in statements if s.get("Sid") == "ConnectionsAndVariables")
    assert set(secrets["Action"]) == {"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}
    trust = resources[_name(resources, "AirflowExecutionRole", "AWS::IAM::Role")]["Properties"]
    principals = {s["Principal"]["Service"] for s in trust["AssumeRolePolicyDocument"]["Statement"]}
    assert principals == {"airflow.amazonaws.com", "airflow-env.amazonaws.com"}


def test_the_glue_role_reaches_the_catalog_the_table_and_the_index_only(resources):
    statements = _role_statements(resources, "GlueJobRole")
    artifacts = _name(resources, "Artifacts", "AWS::S3::Bucket")
    written = sorted(
        resource["Fn::Join"][1][-1]
        for s in statements
        if "s3:PutObject" in _listed(s["Action"])
        for resource in _listed(s["Resource"])
        if "Fn::Join" in resource and resource["Fn::Join"][1][0] == {"Fn::GetAtt": [artifacts, "Arn"]}
    )
    assert written == ["/crypto_ml/*", "/glue/tmp/*"], "the Glue role never writes code, DAGs or plugins"
    actions = {action for s in statements for action in _listed(s["Action"])}
    assert {"glue:BatchCreatePartition", "dynamodb:PutItem", "dynamodb:Query", "es:ESHttpPost"} <= actions
    assert not {action for action in actions if action.startswith(("iam:", "airflow:", "secretsmanager:"))}


def test_receivables_table_and_search_domain_are_encrypted(template):
    template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "TableName": "Recebiveis",
            "KeySchema": [
                {"AttributeName": "id_recebivel", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            "BillingMode": "PAY_PER_REQUEST",
            "SSESpecification": {"SSEEnabled": True},
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        },
    )
    template.has_resource_properties(
        "AWS::OpenSearchService::Domain",
        {
            "EngineVersion": "OpenSearch_2.19",
            "EncryptionAtRestOptions": {"Enabled": True},
            "NodeToNodeEncryptionOptions": {"Enabled": True},
            "DomainEndpointOptions": {"EnforceHTTPS": True, "TLSSecurityPolicy": "Policy-Min-TLS-1-2-2019-07"},
        },
    )


def test_the_dags_settings_are_variables_in_secrets_manager(resources):
    names = {secret["Properties"]["Name"] for secret in _of_type(resources, "AWS::SecretsManager::Secret").values()}
    assert names == {
        f"airflow/variables/dataplatform_{name}"
        for name in ("landing_bucket", "lake_bucket", "artifacts_bucket", "glue_role_arn", "glue_database")
    }
    assert "airflow/variables/dataplatform_code_version" not in names, "make deploy owns the code version"
