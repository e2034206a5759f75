"""Build what a deployment ships, into dist/ (`make dist`):

    dist/dags/                              -> the MWAA environment's dags/ folder
    dist/plugins.zip                        -> MWAA's plugins.zip: `dataplatform/`, its `.airflowignore`, and
                                               `datalake/conventions.py` (the naming rules DAGs and jobs share)
    dist/requirements.txt                   -> MWAA's requirements file
    dist/glue/<version>/scripts/<job>.py    -> s3://<artifacts>/glue/<version>/scripts/ (each Glue job's script)
    dist/glue/<version>/datalake.zip        -> s3://<artifacts>/glue/<version>/datalake.zip (`--extra-py-files`)

`<version>` is `--version` (default: the checkout's short commit, `dev` outside git); the DAGs pick
the version to run from the Variable `dataplatform_code_version`. Package files other than Python
(vocabularies, schemas) are shipped too; caches are not.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import zipfile
from pathlib import Path

from include.local.paths import REPO_ROOT

DIST = REPO_ROOT / "dist"
SKIPPED = ("__pycache__", ".pyc", ".pytest_cache")


def checkout_version() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return "dev"
    return commit.stdout.strip() or "dev"


def _package_files(source: Path) -> list[Path]:
    return sorted(
        path
        for path in source.rglob("*")
        if path.is_file() and not any(part in SKIPPED or part.endswith(SKIPPED) for part in path.parts)
    )


def _zip(archive: Path, files: list[tuple[Path, str]]) -> None:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path, name in files:
            zipped.write(path, name)


def build(version: str | None = None) -> list[Path]:
    version = version or checkout_version()
    shutil.rmtree(DIST, ignore_errors=True)
    glue = DIST / "glue" / version
    (glue / "scripts").mkdir(parents=True)
    shutil.copytree(REPO_ROOT / "dags", DIST / "dags", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO_ROOT / "requirements.txt", DIST / "requirements.txt")
    plugins, spark_jobs = REPO_ROOT / "plugins", REPO_ROOT / "spark_jobs"
    shared = [spark_jobs / "datalake" / "__init__.py", spark_jobs / "datalake" / "conventions.py"]
    _zip(
        DIST / "plugins.zip",
        [(plugins / ".airflowignore", ".airflowignore")]
        + [(path, str(path.relative_to(plugins))) for path in _package_files(plugins / "dataplatform")]
        + [(path, str(path.relative_to(spark_jobs))) for path in shared],
    )
    _zip(
        glue / "datalake.zip",
        [(path, str(path.relative_to(spark_jobs))) for path in _package_files(spark_jobs / "datalake")],
    )
    for script in sorted(spark_jobs.glob("*.py")):
        shutil.copy(script, glue / "scripts" / script.name)
    return sorted(path for path in DIST.rglob("*") if path.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description="Build the deployment artifacts into dist/.")
    parser.add_argument("--version", help="code version key (default: the short commit)")
    args = parser.parse_args()
    for path in build(args.version):
        print(path.relative_to(REPO_ROOT))


if __name__ == "__main__":
    main()
