"""`make demo`: every pipeline that exists, locally, on sample data, with a readable summary.

Starts the local servers it needs (and stops the ones it started), runs each pipeline's DAG
through `airflow dags test` in local mode, and prints what each run read, wrote, quarantined
and registered. Full Airflow logs: .local/logs/demo-*.log.
"""

from __future__ import annotations

import logging
import os
import sys
import time

from include.demos import car_telemetry, conversation_features, credit_features, crypto_ml, receivables
from include.demos.airflow_run import DemoError
from include.local import services

# pipeline -> (the servers it needs, its demo)
PIPELINES = {
    "car_telemetry": (["moto"], car_telemetry.run),
    "conversation_features": (["moto", "ferretdb"], conversation_features.run),
    "credit_features": (["moto"], credit_features.run),
    "crypto_ml": (["moto"], crypto_ml.run),
    "receivables_lifecycle": (["moto", "kafka", "opensearch"], receivables.run),
}


def main() -> int:
    # The Airflow import (for settings) routes boto's INFO chatter to the console; the summary is the point.
    logging.getLogger("botocore").setLevel(logging.WARNING)
    needed = sorted({server for servers, _ in PIPELINES.values() for server in servers})
    already_running = {name for name in needed if services.read_running(name)}
    started_at = time.monotonic()
    try:
        print(f"demo: starting local servers: {', '.join(needed)}", flush=True)
        os.environ.update(services.ensure_up(needed))
        report = []
        for name, (_, demo) in PIPELINES.items():
            print(f"demo: running {name} ...", flush=True)
            report += demo()
    except (services.ServiceError, DemoError) as error:
        print(f"demo: error: {error}", file=sys.stderr)
        return 1
    finally:
        started_here = [name for name in needed if name not in already_running]
        if started_here:
            services.down(started_here)
    print("\n" + "=" * 78)
    print("\n".join(report))
    print("=" * 78)
    print(f"demo finished in {time.monotonic() - started_at:.0f}s; Airflow logs in .local/logs/demo-*.log")
    return 0


if __name__ == "__main__":
    sys.exit(main())
