"""`make test`'s pytest part: the real-scheduler tests in a second pytest process, beside the rest.

    python -m include.run_tests [pytest arguments ...]

`tests/airflow/` drives a real Airflow (api-server, scheduler, DAG processor, triggerer) and spends
most of its ten-odd minutes waiting for the scheduler's loops; the rest of the suite is mostly
Spark, busy on both cores. Run one after the other they add up; run side by side the waiting
overlaps the work. The two processes share no server: the scheduler tests start PostgreSQL and
their own in-process moto, the rest start moto, Kafka, OpenSearch and FerretDB (each process
stops what it started). The second process's output goes to `.local/logs/pytest-airflow.log`
and its summary is printed at the end; the exit code is the first failure's.
"""

from __future__ import annotations

import subprocess
import sys

from include.local.paths import LOG_DIR

SCHEDULER_TESTS = "tests/airflow"
SUMMARY_LINES = 25


def main(argv: list[str]) -> int:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log_file = LOG_DIR / "pytest-airflow.log"
    pytest = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"]
    with open(log_file, "w") as log:
        scheduler = subprocess.Popen([*pytest, SCHEDULER_TESTS, *argv], stdout=log, stderr=subprocess.STDOUT)
        try:
            rest = subprocess.call([*pytest, "--ignore", SCHEDULER_TESTS, *argv])
            scheduler_code = scheduler.wait()
        finally:
            if scheduler.poll() is None:
                scheduler.terminate()
                scheduler.wait()
    lines = log_file.read_text(errors="replace").splitlines()
    print(f"\n===== {SCHEDULER_TESTS}, run alongside (whole log: {log_file}) =====")
    print("\n".join(lines[-SUMMARY_LINES:]))
    if rest or scheduler_code:
        print(f"make test: FAILED (rest of the suite exit {rest}, {SCHEDULER_TESTS} exit {scheduler_code})")
    return rest or scheduler_code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
