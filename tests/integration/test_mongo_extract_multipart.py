"""The extract's multipart upload against FerretDB and moto: several 5 MiB parts and a file rotation, a retry
that removes the stale file, a failure mid-upload that leaves no orphaned parts and whose retry is clean."""

from __future__ import annotations

import os

import pytest

from tests.integration.mongo_extract_support import (
    BUCKET,
    MANIFEST,
    MIB,
    START_S,
    extract_operator,
    mongo,
    open_uploads,
    read_lines,
    read_manifest,
    s3_keys,
)  # fmt: skip

pytestmark = pytest.mark.integration
__all__ = ["mongo"]  # the fixture, used by name


def _bulky(count: int) -> list[dict]:
    """Documents that gzip cannot shrink much (random text), so a few MiB of parts come from few documents."""
    return [{"_id": i, "created_at": START_S + i, "blob": os.urandom(12_000).hex()} for i in range(count)]


@pytest.fixture
def bulky(mongo):
    mongo["db"].sessions.insert_many(_bulky(1100))  # ~15 MB of gzip: 13.7 kB a document
    return mongo


def test_several_parts_and_a_rotation_then_a_retry_removes_the_stale_file(bulky, capsys):
    extract_operator(bulky, part_bytes=5 * MIB, file_bytes=11 * MIB, batch_size=100).execute(context={})

    files = read_manifest(bulky)["files"]
    assert [(f["key"].rsplit("/", 1)[1], f["parts"]) for f in files] == [
        ("part-00000.jsonl.gz", 3),
        ("part-00001.jsonl.gz", 1),
    ]
    assert sum(f["count"] for f in files) == 1100
    ids = [line["_id"] for f in files for line in read_lines(f["key"].split(f"{BUCKET}/", 1)[1])]
    assert sorted(ids) == list(range(1100))
    assert files[0]["size"] >= 11 * MIB

    # A retry with bigger files writes one file and removes the second file of the earlier attempt.
    extract_operator(bulky, part_bytes=5 * MIB, file_bytes=64 * MIB).execute(context={})

    assert s3_keys(bulky["prefix"]) == [bulky["prefix"] + MANIFEST, bulky["prefix"] + "part-00000.jsonl.gz"]
    assert read_manifest(bulky)["count"] == 1100
    assert "removed stale" in capsys.readouterr().out


class _FailingS3:
    """The real client, except that upload_part fails from the n-th call on (a network cut mid-upload)."""

    def __init__(self, client, fail_at: int):
        self._client, self._fail_at, self.calls = client, fail_at, 0

    def upload_part(self, **kwargs):
        self.calls += 1
        if self.calls >= self._fail_at:
            raise ConnectionError("connection reset while uploading a part")
        return self._client.upload_part(**kwargs)

    def __getattr__(self, name):
        return getattr(self._client, name)


def test_a_failure_mid_upload_aborts_it_and_the_retry_gives_the_clean_output(bulky, monkeypatch):
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    real_get_conn = S3Hook.get_conn
    monkeypatch.setattr(S3Hook, "get_conn", lambda self: _FailingS3(real_get_conn(self), fail_at=2))
    with pytest.raises(ConnectionError):
        extract_operator(bulky, part_bytes=5 * MIB, file_bytes=64 * MIB).execute(context={})

    assert open_uploads(bulky["prefix"]) == [], "the failed attempt left its parts in S3"
    assert s3_keys(bulky["prefix"]) == []

    monkeypatch.setattr(S3Hook, "get_conn", real_get_conn)
    extract_operator(bulky, part_bytes=5 * MIB, file_bytes=64 * MIB).execute(context={})
    assert read_manifest(bulky)["count"] == 1100
