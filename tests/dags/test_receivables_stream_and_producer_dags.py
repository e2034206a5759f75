"""receivables_stream (start, watch, stop) and receivables_producer (a form, one producer per topic): their shapes."""

from __future__ import annotations

import json
from decimal import Decimal

from airflow.providers.apache.kafka.operators.produce import ProduceToTopicOperator

from dataplatform import receivables_producer
from dataplatform.streaming import StartStreamingJobOperator, StreamingJobSensor
from tests.dags.conftest import render


def test_the_stream_dag_branches_to_start_and_watch_or_to_stop(dagbag):
    dag = dagbag.get_dag("receivables_stream")
    assert set(dag.task_ids) == {"choose_action", "start_stream", "watch_stream", "stop_stream"}
    assert dag.get_task("start_stream").upstream_task_ids == {"choose_action"}
    assert dag.get_task("stop_stream").upstream_task_ids == {"choose_action"}
    assert dag.get_task("watch_stream").upstream_task_ids == {"start_stream"}
    assert dag.params["action"] == "start"


def test_the_stream_runs_processing_time_on_its_own_checkpoint_as_a_glue_streaming_job(dagbag):
    dag = dagbag.get_dag("receivables_stream")
    start = dag.get_task("start_stream")
    assert isinstance(start, StartStreamingJobOperator)
    args = render(dag, start.script_args)
    assert {key: args[key] for key in ("--trigger", "--checkpoint_path", "--dead_letter_path", "--progress_path")} == {
        "--trigger": "processing_time",
        "--checkpoint_path": "s3://dp-lake/stream/receivables/_checkpoints/stream",
        "--dead_letter_path": "s3://dp-lake/quarantine/receivables/stream",
        "--progress_path": "s3://dp-lake/stream/receivables/_checkpoints/stream_progress.json",
    }
    kwargs = render(dag, start.create_job_kwargs)
    assert kwargs["Command"] == {"Name": "gluestreaming", "PythonVersion": "3"}
    assert "Timeout" not in kwargs, "a stream runs until stopped"


def test_the_watcher_reschedules_and_reads_the_progress_the_job_writes(dagbag):
    dag = dagbag.get_dag("receivables_stream")
    watch = dag.get_task("watch_stream")
    assert isinstance(watch, StreamingJobSensor)
    assert watch.mode == "reschedule"
    assert render(dag, watch.progress_path) == "s3://dp-lake/stream/receivables/_checkpoints/stream_progress.json"


def test_the_producer_has_a_form_and_one_mapped_producer_per_topic_keyed_by_receivable(dagbag):
    dag = dagbag.get_dag("receivables_producer")
    assert {name: dag.params[name] for name in dag.params} == {
        "receivables": 100,
        "events_per_second": 50,
        "bad_share": 0.05,
    }
    produce = dag.get_task("produce")
    assert produce.operator_class is ProduceToTopicOperator or issubclass(
        produce.operator_class, ProduceToTopicOperator
    )
    topics = [kwargs["topic"] for kwargs in produce.expand_input.value]
    assert topics == ["recebiveis-agendados", "recebiveis-cancelados", "recebiveis-negociados"]


def test_the_producer_function_sends_its_topics_share_keyed_by_receivable_with_bad_messages():
    every = {
        topic: list(receivables_producer.events(topic, 40, 100000, 0.5, "T1"))
        for topic in ("recebiveis-agendados", "recebiveis-cancelados", "recebiveis-negociados")
    }
    scheduled = [json.loads(value) for _key, value in every["recebiveis-agendados"] if value.startswith('{"id_rec')]
    assert len([s for s in scheduled if s.get("tipo_evento") == "AGENDADO" and "id_evento" in s]) >= 40
    for topic, pairs in every.items():
        for key, value in pairs:
            assert key.startswith("REC-T1-"), (topic, key)
            if value.startswith("{") and '"valor": "' in value and "id_evento" in value:
                document = json.loads(value)
                assert document["id_recebivel"] == key
    values = [value for pairs in every.values() for _key, value in pairs]
    assert any(not value.startswith('{"id_re') for value in values), "bad messages are part of the run"
    cancelled = [json.loads(v) for _k, v in every["recebiveis-cancelados"] if v.startswith('{"id_recebivel"')]
    assert all(Decimal(event["valor"]) >= 0 for event in cancelled if event.get("tipo_evento") == "CANCELADO")
