"""`python -m helpbot.with_health MODULE`: the scheduler's and console's wrapper serves
/healthz, /readyz and /metrics while the module runs, and passes its exit status on."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

TARGET = """
import json, os, sys, urllib.error, urllib.request
base = "http://127.0.0.1:" + os.environ["HELPBOT_HEALTH_PORT"]
def get(path):
    try:
        with urllib.request.urlopen(base + path, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
print(json.dumps({p: get(p) for p in ("/healthz", "/readyz", "/metrics")}))
sys.exit(int(sys.argv[1]))
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "probe_target.py").write_text(TARGET)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HELPBOT_")}
    clean |= {
        "PYTHONPATH": f"{tmp_path}{os.pathsep}{REPO}",
        "HELPBOT_DATA_DIR": str(tmp_path / "data"),
        "HELPBOT_HEALTH_PORT": str(free_port()),
    } | env
    return subprocess.run(
        [sys.executable, "-m", "helpbot.with_health", *args],
        env=clean,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_module_runs_beside_the_health_endpoints(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    result = run(tmp_path, "probe_target", "5")
    assert result.returncode == 5, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["/healthz"] == [200, "ok"]
    status, body = seen["/readyz"]
    assert status == 200 and json.loads(body)["checks"] == {"database": "ok", "store": "ok"}
    assert "helpbot_reindex_runs" in seen["/metrics"][1]


def test_a_database_that_stays_down_exits_3_before_the_module_runs(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://u:pw@127.0.0.1:{free_port()}/db"
    result = run(
        tmp_path, "probe_target", "0", HELPBOT_DATABASE_URL=url, HELPBOT_DB_CONNECT_TIMEOUT_S="1"
    )
    assert result.returncode == 3
    assert result.stdout == ""
    assert "not reachable" in result.stderr and "pw@" not in result.stderr, result.stderr
