"""`python -m pipelines.worker` as a real process: it runs a job of its kinds, serves /readyz
and /metrics (job states, jobs run by outcome), and a SIGTERM stops it cleanly."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from knowledge.db import jobs
from knowledge.db.connection import Database
from knowledge.settings import Settings
from tests.conftest import REPO


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_the_worker_process_runs_jobs_serves_health_and_stops_on_sigterm(
    settings: Settings, tmp_path: Path
) -> None:
    db = Database(settings.sql_url)
    db.upgrade()
    bad = jobs.enqueue(db, "evaluate", {}, created_by="ana")  # no version_id: fails fast
    other = jobs.enqueue(db, "dataset_build", {}, created_by="ana")
    port = _free_port()
    env = {
        **os.environ,
        "HELPBOT_DATA_DIR": str(settings.data_dir),
        "HELPBOT_HEALTH_PORT": str(port),
        "HELPBOT_WORKER_POLL_SECONDS": "0.2",
        "HELPBOT_WORKER_KINDS": '["evaluate"]',
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "pipelines.worker", "--worker-id", "proc-1"],
        cwd=REPO,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while jobs.get_job(db, bad).state != "failed":  # type: ignore[union-attr]
            assert worker.poll() is None, worker.stderr.read() if worker.stderr else ""
            assert time.monotonic() < deadline, "the job never ran"
            time.sleep(0.1)
        failed = jobs.get_job(db, bad)
        assert failed is not None and failed.error is not None
        assert "PayloadError: evaluate jobs need 'version_id' in their payload" in failed.error
        assert jobs.get_job(db, other).state == "queued", "not one of its kinds"  # type: ignore[union-attr]
        status, body = _get(port, "/readyz")
        assert status == 200 and json.loads(body)["checks"] == {"database": "ok", "worker": "ok"}
        status, metrics = _get(port, "/metrics")
        assert status == 200
        assert 'helpbot_jobs{state="failed"} 1.0' in metrics
        assert 'helpbot_jobs{state="queued"} 1.0' in metrics
        assert 'helpbot_worker_jobs_total{kind="evaluate",outcome="failed"} 1.0' in metrics
        assert [w.id for w in jobs.live_workers(db)] == ["proc-1"]
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(30) == 0
        assert jobs.live_workers(db) == [], "a stopped worker says so"
    finally:
        if worker.poll() is None:
            worker.kill()
        db.dispose()


def test_a_worker_whose_database_stays_down_exits_3_without_the_password(
    settings: Settings,
) -> None:
    pytest.importorskip("psycopg")
    url = f"postgresql+psycopg://helpbot:s3cret-pw@127.0.0.1:{_free_port()}/helpbot"
    env = {
        **os.environ,
        "HELPBOT_DATA_DIR": str(settings.data_dir),
        "HELPBOT_DATABASE_URL": url,
        "HELPBOT_DB_CONNECT_TIMEOUT_S": "1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.worker"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 3
    assert "127.0.0.1" in done.stderr and "s3cret-pw" not in done.stderr + done.stdout
