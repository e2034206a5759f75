"""MWAA's requirements.txt and the local pins describe the same Airflow."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;#]+)", line.strip())
        if match:
            pins[re.sub(r"\[.*\]", "", match.group(1).lower())] = match.group(2)
    return pins


def test_mwaa_requirements_start_with_the_airflow_3_3_1_python_3_12_constraints():
    first = (REPO / "requirements.txt").read_text().splitlines()[0]
    assert (
        first
        == '--constraint "https://raw.githubusercontent.com/apache/airflow/constraints-3.3.1/constraints-3.12.txt"'
    )


def test_mwaa_requirements_never_ship_spark():
    assert "pyspark" not in _pins(REPO / "requirements.txt")


def test_providers_match_between_mwaa_and_local():
    mwaa, local = _pins(REPO / "requirements.txt"), _pins(REPO / "requirements-dev.in")
    assert mwaa, "no pins in requirements.txt"
    assert {name: local.get(name) for name in mwaa} == mwaa
    assert local["apache-airflow"] == "3.3.1"
    assert local["pyspark"] == "3.5.6"


def test_lock_matches_the_pins():
    lock, wanted = _pins(REPO / "requirements-dev.lock"), _pins(REPO / "requirements-dev.in")
    assert {name: lock.get(name) for name in wanted} == wanted
