"""How long `make services-up` takes: all servers together, warm (cache filled), and cold.

    .venv/bin/python benchmarks/services_start.py [--repeat 2] [--cold]

Warm: every download/build is in the cache, so this is start + readiness only (target < 45 s).
--cold: first runs the servers against an empty temporary cache (DATAPLATFORM_CACHE), so the
figure includes resolving the Kafka and OpenSearch jars from Maven Central and building
FerretDB with Go (minutes); the real cache is left alone.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_WARM_S = 45


def _timed(command: str, env: dict[str, str]) -> float:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "include.local.services", command], cwd=REPO, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"error: services {command} failed: {(result.stderr or result.stdout).strip()[-300:]}")
    return time.monotonic() - started


def _cycle(label: str, env: dict[str, str]) -> float:
    up = _timed("up", env)
    again = _timed("up", env)
    down = _timed("down", env)
    print(f"{label:28} up {up:6.1f} s   up again (running) {again:5.1f} s   down {down:5.1f} s")
    return up


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--cold", action="store_true", help="also time a start from an empty cache")
    args = parser.parse_args()
    env = dict(os.environ)
    _timed("down", env)
    if args.cold:
        with tempfile.TemporaryDirectory() as cache:
            _cycle("cold (empty cache)", {**env, "DATAPLATFORM_CACHE": cache})
    warm = [_cycle(f"warm #{i + 1}", env) for i in range(args.repeat)]
    print(
        f"\nwarm start of all servers: best {min(warm):.1f} s, target < {TARGET_WARM_S} s: "
        f"{'PASS' if max(warm) < TARGET_WARM_S else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
