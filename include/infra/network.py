"""What MWAA requires of its network: two private subnets in two Availability Zones with a route out
(a NAT gateway: the workers reach AWS APIs, PyPI for requirements.txt, and the data sources) and a
security group that lets the environment's parts talk to each other."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_ec2 as ec2
from constructs import Construct


@dataclass
class Network:
    vpc: ec2.Vpc
    security_group: ec2.SecurityGroup

    @property
    def private_subnet_ids(self) -> list[str]:
        return [subnet.subnet_id for subnet in self.vpc.private_subnets]


def network(scope: Construct) -> Network:
    vpc = ec2.Vpc(
        scope,
        "Vpc",
        ip_addresses=ec2.IpAddresses.cidr("10.42.0.0/16"),
        max_azs=2,
        nat_gateways=1,
        subnet_configuration=[
            ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24),
            ec2.SubnetConfiguration(name="private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=20),
        ],
    )
    # S3 traffic (DAGs, logs of the buckets, the lake) stays off the NAT.
    vpc.add_gateway_endpoint("S3", service=ec2.GatewayVpcEndpointAwsService.S3)
    group = ec2.SecurityGroup(scope, "AirflowSecurityGroup", vpc=vpc, description="MWAA: its parts talk to each other")
    group.add_ingress_rule(group, ec2.Port.all_traffic(), "MWAA components within the environment")
    return Network(vpc=vpc, security_group=group)
