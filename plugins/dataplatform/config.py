"""Deployment settings and the `local` / `mwaa` switch.

Nothing here is read at DAG import time. `platform_mode()` is called when a task runs;
`setting()` returns a Jinja template that Airflow renders when a task runs, so a deployment
changes buckets or roles with Airflow Variables (`dataplatform_<name>`), never a DAG edit.
"""

from __future__ import annotations

import os

from airflow.exceptions import AirflowException

PLATFORM_ENV = "PLATFORM"
MODES = ("local", "mwaa")
DEFAULT_MODE = "local"

# Defaults for the settings a deployment may override with a Variable `dataplatform_<name>`.
DEFAULTS = {
    "landing_bucket": "dp-landing",
    "lake_bucket": "dp-lake",
    "artifacts_bucket": "dp-artifacts",
    "glue_iam_role": "dataplatform-glue",
    "glue_database": "dataplatform",
}


class PlatformConfigError(AirflowException):
    """A configuration value is missing or wrong; the message says how to fix it."""


def platform_mode() -> str:
    """`PLATFORM` from the environment, else `[dataplatform] platform` from airflow.cfg, else local.

    MWAA sets it as the Airflow configuration option `dataplatform.platform = mwaa`.
    """
    value = os.environ.get(PLATFORM_ENV)
    if not value:
        from airflow.configuration import conf

        value = conf.get("dataplatform", "platform", fallback=DEFAULT_MODE)
    mode = value.strip().lower()
    if mode not in MODES:
        raise PlatformConfigError(f"unknown PLATFORM {value!r}: set PLATFORM to one of {', '.join(MODES)}")
    return mode


def setting(name: str) -> str:
    """A template that renders to the Variable `dataplatform_<name>` or its default."""
    if name not in DEFAULTS:
        raise KeyError(f"unknown setting {name!r}; known: {', '.join(DEFAULTS)}")
    return "{{ var.value.get('dataplatform_%s', '%s') }}" % (name, DEFAULTS[name])
