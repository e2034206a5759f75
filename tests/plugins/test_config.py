from __future__ import annotations

import pytest

from dataplatform.config import PlatformConfigError, platform_mode, setting


@pytest.mark.parametrize(("value", "mode"), [("local", "local"), ("mwaa", "mwaa"), (" MWAA ", "mwaa")])
def test_platform_comes_from_the_environment(monkeypatch, value, mode):
    monkeypatch.setenv("PLATFORM", value)
    assert platform_mode() == mode


def test_platform_defaults_to_local_and_reads_airflow_config(monkeypatch):
    monkeypatch.delenv("PLATFORM", raising=False)
    monkeypatch.delenv("AIRFLOW__DATAPLATFORM__PLATFORM", raising=False)
    assert platform_mode() == "local"
    monkeypatch.setenv("AIRFLOW__DATAPLATFORM__PLATFORM", "mwaa")
    assert platform_mode() == "mwaa"


def test_unknown_platform_is_one_clear_line(monkeypatch):
    monkeypatch.setenv("PLATFORM", "prod")
    with pytest.raises(PlatformConfigError, match=r"^unknown PLATFORM 'prod': set PLATFORM to one of local, mwaa$"):
        platform_mode()


def test_settings_are_templates_with_defaults():
    assert setting("lake_bucket") == "{{ var.value.get('dataplatform_lake_bucket', 'dp-lake') }}"
    with pytest.raises(KeyError, match="unknown setting 'lake'"):
        setting("lake")


def test_mwaa_without_the_platform_option_says_so(monkeypatch):
    monkeypatch.delenv("PLATFORM", raising=False)
    monkeypatch.delenv("AIRFLOW__DATAPLATFORM__PLATFORM", raising=False)
    monkeypatch.setenv("MWAA_AIRFLOW_COMPONENT", "worker")
    with pytest.raises(PlatformConfigError, match=r"MWAA environment .* dataplatform\.platform = mwaa"):
        platform_mode()
    monkeypatch.setenv("AIRFLOW__DATAPLATFORM__PLATFORM", "mwaa")
    assert platform_mode() == "mwaa"
