"""Deployment settings and the `local` / `mwaa` switch.

Nothing here is read at DAG import time. `platform_mode()` is called when a task runs;
`setting()` returns a Jinja template that Airflow renders when a task runs, so a deployment
changes buckets or roles with Airflow Variables (`dataplatform_<name>`), never a DAG edit.
The defaults themselves live in `datalake.conventions.DEFAULTS`, shared with the Glue jobs
and the local tooling.
"""

from __future__ import annotations

import os

from airflow.sdk.exceptions import AirflowException

from datalake.conventions import DEFAULTS

PLATFORM_ENV = "PLATFORM"
MODES = ("local", "mwaa")
DEFAULT_MODE = "local"
# Set by MWAA in every Airflow container (scheduler, worker, webserver, ...).
MWAA_COMPONENT_ENV = "MWAA_AIRFLOW_COMPONENT"


class PlatformConfigError(AirflowException):
    """A configuration value is missing or wrong; the message says how to fix it."""


def on_mwaa() -> bool:
    return bool(os.environ.get(MWAA_COMPONENT_ENV))


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
    if mode == "local" and on_mwaa():
        raise PlatformConfigError(
            "this is an MWAA environment but the platform is 'local': add the Airflow configuration option "
            "dataplatform.platform = mwaa to the environment"
        )
    return mode


def setting(name: str, param: str | None = None) -> str:
    """A template that renders to the Variable `dataplatform_<name>` or its default.

    With `param`, the run's parameter of that name wins when it is set (a per-run override).
    """
    if name not in DEFAULTS:
        raise KeyError(f"unknown setting {name!r}; known: {', '.join(DEFAULTS)}")
    variable = "var.value.get('dataplatform_%s', '%s')" % (name, DEFAULTS[name])
    if param:
        return "{{ params.%s or %s }}" % (param, variable)
    return "{{ %s }}" % variable
