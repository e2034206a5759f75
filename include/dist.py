"""Build what a deployment ships, into dist/ (`make dist`):

    dist/dags/                      -> the MWAA environment's dags/ folder
    dist/plugins.zip                -> MWAA's plugins.zip (package `dataplatform` at the zip root)
    dist/requirements.txt           -> MWAA's requirements file
    dist/glue/scripts/<job>.py      -> s3://<artifacts>/glue/scripts/ (each Glue job's script)
    dist/glue/datalake.zip          -> s3://<artifacts>/glue/datalake.zip (`--extra-py-files`)

`--upload` also copies the glue/ artifacts to the artifacts bucket (`dataplatform_artifacts_bucket`,
default dp-artifacts) with boto3, i.e. to the moto server when local servers run.
"""

from __future__ import annotations

import argparse
import shutil
import zipfile
from pathlib import Path

from include.local.paths import REPO_ROOT

DIST = REPO_ROOT / "dist"


def _zip_package(source: Path, archive: Path) -> None:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(source.rglob("*.py")):
            zipped.write(path, path.relative_to(source.parent))


def build() -> list[Path]:
    shutil.rmtree(DIST, ignore_errors=True)
    (DIST / "glue" / "scripts").mkdir(parents=True)
    shutil.copytree(REPO_ROOT / "dags", DIST / "dags", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO_ROOT / "requirements.txt", DIST / "requirements.txt")
    _zip_package(REPO_ROOT / "plugins" / "dataplatform", DIST / "plugins.zip")
    _zip_package(REPO_ROOT / "spark_jobs" / "datalake", DIST / "glue" / "datalake.zip")
    for script in sorted((REPO_ROOT / "spark_jobs").glob("*.py")):
        shutil.copy(script, DIST / "glue" / "scripts" / script.name)
    return sorted(path for path in DIST.rglob("*") if path.is_file())


def upload(bucket: str) -> None:
    import boto3

    s3 = boto3.client("s3")
    for path in sorted((DIST / "glue").rglob("*")):
        if path.is_file():
            s3.upload_file(str(path), bucket, f"glue/{path.relative_to(DIST / 'glue')}")


def main() -> None:
    parser = argparse.ArgumentParser(description="Build the deployment artifacts into dist/.")
    parser.add_argument("--upload", metavar="BUCKET", help="also upload dist/glue/ to s3://BUCKET/glue/")
    args = parser.parse_args()
    for path in build():
        print(path.relative_to(REPO_ROOT))
    if args.upload:
        upload(args.upload)
        print(f"uploaded dist/glue/ to s3://{args.upload}/glue/")


if __name__ == "__main__":
    main()
