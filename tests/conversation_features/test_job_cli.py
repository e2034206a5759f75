"""The conversation_features job exactly as Glue runs it: `python spark_jobs/conversation_features.py --arg value`.

A day of extract files (two gzip files, the extract's manifest, a duplicate, a quote and a comma in a
value, a bad line) -> the CSV byte for byte, the Parquet, the quarantine and the counts; a rerun gives
the same bytes; an empty day gives a header-only CSV; wrong arguments give one error line.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.jobs import GLUE_ARGS, one_error_line, run, succeeded

pytestmark = pytest.mark.slow

DAY = ["--window_start", "2025-10-29T00:00:00Z", "--window_end", "2025-10-30T00:00:00Z"]
HEADER = (
    "session_id,agent_name,model_provider,model_id,total_runs,total_input_tokens,total_output_tokens,total_tokens,"
    "avg_tokens_per_run,max_tokens_per_run,output_input_token_ratio,avg_run_time_s,max_run_time_s,total_run_time_s,"
    "avg_time_to_first_token_s,total_tool_calls,avg_tool_calls_per_run,distinct_tools,tool_error_count,"
    "tool_error_rate,failed_runs,failure_rate,session_start,session_end,session_duration_s,start_hour_utc,"
    "start_day_of_week,is_weekend,avg_seconds_between_runs\n"
)
FIRST_FILE = [
    {"_id": {"$oid": "6720a1"}, "session_id": "s-2", "agent_data": {"name": "bot", "model": {"id": 'gpt "mini", v2'}},
     "created_at": {"$date": "2025-10-29T23:59:59Z"}, "updated_at": {"$date": "2025-10-30T00:00:09Z"},
     "memory": {"runs": [{"created_at": 1761782399, "status": "Error", "metrics": {"total_tokens": [1, 2]}}]}},
    {"session_id": "s-1", "created_at": "2025-10-28T21:00:00-03:00", "updated_at": 1761696000},
]  # fmt: skip
SECOND_FILE = [
    {"session_id": "s-1", "created_at": "2025-10-29T00:00:00Z", "updated_at": 1761696060,
     "agent_data": {"name": "helper"}},
    "{not json",
]  # fmt: skip
EXPECTED_CSV = HEADER + (
    "s-1,helper,,,0,0,0,0,,,,,,0.0,,0,,0,0,,0,,2025-10-29T00:00:00Z,2025-10-29T00:01:00Z,60.0,0,3,false,\n"
    's-2,bot,,"gpt ""mini"", v2",1,0,0,3,3.0,3,,0.0,0.0,0.0,,0,0.0,0,0,,1,1.0,2025-10-29T23:59:59Z,'
    "2025-10-30T00:00:09Z,10.0,23,3,false,\n"
)


def _extract(folder: Path, *files: list, count: int | None = None) -> Path:
    folder.mkdir(parents=True)
    for index, documents in enumerate(files):
        text = "".join((d if isinstance(d, str) else json.dumps(d)) + "\n" for d in documents)
        (folder / f"part-{index:05d}.jsonl.gz").write_bytes(gzip.compress(text.encode(), mtime=0))
    total = sum(len(documents) for documents in files) if count is None else count
    (folder / "_manifest.json").write_text(json.dumps({"count": total}))
    return folder


def _job(input_path: Path, output_path: Path, *extra: str):
    return run("conversation_features.py", "--input_path", str(input_path), "--output_path", str(output_path),
               *DAY, *extra, *GLUE_ARGS)  # fmt: skip


def _counts(output: Path) -> dict:
    return json.loads((output / "_counts" / "20251029T000000Z_20251030T000000Z.json").read_text())


def test_a_day_of_sessions_then_a_rerun_gives_the_same_bytes(tmp_path):
    extract = _extract(tmp_path / "raw" / "dt=2025-10-29", FIRST_FILE, SECOND_FILE)
    output = tmp_path / "gold" / "dt=2025-10-29"

    succeeded(_job(extract, output))

    csv = output / "csv" / "conversation_features.csv"
    assert [p.name for p in (output / "csv").iterdir() if not p.name.startswith(".")] == [csv.name]
    assert csv.read_text(encoding="utf-8") == EXPECTED_CSV
    table = pq.read_table(output / "parquet")
    assert table.column_names[:3] == ["session_id", "agent_name", "model_provider"]
    assert table.column("session_id").to_pylist() == ["s-1", "s-2"]
    quarantined = [json.loads(line) for f in (output / "quarantine").glob("part-*.json") for line in f.open()]
    assert quarantined == [{"reason": "not a JSON object", "record": "{not json"}]
    counts = _counts(output)
    balance = ("read", "written", "quarantined", "superseded", "csv_rows", "extract_count")
    assert {key: counts[key] for key in balance} == {
        "read": 4, "written": 2, "quarantined": 1, "superseded": 1, "csv_rows": 2, "extract_count": 4,
    }  # fmt: skip
    manifest = json.loads((output / "_manifests" / "20251029T000000Z_20251030T000000Z.json").read_text())
    assert manifest["partitions"] == [{"dt": "2025-10-29"}]
    assert manifest["partition_keys"] == [{"Name": "dt", "Type": "string"}]

    succeeded(_job(extract, output))

    assert csv.read_text(encoding="utf-8") == EXPECTED_CSV
    assert pq.read_table(output / "parquet").equals(table)
    assert not (output / "_staging").exists()


def test_an_empty_day_writes_a_header_only_csv(tmp_path):
    extract = _extract(tmp_path / "raw", [])
    output = tmp_path / "gold"

    succeeded(_job(extract, output))

    assert (output / "csv" / "conversation_features.csv").read_text() == HEADER
    assert pq.read_table(output / "parquet").num_rows == 0
    counts = _counts(output)
    assert (counts["read"], counts["written"], counts["quarantined"], counts["superseded"]) == (0, 0, 0, 0)


def test_a_manifest_that_disagrees_with_the_files_fails_the_job(tmp_path):
    extract = _extract(tmp_path / "raw", FIRST_FILE, count=5)

    result = _job(extract, tmp_path / "gold")

    assert result.returncode != 0
    assert "the extract's manifest counts 5 documents, 2 lines were read" in result.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--window_end", "2025-10-31T00:00:00Z"], "error: the window must be one UTC day, not 2 days, 0:00:00"),
        (["--window_start", "2025-10-29T06:00:00Z", "--window_end", "2025-10-30T06:00:00Z"],
         "error: --window_start 2025-10-29T06:00:00Z is not on a UTC midnight boundary"),
        (["--window_end", "2025-10-28T00:00:00Z"],
         "error: --window_end 2025-10-28T00:00:00Z is not after --window_start"),
        (["--output-path", "x"],
         "error: conversation_features: unknown argument --output-path (did you mean --output_path?)"),
    ],
)  # fmt: skip
def test_wrong_arguments_are_one_error_line(tmp_path, arguments, message):
    result = _job(tmp_path / "raw", tmp_path / "gold", *arguments)

    assert one_error_line(result).startswith(message)


def test_a_missing_input_path_is_one_error_line(tmp_path):
    assert (
        one_error_line(_job(tmp_path / "nowhere", tmp_path / "gold"))
        == f"error: --input_path {tmp_path}/nowhere does not exist"
    )
