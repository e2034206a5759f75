"""File-system helpers that work the same on local paths, `s3a://` and Glue's `s3://`.

They go through Hadoop's FileSystem API of the running SparkSession, so the job needs no
second client (boto3) and sees exactly what Spark will read.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import SparkSession


@dataclass(frozen=True)
class FileStatus:
    path: str
    modified_ms: int
    size: int


def _fs_and_path(spark: SparkSession, path: str):
    jvm = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    return hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), hadoop_path


def exists(spark: SparkSession, path: str) -> bool:
    fs, hadoop_path = _fs_and_path(spark, path)
    return bool(fs.exists(hadoop_path))


def list_files(spark: SparkSession, path: str) -> list[FileStatus]:
    """Every file below `path`, recursively, skipping hidden and `_`-prefixed names (Spark's rule)."""
    fs, hadoop_path = _fs_and_path(spark, path)
    if not fs.exists(hadoop_path):
        return []
    files = []
    iterator = fs.listFiles(hadoop_path, True)
    while iterator.hasNext():
        status = iterator.next()
        file_path = status.getPath()
        relative = str(file_path.toUri().getPath())[len(str(hadoop_path.toUri().getPath())) :]
        if any(part.startswith((".", "_")) for part in relative.split("/") if part):
            continue
        files.append(FileStatus(str(file_path), int(status.getModificationTime()), int(status.getLen())))
    return sorted(files, key=lambda f: f.path)


def write_text(spark: SparkSession, path: str, text: str) -> None:
    fs, hadoop_path = _fs_and_path(spark, path)
    stream = fs.create(hadoop_path, True)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()


def read_text(spark: SparkSession, path: str) -> str:
    return "\n".join(row.value for row in spark.read.text(path).collect())


def delete(spark: SparkSession, path: str) -> bool:
    fs, hadoop_path = _fs_and_path(spark, path)
    return bool(fs.delete(hadoop_path, True))
