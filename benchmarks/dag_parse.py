"""DAG parse time: the whole DagBag, and each DAG file against an empty DAG file, in one run.

    .venv/bin/python benchmarks/dag_parse.py [--repeat 5]

Each file is timed in a fresh interpreter that has already imported Airflow:
- "fresh": everything else the file imports (providers, plugins) is paid for by the file;
- "processor": as Airflow's DAG processor parses it: the manager pre-imports the `airflow.*`
  modules the file names (`[dag_processor] parsing_pre_import_modules`, on by default) and
  forks the parser, so only what is left is the file's own cost;
- "warm": re-execution, median of --repeat.
Targets: the whole dags/ folder under 2 s, no file over 300 ms (processor).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from include.local.env import local_env

REPO = Path(__file__).resolve().parents[1]
DAGS = REPO / "dags"
EMPTY_DAG = '''"""An empty DAG: the baseline."""
from datetime import datetime, timezone
from airflow.sdk import DAG
with DAG(dag_id="empty", start_date=datetime(2025, 1, 1, tzinfo=timezone.utc), schedule=None):
    pass
'''

TIME_FILE = r"""
import importlib, importlib.util, json, sys, time
import airflow.sdk  # the parser process has Airflow loaded already
path, repeat, pre_import = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "pre-import"
if pre_import:  # what the DAG processor does before it forks the parser of a file
    from airflow.utils.file import iter_airflow_imports
    for name in iter_airflow_imports(path):
        importlib.import_module(name)
times = []
for i in range(repeat):
    spec = importlib.util.spec_from_file_location(f"dagfile_{i}", path)
    module = importlib.util.module_from_spec(spec)
    started = time.perf_counter()
    spec.loader.exec_module(module)
    times.append(time.perf_counter() - started)
print(json.dumps(times))
"""

TIME_DAGBAG = r"""
import json, sys, time
from airflow.dag_processing.dagbag import DagBag
started = time.perf_counter()
bag = DagBag(dag_folder=sys.argv[1])
print(json.dumps({"seconds": time.perf_counter() - started, "dags": len(bag.dags), "errors": len(bag.import_errors)}))
"""


def _env() -> dict[str, str]:
    return {**os.environ, **local_env(with_services=False)}


def _run(code: str, *args: str) -> object:
    output = subprocess.run([sys.executable, "-c", code, *args], env=_env(), capture_output=True, text=True)
    if output.returncode != 0:
        raise SystemExit(f"error: timing failed: {output.stderr.strip().splitlines()[-1]}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat

    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty.py"
        empty.write_text(EMPTY_DAG)
        files = {"(empty DAG baseline)": empty, **{p.name: p for p in sorted(DAGS.glob("*.py"))}}
        fresh = {name: _run(TIME_FILE, str(path), str(repeat), "fresh") for name, path in files.items()}
        processor = {name: _run(TIME_FILE, str(path), "1", "pre-import")[0] for name, path in files.items()}
    bag = _run(TIME_DAGBAG, str(DAGS))

    baseline = processor["(empty DAG baseline)"]
    print(f"{'file':30} {'fresh ms':>9} {'processor ms':>13} {'warm ms':>8} {'processor/baseline':>19}")
    for name, times in fresh.items():
        warm = statistics.median(times[1:] or times) * 1000
        print(
            f"{name:30} {times[0] * 1000:9.1f} {processor[name] * 1000:13.1f} {warm:8.1f} "
            f"{processor[name] / baseline:18.1f}x"
        )
    slowest = max(seconds for name, seconds in processor.items() if not name.startswith("("))
    print(f"\nDagBag of dags/: {bag['seconds']:.2f} s for {bag['dags']} DAG(s), {bag['errors']} import error(s)")
    print(
        f"target dags/ < 2 s: {'PASS' if bag['seconds'] < 2 else 'FAIL'}; "
        f"slowest file {slowest * 1000:.0f} ms, target < 300 ms: {'PASS' if slowest < 0.3 else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
