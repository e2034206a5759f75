"""Every DAG file: imports cleanly with nothing configured, and follows the house rules."""

from __future__ import annotations

from pathlib import Path

from tests.dags.conftest import DAGS_FOLDER

DAG_FILES = sorted(path.stem for path in DAGS_FOLDER.glob("*.py") if not path.name.startswith("_"))


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}, f"DAG import errors: {dagbag.import_errors}"


def test_one_dag_per_file_named_after_its_id(dagbag):
    assert DAG_FILES, "no DAG files found"
    files_by_dag = {dag_id: Path(dag.fileloc).stem for dag_id, dag in dagbag.dags.items()}
    assert sorted(files_by_dag) == DAG_FILES, f"DAG ids {sorted(files_by_dag)} do not match files {DAG_FILES}"
    mismatched = {dag_id: stem for dag_id, stem in files_by_dag.items() if dag_id != stem}
    assert not mismatched, f"dag_id differs from its file's stem: {mismatched}"


def test_default_args_carry_owner_retries_delay_and_timeout(dagbag):
    for dag_id, dag in dagbag.dags.items():
        for task in dag.tasks:
            assert task.owner not in (None, "", "airflow"), f"{dag_id}.{task.task_id} has no owner"
            assert task.retries >= 2, f"{dag_id}.{task.task_id} retries={task.retries}"
            assert task.retry_delay, f"{dag_id}.{task.task_id} has no retry_delay"
            assert task.execution_timeout, f"{dag_id}.{task.task_id} has no execution_timeout"


def test_tags_doc_and_static_start_date(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags, f"{dag_id} has no tags"
        assert len(dag.doc_md or "") > 100, f"{dag_id} has no doc_md"
        assert dag.start_date is not None, f"{dag_id} has no start_date"
        assert dag.start_date.tzinfo is not None, f"{dag_id} start_date is not tz-aware"


def test_task_ids_unique_within_each_dag(dagbag):
    for dag_id, dag in dagbag.dags.items():
        task_ids = [task.task_id for task in dag.tasks]
        assert len(task_ids) == len(set(task_ids)), f"{dag_id} repeats task ids: {task_ids}"
