"""The discovery crawler: the provider's GlueCrawlerOperator with the house config, against the moto server.

moto stores crawlers and their runs but never crawls, so this checks the calls' effects: the
crawler it creates, that a second run with the same config neither recreates nor fails, and that
the config renders from the settings.
"""

from __future__ import annotations

import uuid

import boto3
import pytest

from datalake.conventions import table
from dataplatform.crawler import crawler_config, crawler_name, discovery_crawl

pytestmark = pytest.mark.integration
CREDIT_LANDING = table("credit", "transient", job="credit_transient")


def test_config_crawls_new_folders_only_and_never_deletes_from_the_catalog():
    config = crawler_config(CREDIT_LANDING, "s3://dp-landing/transient/credit/")
    assert config["Name"] == "dataplatform-credit_transient"
    assert config["Targets"] == {
        "S3Targets": [{"Path": "s3://dp-landing/transient/credit/", "Exclusions": ["**/_*", "**/.*"]}]
    }
    assert config["RecrawlPolicy"] == {"RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"}
    assert config["SchemaChangePolicy"] == {"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"}
    assert (
        config["Role"] == "{{ var.value.get('dataplatform_glue_role_arn', "
        "'arn:aws:iam::000000000000:role/dataplatform-glue') }}"
    )


def test_the_crawler_is_created_started_and_a_rerun_changes_nothing(aws_env):
    name = table("credit", f"t{uuid.uuid4().hex[:6]}")
    config = {**crawler_config(name, "s3://dp-landing/transient/credit/"), "Role": "arn:aws:iam::123:role/glue",
              "DatabaseName": "dataplatform"}  # fmt: skip
    operator = discovery_crawl("crawl", name, "s3://dp-landing/transient/credit/")
    operator.config = config  # rendered, as Airflow would
    operator.deferrable, operator.wait_for_completion = False, False

    assert operator.execute(context={}) == crawler_name(name)
    glue = boto3.client("glue")
    created = glue.get_crawler(Name=crawler_name(name))["Crawler"]
    assert created["Targets"]["S3Targets"][0]["Path"] == "s3://dp-landing/transient/credit/"
    assert created["RecrawlPolicy"] == {"RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"}
    assert created["DatabaseName"] == "dataplatform"

    glue.stop_crawler(Name=crawler_name(name))
    assert operator.execute(context={}) == crawler_name(name)  # same config: no update, just a new run
    assert glue.get_crawler(Name=crawler_name(name))["Crawler"]["Version"] == created["Version"]
