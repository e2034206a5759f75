"""Create-or-update and run a Glue crawler from a config dict: first-time discovery of data.

moto's crawlers never crawl and it lacks `update_crawler`, so this is tested by the calls it
makes; pipelines whose jobs write a manifest use `dataplatform.catalog` instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.amazon.aws.hooks.glue_crawler import GlueCrawlerHook
from airflow.providers.amazon.aws.operators.base_aws import AwsBaseOperator
from airflow.providers.amazon.aws.triggers.glue_crawler import GlueCrawlerCompleteTrigger
from airflow.providers.amazon.aws.utils import validate_execute_complete_event
from airflow.providers.amazon.aws.utils.mixins import aws_template_fields
from botocore.exceptions import ClientError

from dataplatform.catalog import CatalogSyncError

if TYPE_CHECKING:
    from airflow.sdk import Context


class GlueCrawlerSyncOperator(AwsBaseOperator[GlueCrawlerHook]):
    """Create the crawler if missing, update it if its config changed, start it, optionally wait.

    For first-time discovery of data no job wrote a manifest for; pipelines whose jobs write
    a manifest use `GlueCatalogPartitionsOperator` instead (no crawl, no schema guessing).

    :param config: `create_crawler` arguments: Name, Role, DatabaseName, Targets, ...
    :param wait_for_completion: wait until the crawl finishes (fails if the crawl fails).
    :param poll_interval: seconds between status checks while waiting.
    :param deferrable: wait in the triggerer instead of holding a worker slot.
    """

    aws_hook_class = GlueCrawlerHook
    template_fields: Sequence[str] = aws_template_fields("config")
    ui_color = "#ededed"

    def __init__(
        self,
        *,
        config: dict[str, Any],
        wait_for_completion: bool = True,
        poll_interval: int = 15,
        deferrable: bool = False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.config = config
        self.wait_for_completion = wait_for_completion
        self.poll_interval = poll_interval
        self.deferrable = deferrable

    def execute(self, context: Context) -> str:
        name = self.config["Name"]
        if not self.hook.has_crawler(name):
            self.hook.create_crawler(**self.config)
            self.log.info("created crawler %s", name)
        elif self._update(name):
            self.log.info("updated crawler %s", name)
        else:
            self.log.info("crawler %s is up to date", name)
        try:
            self.hook.start_crawler(name)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "CrawlerRunningException":
                raise
            # Typically a retry of this task: follow the crawl already under way.
            self.log.warning("crawler %s is already running; following that crawl", name)
        if self.deferrable:
            self.defer(
                trigger=GlueCrawlerCompleteTrigger(
                    crawler_name=name,
                    waiter_delay=self.poll_interval,
                    aws_conn_id=self.aws_conn_id,
                    region_name=self.region_name,
                    verify=self.verify,
                    botocore_config=self.botocore_config,
                ),
                method_name="execute_complete",
            )
        elif self.wait_for_completion:
            status = self.hook.wait_for_crawler_completion(crawler_name=name, poll_interval=self.poll_interval)
            self.log.info("crawler %s finished: %s", name, status)
        return name

    def _update(self, name: str) -> bool:
        try:
            return self.hook.update_crawler(**self.config)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "CrawlerRunningException":
                raise
            self.log.warning("crawler %s is running, so it was not updated; the next run will update it", name)
            return False

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> str:
        validated = validate_execute_complete_event(event)
        if validated["status"] != "success":
            raise CatalogSyncError(f"crawler {self.config['Name']} failed: {validated}")
        return self.config["Name"]
