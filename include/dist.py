"""Build what a deployment ships, into dist/ (`make dist`):

    dist/dags/                              -> s3://<artifacts>/dags/ (MWAA's DAGs folder, with its .airflowignore)
    dist/plugins.zip                        -> s3://<artifacts>/plugins.zip: `dataplatform/`, its `.airflowignore`,
                                               and `datalake/conventions.py` (the naming rules DAGs and jobs share)
    dist/requirements.txt                   -> s3://<artifacts>/requirements.txt (its first line: the constraints)
    dist/glue/<version>/scripts/<job>.py    -> s3://<artifacts>/glue/<version>/scripts/ (each Glue job's script)
    dist/glue/<version>/datalake.zip        -> s3://<artifacts>/glue/<version>/datalake.zip (`--extra-py-files`)
    dist/manifest.json                      -> what went where, with sizes and sha256, and the version

`<version>` is `--version` (default: the checkout's short commit, with `-dirty` when tracked files
differ from it; `dev` outside git); the DAGs pick the version to run from the Variable
`dataplatform_code_version`, which `make deploy` moves. Package files other than Python
(vocabularies, schemas) are shipped too; caches are not.

Reproducible: the same commit gives the same bytes. Zip entries are sorted, dated 1980-01-01 and
stored with mode 0644, and the manifest holds nothing that depends on when or where it was built.

No `startup.sh`: the workers need no OS package, no binary and no environment variable beyond
what MWAA's image and `requirements.txt` give (Spark and Java run in Glue, not on the workers;
settings are Airflow configuration options and Variables). MWAA runs one only when the
environment names it, so none is shipped rather than an empty one.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

from include.local.paths import REPO_ROOT

DIST = REPO_ROOT / "dist"
SKIPPED = ("__pycache__", ".pyc", ".pytest_cache")
MANIFEST = "manifest.json"
# The earliest date a zip entry can carry: no build clock in the bytes.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout.strip()


def checkout_version() -> str:
    """The short commit, `-dirty` when tracked files differ from it; `dev` outside git."""
    try:
        commit = _git("rev-parse", "--short=12", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return "dev"
    if not commit:
        return "dev"
    return f"{commit}-dirty" if dirty else commit


def _package_files(source: Path) -> list[Path]:
    return sorted(
        path
        for path in source.rglob("*")
        if path.is_file() and not any(part in SKIPPED or part.endswith(SKIPPED) for part in path.parts)
    )


def write_zip(archive: Path, files: list[tuple[Path, str]]) -> None:
    """A zip whose bytes depend only on the files' names and contents."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path, name in sorted(files, key=lambda item: item[1]):
            entry = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            entry.external_attr = (0o100000 | FILE_MODE) << 16
            entry.create_system = 3
            entry.compress_type = zipfile.ZIP_DEFLATED
            zipped.writestr(entry, path.read_bytes(), compresslevel=9)


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    target.chmod(FILE_MODE)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_manifest(version: str, dist: Path = DIST) -> Path:
    """`dist/manifest.json`: every shipped file, its S3 key under the artifacts bucket, size and sha256."""
    files = sorted(path for path in dist.rglob("*") if path.is_file() and path.name != MANIFEST)
    glue = f"glue/{version}"
    manifest = {
        "version": version,
        "glue_prefix": glue,
        "glue_jobs": sorted(path.stem for path in (dist / glue / "scripts").glob("*.py")),
        "dags": sorted(str(path.relative_to(dist)) for path in files if path.is_relative_to(dist / "dags")),
        "plugins": "plugins.zip",
        "requirements": "requirements.txt",
        "startup_script": None,
        "files": [
            {"path": str(path.relative_to(dist)), "bytes": path.stat().st_size, "sha256": _sha256(path)}
            for path in files
        ],
    }
    target = dist / MANIFEST
    target.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return target


def build(version: str | None = None) -> list[Path]:
    version = version or checkout_version()
    if not version or "/" in version or version.startswith("."):
        raise ValueError(f"version {version!r} cannot be an S3 key segment")
    shutil.rmtree(DIST, ignore_errors=True)
    glue = DIST / "glue" / version
    (glue / "scripts").mkdir(parents=True)
    dags = REPO_ROOT / "dags"
    for path in _package_files(dags):
        _copy(path, DIST / "dags" / path.relative_to(dags))
    _copy(REPO_ROOT / "requirements.txt", DIST / "requirements.txt")
    plugins, spark_jobs = REPO_ROOT / "plugins", REPO_ROOT / "spark_jobs"
    shared = [spark_jobs / "datalake" / "__init__.py", spark_jobs / "datalake" / "conventions.py"]
    write_zip(
        DIST / "plugins.zip",
        [(plugins / ".airflowignore", ".airflowignore")]
        + [(path, str(path.relative_to(plugins))) for path in _package_files(plugins / "dataplatform")]
        + [(path, str(path.relative_to(spark_jobs))) for path in shared],
    )
    write_zip(
        glue / "datalake.zip",
        [(path, str(path.relative_to(spark_jobs))) for path in _package_files(spark_jobs / "datalake")],
    )
    for script in sorted(spark_jobs.glob("*.py")):
        _copy(script, glue / "scripts" / script.name)
    write_manifest(version)
    return sorted(path for path in DIST.rglob("*") if path.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description="Build the deployment artifacts into dist/.")
    parser.add_argument("--version", help="code version key (default: the short commit, -dirty if changed)")
    args = parser.parse_args()
    for path in build(args.version):
        print(path.relative_to(REPO_ROOT))


if __name__ == "__main__":
    main()
