"""File-system helpers that work the same on local paths, `s3a://` and Glue's `s3://`.

They go through Hadoop's FileSystem API of the running SparkSession, so the job needs no
second client for them and sees exactly what Spark will read. Paths are built from URIs, never
parsed as globs, so a key with `[`, `{`, `*` or `:` in it is just a name.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import SparkSession

HIDDEN_PREFIXES = (".", "_")


@dataclass(frozen=True)
class FileStatus:
    path: str  # the real path or URI, not URL-encoded (`s3a://bucket/a b.json`)
    modified_ms: int
    size: int


def _hadoop_path(spark: SparkSession, path: str):
    """A Hadoop Path for `path` taken literally (`new Path(String)` would choke on `:` in a name)."""
    jvm = spark.sparkContext._jvm
    scheme, separator, rest = path.partition("://")
    if separator:
        authority, _, key = rest.partition("/")
        uri = jvm.java.net.URI(scheme, authority, "/" + key, None, None)
    else:
        uri = jvm.java.io.File(path).getAbsoluteFile().toURI()
    return jvm.org.apache.hadoop.fs.Path(uri)


def _fs(spark: SparkSession, hadoop_path):
    return hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())


def _real_path(hadoop_path, scheme_prefix: str) -> str:
    """The decoded path, in the caller's spelling (`s3a://b/k` or `/tmp/k`)."""
    uri = hadoop_path.toUri()
    if scheme_prefix:
        return f"{scheme_prefix}{uri.getAuthority()}{uri.getPath()}"
    return str(uri.getPath())


def exists(spark: SparkSession, path: str) -> bool:
    hadoop_path = _hadoop_path(spark, path)
    return bool(_fs(spark, hadoop_path).exists(hadoop_path))


def is_file(spark: SparkSession, path: str) -> bool:
    hadoop_path = _hadoop_path(spark, path)
    fs = _fs(spark, hadoop_path)
    return bool(fs.exists(hadoop_path) and fs.getFileStatus(hadoop_path).isFile())


def list_files(spark: SparkSession, path: str, include_hidden: bool = False) -> list[FileStatus]:
    """Every file below `path`, recursively, skipping hidden and `_`-prefixed names (Spark's rule) unless asked."""
    hadoop_path = _hadoop_path(spark, path)
    fs = _fs(spark, hadoop_path)
    if not fs.exists(hadoop_path):
        return []
    scheme, separator, _ = path.partition("://")
    prefix = f"{scheme}://" if separator else ""
    root = str(hadoop_path.toUri().getPath()).rstrip("/")
    files = []
    iterator = fs.listFiles(hadoop_path, True)
    while iterator.hasNext():
        status = iterator.next()
        file_path = status.getPath()
        relative = str(file_path.toUri().getPath())[len(root) :]
        if not include_hidden and any(part.startswith(HIDDEN_PREFIXES) for part in relative.split("/") if part):
            continue
        files.append(FileStatus(_real_path(file_path, prefix), int(status.getModificationTime()), int(status.getLen())))
    return sorted(files, key=lambda f: f.path)


def list_children(spark: SparkSession, path: str) -> list[str]:
    """The names directly under `path` (files and folders), hidden ones included."""
    hadoop_path = _hadoop_path(spark, path)
    fs = _fs(spark, hadoop_path)
    if not fs.exists(hadoop_path):
        return []
    return sorted(str(status.getPath().getName()) for status in fs.listStatus(hadoop_path))


def write_text(spark: SparkSession, path: str, text: str) -> None:
    write_bytes(spark, path, text.encode("utf-8"))


def write_bytes(spark: SparkSession, path: str, data: bytes) -> None:
    hadoop_path = _hadoop_path(spark, path)
    stream = _fs(spark, hadoop_path).create(hadoop_path, True)
    try:
        stream.write(bytearray(data))
    finally:
        stream.close()


def read_text(spark: SparkSession, path: str) -> str:
    hadoop_path = _hadoop_path(spark, path)
    jvm = spark.sparkContext._jvm
    stream = _fs(spark, hadoop_path).open(hadoop_path)
    try:
        return str(jvm.org.apache.commons.io.IOUtils.toString(stream, "UTF-8"))
    finally:
        stream.close()


def delete(spark: SparkSession, path: str) -> bool:
    hadoop_path = _hadoop_path(spark, path)
    return bool(_fs(spark, hadoop_path).delete(hadoop_path, True))


def delete_if_empty(spark: SparkSession, path: str) -> bool:
    """Remove an empty folder; one that is not empty (another run just wrote into it) or gone is left as is.

    A non-recursive delete, so the emptiness check and the delete are one file-system call: a
    check-then-delete could remove a folder another run started filling in between.
    """
    from py4j.protocol import Py4JJavaError

    hadoop_path = _hadoop_path(spark, path)
    try:
        return bool(_fs(spark, hadoop_path).delete(hadoop_path, False))
    except Py4JJavaError:  # PathIsNotEmptyDirectoryException (or IOException on the local file system)
        return False


def rename(spark: SparkSession, source: str, target: str) -> None:
    """Move `source` to `target` (its parent is created); fails if the move does not happen."""
    source_path, target_path = _hadoop_path(spark, source), _hadoop_path(spark, target)
    fs = _fs(spark, source_path)
    fs.mkdirs(target_path.getParent())
    if not fs.rename(source_path, target_path):
        raise OSError(f"could not move {source} to {target}")
