"""Write gzip JSON Lines to S3 as they are produced: multipart upload, files rotated at a size.

    with GzipPartFiles(s3, bucket, "raw/x/dt=2025-10-29/", part_bytes=8 << 20, file_bytes=256 << 20) as out:
        for line in lines:
            out.write(line)          # bytes, one JSON document and its newline
    out.files                        # [{"key", "size", "sha256", "count"}, ...]

Memory stays near one part (`part_bytes` of compressed data, plus zlib's own window) whatever
the size of the data: each part is uploaded once it fills, and a file is completed and a new one
begun once it reaches `file_bytes` (`part-00000.jsonl.gz`, `part-00001.jsonl.gz`, ...). The
gzip stream is deterministic (no timestamp in its header), so the same lines give the same bytes.

If anything fails, the open multipart upload is aborted (S3 would otherwise keep, and bill,
its parts); a file already completed stays, and the caller's retry overwrites or removes it.
"""

from __future__ import annotations

import hashlib
import io
import zlib

# S3's rules: every part but the last is at least 5 MiB; at most 10,000 parts per upload.
MIN_PART_BYTES = 5 << 20
MAX_PARTS = 10_000
GZIP_WBITS = 31  # zlib with a gzip header and trailer
FILE_NAME = "part-{index:05d}.jsonl.gz"


class _MultipartFile:
    """One object written by multipart upload from compressed bytes handed to `add`."""

    def __init__(self, s3, bucket: str, key: str, part_bytes: int):
        self.s3, self.bucket, self.key, self.part_bytes = s3, bucket, key, part_bytes
        self.upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key, ContentType="application/gzip")["UploadId"]
        self.parts: list[dict] = []
        self.buffer = io.BytesIO()
        self.sha256 = hashlib.sha256()
        self.size = 0

    def add(self, data: bytes) -> None:
        if not data:
            return
        self.buffer.write(data)
        self.sha256.update(data)
        self.size += len(data)
        if self.buffer.tell() >= self.part_bytes:
            self._upload_part()

    def _upload_part(self) -> None:
        number = len(self.parts) + 1
        if number > MAX_PARTS:
            raise ValueError(f"{self.key}: more than {MAX_PARTS} parts; raise part_bytes or lower file_bytes")
        body = self.buffer.getvalue()
        answer = self.s3.upload_part(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number, Body=body
        )
        self.parts.append({"PartNumber": number, "ETag": answer["ETag"]})
        self.buffer = io.BytesIO()

    def complete(self) -> dict:
        if self.buffer.tell() or not self.parts:
            self._upload_part()  # the last part may be small (or empty, for an empty file)
        self.s3.complete_multipart_upload(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, MultipartUpload={"Parts": self.parts}
        )
        self.upload_id = None
        return {"key": self.key, "size": self.size, "sha256": self.sha256.hexdigest(), "parts": len(self.parts)}

    def abort(self) -> None:
        if self.upload_id:
            self.s3.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id)
            self.upload_id = None


class GzipPartFiles:
    """Lines -> `<prefix>part-NNNNN.jsonl.gz` files of about `file_bytes` compressed bytes each."""

    def __init__(self, s3, bucket: str, prefix: str, part_bytes: int, file_bytes: int, level: int = 6):
        if part_bytes < MIN_PART_BYTES:
            raise ValueError(f"part_bytes {part_bytes} is below S3's minimum part size {MIN_PART_BYTES} (5 MiB)")
        if file_bytes < part_bytes:
            raise ValueError(f"file_bytes {file_bytes} is smaller than part_bytes {part_bytes}")
        self.s3, self.bucket, self.prefix = s3, bucket, prefix
        self.part_bytes, self.file_bytes, self.level = part_bytes, file_bytes, level
        self.files: list[dict] = []
        self._file: _MultipartFile | None = None
        self._zip = None
        self._count = 0

    def __enter__(self) -> GzipPartFiles:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        if kind is None:
            self.close()
        elif self._file:
            self._file.abort()

    def write(self, line: bytes) -> None:
        if self._file is None:
            self._open()
        self._file.add(self._zip.compress(line))
        self._count += 1
        if self._file.size >= self.file_bytes:
            self._finish_file()

    def close(self) -> list[dict]:
        """Complete the open file; with no line written at all, write one empty file (an empty extract)."""
        if self._file is None and not self.files:
            self._open()
        if self._file is not None:
            self._finish_file()
        return self.files

    def _open(self) -> None:
        key = self.prefix + FILE_NAME.format(index=len(self.files))
        self._zip = zlib.compressobj(self.level, zlib.DEFLATED, GZIP_WBITS)
        self._count = 0
        self._file = _MultipartFile(self.s3, self.bucket, key, self.part_bytes)

    def _finish_file(self) -> None:
        self._file.add(self._zip.flush())
        self.files.append({**self._file.complete(), "count": self._count})
        self._file = None
