"""The three buckets: landing (what arrives, expires), lake (the tables), artifacts (MWAA's source and Glue code)."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_s3 as s3
from constructs import Construct

# Landing files are read by the hour they landed; after that the bronze table and its ledger hold them.
LANDING_EXPIRY_DAYS = 30
LANDING_TO_INFREQUENT_ACCESS_DAYS = 7
# Glue's --TempDir (`s3://<artifacts>/glue/tmp/`): scratch space, a week is plenty.
GLUE_TMP_EXPIRY_DAYS = 7


@dataclass
class Buckets:
    landing: s3.Bucket
    lake: s3.Bucket
    artifacts: s3.Bucket


def _bucket(scope: Construct, name: str, rules: list[s3.LifecycleRule]) -> s3.Bucket:
    return s3.Bucket(
        scope,
        name,
        versioned=True,
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        lifecycle_rules=[
            s3.LifecycleRule(id="abort-incomplete-uploads", abort_incomplete_multipart_upload_after=Duration.days(7)),
            *rules,
        ],
    )


def buckets(scope: Construct) -> Buckets:
    landing = _bucket(
        scope,
        "Landing",
        [
            s3.LifecycleRule(
                id="expire-landed-files",
                transitions=[
                    s3.Transition(
                        storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                        transition_after=Duration.days(LANDING_TO_INFREQUENT_ACCESS_DAYS),
                    )
                ],
                expiration=Duration.days(LANDING_EXPIRY_DAYS),
                noncurrent_version_expiration=Duration.days(7),
            )
        ],
    )
    # Overwritten partitions leave noncurrent versions: keep them a month for recovery, not forever.
    lake = _bucket(scope, "Lake", [s3.LifecycleRule(id="noncurrent", noncurrent_version_expiration=Duration.days(30))])
    # Old code versions stay (a rollback needs them); only Glue's scratch space expires.
    artifacts = _bucket(
        scope,
        "Artifacts",
        [s3.LifecycleRule(id="glue-tmp", prefix="glue/tmp/", expiration=Duration.days(GLUE_TMP_EXPIRY_DAYS))],
    )
    return Buckets(landing=landing, lake=lake, artifacts=artifacts)
