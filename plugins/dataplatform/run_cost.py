"""What a Glue stage's run cost: its `ExecutionTime` and DPU-seconds from `GetJobRun`, priced per DPU-hour.

Each Glue stage pushes one record as the XCom `glue_cost`; `publish_counts` publishes them with the
run's counts. The price is the setting `glue_price_per_dpu_hour` (Variable `dataplatform_glue_price_per_dpu_hour`,
default the published $0.44 for Glue Spark jobs). Money is decimal: the cost is a string with 4 decimals.

With auto-scaling on, Glue reports the DPU-seconds it really used (`DPUSeconds`); without it, they are
ExecutionTime x the DPUs allocated (`MaxCapacity`, or workers x the worker type's DPUs). Glue's 1-minute
minimum per run is not added. In local mode the same fields are there, `mode` is `local`, the time is
the local run's and the DPU-seconds and cost are null (nothing was billed).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

COST_XCOM_KEY = "glue_cost"
DPU_PER_WORKER = {"G.025X": Decimal("0.25"), "G.1X": Decimal(1), "G.2X": Decimal(2), "G.4X": Decimal(4),
                  "G.8X": Decimal(8), "G.12X": Decimal(12), "G.16X": Decimal(16), "Standard": Decimal(1)}  # fmt: skip
CENTS = Decimal("0.0001")


def _dpu_seconds(job_run: dict[str, Any]) -> Decimal | None:
    if job_run.get("DPUSeconds") is not None:
        return Decimal(str(job_run["DPUSeconds"]))
    seconds = job_run.get("ExecutionTime")
    if seconds is None:
        return None
    if job_run.get("MaxCapacity"):
        return Decimal(seconds) * Decimal(str(job_run["MaxCapacity"]))
    per_worker = DPU_PER_WORKER.get(job_run.get("WorkerType", ""))
    if per_worker is None or not job_run.get("NumberOfWorkers"):
        return None
    return Decimal(seconds) * per_worker * job_run["NumberOfWorkers"]


def glue_run_cost(job: str, job_run: dict[str, Any], price_per_dpu_hour: str) -> dict[str, Any]:
    """The cost record of a Glue run (`GetJobRun`'s `JobRun`)."""
    price = Decimal(price_per_dpu_hour)
    dpu_seconds = _dpu_seconds(job_run)
    cost = None if dpu_seconds is None else (dpu_seconds / 3600 * price).quantize(CENTS, rounding=ROUND_HALF_UP)
    return {
        "mode": "mwaa",
        "job": job,
        "run_id": job_run.get("Id"),
        "state": job_run.get("JobRunState"),
        "execution_time_s": job_run.get("ExecutionTime"),
        "dpu_seconds": None if dpu_seconds is None else float(dpu_seconds),
        "price_per_dpu_hour": str(price),
        "cost_usd": None if cost is None else str(cost),
    }


def local_run_cost(job: str, run_id: str, execution_time_s: float, price_per_dpu_hour: str) -> dict[str, Any]:
    """The same record for a local run: nothing billed."""
    return {
        "mode": "local",
        "job": job,
        "run_id": run_id,
        "state": "SUCCEEDED",
        "execution_time_s": round(execution_time_s),
        "dpu_seconds": None,
        "price_per_dpu_hour": str(Decimal(price_per_dpu_hour)),
        "cost_usd": None,
    }


def run_total(costs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The run's stages and their sum (null when any stage's cost is unknown, or in local mode)."""
    known = [record["cost_usd"] for record in costs.values()]
    total = None if not known or None in known else str(sum((Decimal(cost) for cost in known), Decimal(0)))
    modes = sorted({record["mode"] for record in costs.values()})
    return {"mode": ",".join(modes) or None, "stages": costs, "total_usd": total}
