"""Where local mode keeps its state. Everything generated lives under `.local/` (git-ignored)."""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCAL_DIR = REPO_ROOT / ".local"
LOG_DIR = LOCAL_DIR / "logs"
RUN_DIR = LOCAL_DIR / "run"
# Downloads (jars, binaries) are shared by every clone on the machine, like uv's own cache.
CACHE_DIR = Path(os.environ.get("DATAPLATFORM_CACHE") or Path.home() / ".cache" / "dataplatform")
SERVICES_ENV = LOCAL_DIR / "services.env"
AIRFLOW_HOME = LOCAL_DIR / "airflow"
VENV_BIN = REPO_ROOT / ".venv" / "bin"
