"""Glue job receivables_aggregator: Kafka receivable events -> DynamoDB history -> one lifecycle document each.

    receivables_aggregator.py --bootstrap_servers HOST:PORT --checkpoint_path P --dead_letter_path P
        --search_url URL [--topics T1,T2,T3] [--table Recebiveis] [--index ciclo_vida_recebiveis]
        [--trigger available_now|processing_time] [--window_seconds 15] [--starting_offsets earliest|latest]
        [--search_auth none|sigv4] [--max_offsets_per_trigger N] [--progress_path P]
        [--counts_path P]

Spark Structured Streaming on the Kafka source. Each micro-batch (every `window_seconds` with
`processing_time`; as many as the backlog needs with `available_now`, which then stops) is
validated (refused messages to `dead_letter_path` with the reason), its events written to the
DynamoDB table (key `id_recebivel` + `<data_evento>#<id_evento>`), and every receivable it touched
gets its document recomputed from its whole history and indexed by id (`datalake.receivables.batch`).
The checkpoint (`checkpoint_path`, S3 in production) advances only after a batch's writes all
succeeded; every write is idempotent, so a batch run again after a crash changes nothing.
Counts (read = written + quarantined + superseded) go to `counts_path` when the run stops.
"""

from __future__ import annotations

import json
import os
import re
import signal
from collections import Counter
from pathlib import Path

import datalake
from datalake import storage
from datalake.cli import JobError, run_job
from datalake.job import JobRun, JobSpec
from datalake.receivables import batch, events, preflight
from datalake.session import KAFKA_PACKAGE, local_master

SPEC = JobSpec(
    name="receivables_aggregator",
    required=("bootstrap_servers", "checkpoint_path", "dead_letter_path", "search_url"),
    output="checkpoint_path",
    optional={
        "topics": ",".join(events.DEFAULT_TOPICS),
        "table": "Recebiveis",
        "index": "ciclo_vida_recebiveis",
        "trigger": "available_now",
        "window_seconds": "15",
        "starting_offsets": "earliest",
        "search_auth": "none",
        "max_offsets_per_trigger": None,
        "progress_path": None,
    },
)
# The last line of the Python traceback Spark wraps the batch's failure in.
BATCH_FAILURE = re.compile(r"(?:BatchFailed|ServiceDown): ([^\n]*)")
_STOP = {"requested": False}


def check_arguments(run: JobRun) -> dict:
    args = run.args
    return {
        "topics": preflight.topics(args.topics),
        "trigger": preflight.choice("trigger", args.trigger, preflight.TRIGGERS),
        "window_seconds": preflight.positive_int("window_seconds", args.window_seconds),
        "starting_offsets": preflight.choice("starting_offsets", args.starting_offsets, preflight.STARTING_OFFSETS),
        "search_auth": preflight.choice("search_auth", args.search_auth, ("none", "sigv4")),
        "max_offsets": preflight.positive_int("max_offsets_per_trigger", args.max_offsets_per_trigger),
    }


def _executors_find_the_shared_code() -> None:
    """Local PySpark's Python workers get the driver's PYTHONPATH (on Glue, `--extra-py-files` ships it)."""
    root = str(Path(datalake.__file__).resolve().parents[1])
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))


def start_query(run: JobRun, checked: dict, on_batch):
    reader = (
        run.spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", run.args.bootstrap_servers)
        .option("subscribe", ",".join(checked["topics"]))
        .option("startingOffsets", checked["starting_offsets"])
    )
    if checked["max_offsets"]:
        reader = reader.option("maxOffsetsPerTrigger", checked["max_offsets"])
    writer = (
        reader.load()
        .writeStream.queryName(SPEC.name)
        .foreachBatch(on_batch)
        .option("checkpointLocation", run.args.checkpoint_path)
    )
    if checked["trigger"] == "available_now":
        writer = writer.trigger(availableNow=True)
    else:
        writer = writer.trigger(processingTime=f"{checked['window_seconds']} seconds")
    return writer.start()


def progress_summary(progress: dict, totals: Counter) -> dict:
    """Spark's last progress report, reduced to what a watcher needs: rate, batch time, consumer lag."""
    lag = [source.get("metrics", {}).get("maxOffsetsBehindLatest") for source in progress.get("sources", [])]
    return {
        "at": progress.get("timestamp"),
        "batch_id": progress.get("batchId"),
        "input_rows_per_second": progress.get("inputRowsPerSecond"),
        "processed_rows_per_second": progress.get("processedRowsPerSecond"),
        "batch_duration_ms": progress.get("batchDuration"),
        "max_offsets_behind_latest": max((int(value) for value in lag if value is not None), default=None),
        "totals": {name: totals.get(name, 0) for name in ("read", "written", "quarantined", "documents_indexed")},
    }


def wait(query, on_progress) -> None:
    """Until the query ends, reporting each new progress; on SIGTERM (an operator's stop), stop between batches."""
    signal.signal(signal.SIGTERM, lambda *_: _STOP.update(requested=True))
    reported = None
    try:
        while not query.awaitTermination(1):
            progress = query.lastProgress
            if progress and progress.get("batchId") != reported:
                reported = progress.get("batchId")
                on_progress(progress)
            if _STOP["requested"] and not query.status["isTriggerActive"]:
                print("stop requested: stopping between two batches", flush=True)
                query.stop()
                return
    except Exception as error:  # StreamingQueryException: say which server failed, in one line
        found = BATCH_FAILURE.search(str(error))
        if found:
            raise JobError(f"batch failed, checkpoint not advanced: {found.group(1)}") from None
        raise


def main(argv: list[str] | None = None) -> dict:
    run = SPEC.parse(argv)
    checked = check_arguments(run)
    if local_master():
        _executors_find_the_shared_code()
    # DynamoDB and the search engine first: a server that is down is reported before a JVM starts.
    preflight.sinks(run.args.table, run.args.index, run.args.search_url, checked["search_auth"])
    run.start_spark((KAFKA_PACKAGE,))
    preflight.kafka_topics(run.spark, run.args.bootstrap_servers, checked["topics"])
    sinks = batch.Sinks(run.args.table, run.args.index, run.args.search_url, checked["search_auth"],
                        run.args.dead_letter_path)  # fmt: skip
    totals: Counter = Counter()

    def on_batch(frame, batch_id: int) -> None:
        result = batch.process(sinks, frame, batch_id)
        totals.update(result)
        print(f"batch {json.dumps({'batch_id': batch_id, **result}, sort_keys=True)}", flush=True)

    def on_progress(progress: dict) -> None:
        summary = json.dumps(progress_summary(progress, totals), sort_keys=True)
        print(f"progress {summary}", flush=True)
        if run.args.progress_path:
            storage.write_text(run.spark, run.args.progress_path, summary)

    wait(start_query(run, checked, on_batch), on_progress)
    counts = {name: totals.get(name, 0) for name in ("read", "written", "quarantined", "superseded")}
    counts.update({name: totals.get(name, 0) for name in ("documents_indexed", "receivables", "batches")})
    counts["seconds"] = {name: round(totals.get(name, 0.0), 3) for name in (*batch.TIMINGS, "batch_s")}
    return run.finish(counts)


if __name__ == "__main__":
    run_job(main)
