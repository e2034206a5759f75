#!/usr/bin/env bash
# `make setup`: everything the project needs on a fresh machine, idempotent and cached.
#   .venv (Python 3.11) with uv and requirements-dev.lock; the Spark connector jars in ~/.cache/dataplatform;
#   the local Airflow database in .local/airflow. A step whose inputs did not change is skipped.
set -euo pipefail
cd "$(dirname "$0")/../.."
UV_VERSION=0.13.8
STAMPS=.local/stamps
mkdir -p "$STAMPS" .local/logs

say() { printf 'setup: %s\n' "$*"; }
fail() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
"$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null \
  || fail "Python 3.11 is needed (Glue 5.1 runs 3.11); found $("$PYTHON" --version 2>&1). Set PYTHON=/path/to/python3.11"
command -v java >/dev/null 2>&1 || fail "Java 17 is needed for PySpark 3.5 (apt-get install openjdk-17-jre-headless)"
java -version 2>&1 | grep -q '"17' || fail "Java 17 is needed for PySpark 3.5; found: $(java -version 2>&1 | head -1)"

if [ ! -x .venv/bin/python ]; then
  say "creating .venv with $("$PYTHON" --version)"
  "$PYTHON" -m venv .venv
fi
if ! .venv/bin/uv --version 2>/dev/null | grep -q "$UV_VERSION"; then
  say "installing uv $UV_VERSION into .venv"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi

lock_hash=$(sha256sum requirements-dev.lock | cut -c1-16)
if [ "$(cat "$STAMPS/deps" 2>/dev/null)" != "$lock_hash" ]; then
  say "installing requirements-dev.lock"
  .venv/bin/uv pip sync --quiet --python .venv/bin/python requirements-dev.lock
  .venv/bin/uv pip install --quiet --python .venv/bin/python pip "uv==$UV_VERSION"
  echo "$lock_hash" > "$STAMPS/deps"
fi

# The project's packages (include, plugins/dataplatform, spark_jobs/datalake) importable from this
# venv wherever it runs (Airflow, jobs, tests, benchmarks): no sys.path edits anywhere else.
site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
printf '%s\n' "$PWD" "$PWD/plugins" "$PWD/spark_jobs" > "$site/dataplatform-checkout.pth"

eval "$(.venv/bin/python -m include.local.env)"
CACHE=$DATAPLATFORM_CACHE
mkdir -p "$CACHE"
jars_hash=$(grep -E 'PACKAGE' spark_jobs/datalake/session.py | sha256sum | cut -c1-16)
if [ "$(cat "$CACHE/jars.stamp" 2>/dev/null)" != "$jars_hash" ]; then
  say "resolving Spark connector jars from Maven Central into $CACHE/ivy (once per machine)"
  .venv/bin/python -m datalake.session > .local/logs/jars.log 2>&1 \
    || fail "could not resolve the Spark connector jars; see .local/logs/jars.log"
  echo "$jars_hash" > "$CACHE/jars.stamp"
fi

if [ ! -f .local/airflow/airflow.db ]; then
  say "creating the local Airflow database in .local/airflow"
  .venv/bin/airflow db migrate > .local/logs/airflow-db.log 2>&1 \
    || fail "airflow db migrate failed; see .local/logs/airflow-db.log"
fi
say "ready (.venv, Spark jars, Airflow db)"
