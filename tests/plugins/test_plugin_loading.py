"""Airflow's plugin loader and plugins/: the shared package is imported once, under its package name."""

from __future__ import annotations

import sys
from pathlib import Path

from airflow._shared.plugins_manager.plugins_manager import _load_plugins_from_plugin_directory

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"


def test_the_loader_does_not_import_plugin_modules_a_second_time_under_bare_names():
    modules = {path.stem for path in (PLUGINS / "dataplatform").glob("*.py") if path.stem != "__init__"}
    before = set(sys.modules)
    _plugins, errors = _load_plugins_from_plugin_directory(str(PLUGINS))
    added = set(sys.modules) - before
    assert errors == {}
    assert added & modules == set(), f"imported again under bare names: {sorted(added & modules)}"


def test_plugins_airflowignore_covers_the_shared_package():
    assert (PLUGINS / ".airflowignore").read_text().split() == ["dataplatform/"]
