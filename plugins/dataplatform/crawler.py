"""Glue crawlers for data whose schema this team does not write (a landing zone others fill).

The provider's `GlueCrawlerOperator` already creates the crawler, updates it when its config
changed, and runs it; this module only holds the house config: one crawler per table, named
after it, crawling only new folders (so a daily crawl costs one day of data, not the history),
adding columns and partitions but never deleting anything from the catalog.

Tables the jobs write are registered from their manifests instead (`dataplatform.catalog`):
no schema guessing, and no crawl of a table that only grew by a few partitions.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.amazon.aws.operators.glue_crawler import GlueCrawlerOperator

from datalake.conventions import Table
from dataplatform.config import setting

CRAWLER_PREFIX = "dataplatform"


def crawler_name(table: Table) -> str:
    return f"{CRAWLER_PREFIX}-{table.name}"


def crawler_config(table: Table, s3_path: str, exclusions: list[str] | None = None) -> dict[str, Any]:
    """`create_crawler` arguments for one table at `s3_path` (templated settings render at run time)."""
    return {
        "Name": crawler_name(table),
        "Role": setting("glue_role_arn"),
        "DatabaseName": setting("glue_database"),
        "Description": f"discovers {table.layer} data of {table.dataset} (schema written by its producers)",
        "Targets": {"S3Targets": [{"Path": s3_path, "Exclusions": exclusions or ["**/_*", "**/.*"]}]},
        "TablePrefix": "",
        "RecrawlPolicy": {"RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"},
        "SchemaChangePolicy": {"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"},
        "Configuration": '{"Version": 1.0, "Grouping": {"TableGroupingPolicy": "CombineCompatibleSchemas"}}',
    }


def discovery_crawl(task_id: str, table: Table, s3_path: str, **kwargs: Any) -> GlueCrawlerOperator:
    """Create-or-update and run the table's crawler, waiting for it in the triggerer."""
    return GlueCrawlerOperator(
        task_id=task_id,
        config=crawler_config(table, s3_path),
        wait_for_completion=True,
        deferrable=True,
        **kwargs,
    )
