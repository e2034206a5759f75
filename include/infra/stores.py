"""receivables_lifecycle's stores: the DynamoDB table `Recebiveis` (every event) and the OpenSearch domain
(one document per receivable in `ciclo_vida_recebiveis`). Only the Glue role may write to them."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_opensearchservice as opensearch
from constructs import Construct

TABLE = "Recebiveis"
# The same major as the local search server (2.19), so the index mapping means the same thing.
SEARCH_ENGINE = opensearch.EngineVersion.OPENSEARCH_2_19


@dataclass
class Stores:
    table: dynamodb.Table
    search: opensearch.Domain


def stores(scope: Construct, glue_role: iam.Role) -> Stores:
    table = dynamodb.Table(
        scope,
        "Receivables",
        table_name=TABLE,
        # One item per event: the receivable, then `<data_evento>#<id_evento>` (a rewrite changes nothing).
        partition_key=dynamodb.Attribute(name="id_recebivel", type=dynamodb.AttributeType.STRING),
        sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption=dynamodb.TableEncryption.AWS_MANAGED,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        removal_policy=RemovalPolicy.RETAIN,
    )
    table.grant(
        glue_role,
        *("dynamodb:DescribeTable", "dynamodb:PutItem", "dynamodb:BatchWriteItem", "dynamodb:Query"),
        *("dynamodb:GetItem", "dynamodb:BatchGetItem"),
    )
    search = opensearch.Domain(
        scope,
        "Search",
        version=SEARCH_ENGINE,
        capacity=opensearch.CapacityConfig(
            data_nodes=1, data_node_instance_type="t3.medium.search", multi_az_with_standby_enabled=False
        ),
        ebs=opensearch.EbsOptions(volume_size=20),
        encryption_at_rest=opensearch.EncryptionAtRestOptions(enabled=True),
        node_to_node_encryption=True,
        enforce_https=True,
        tls_security_policy=opensearch.TLSSecurityPolicy.TLS_1_2,
        removal_policy=RemovalPolicy.RETAIN,
    )
    # No resource policy: requests are SigV4-signed (opensearch-py's AWSV4SignerAuth) and only identities whose
    # own policy allows the index get in, which is the Glue role's, for this index and bulk writes.
    search.grant_index_read_write("ciclo_vida_recebiveis", glue_role)
    search.grant_path_read_write("_bulk", glue_role)
    return Stores(table=table, search=search)
