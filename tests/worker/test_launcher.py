"""The multi-GPU launcher's process handling with stand-in children: a cancel stops the whole
process group and leaves nothing behind, a failing rank's reason becomes the job's error."""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from knowledge.db import jobs
from knowledge.db.connection import Database
from pipelines.worker import JobRun, JobStopped, launcher

# A child that starts a grandchild (as accelerate starts ranks) and waits forever.
HANGS = "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)']); time.sleep(300)"  # noqa: E501


def _run(db: Database) -> JobRun:
    job_id = jobs.enqueue(db, "train", {}, created_by="ana")
    return JobRun(job_id, "train", {}, "ana", 1, db)


def _launch(run: JobRun, tmp_path: Path) -> launcher.Launched:
    return launcher.launch_training(
        run,
        processes=2,
        config_yaml="profile: fast\n",
        dataset_dir=tmp_path / "ds",
        output_dir=tmp_path / "adapters" / "job-1-attempt-1",
        base_model="tiny",
    )


def _child(monkeypatch: pytest.MonkeyPatch, code: str) -> None:
    monkeypatch.setattr(launcher, "launch_command", lambda *a, **k: [sys.executable, "-c", code])


def test_cancel_stops_every_process_and_keeps_nothing(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _child(monkeypatch, HANGS)
    partial = tmp_path / "adapters" / ".job-1-attempt-1.tmp-1234"
    partial.mkdir(parents=True)
    run = _run(db)
    threading.Timer(1.0, run.cancel.set).start()
    started = time.monotonic()
    with pytest.raises(JobStopped, match="every rank was stopped"):
        _launch(run, tmp_path)
    assert time.monotonic() - started < 20
    assert not partial.exists()
    assert not (tmp_path / "adapters" / "job-1-attempt-1").exists()


def test_a_failing_rank_gives_its_reason(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _child(
        monkeypatch,
        "import sys; print('noise'); "
        "print('training failed: TrainingError: loss became NaN at step 3', file=sys.stderr); "
        "sys.exit(1)",
    )
    with pytest.raises(launcher.LaunchError, match=r"^TrainingError: loss became NaN at step 3$"):
        _launch(_run(db), tmp_path)


def test_a_crashing_launch_says_how_it_ended(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _child(monkeypatch, "import sys; print('Segmentation fault'); sys.exit(139)")
    with pytest.raises(launcher.LaunchError, match="exited with code 139: Segmentation fault"):
        _launch(_run(db), tmp_path)


def test_a_finished_launch_returns_the_adapter_and_its_metrics(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "adapters" / "job-1-attempt-1"
    metrics = {"steps": 4, "train_loss": 1.2}
    writes = (
        f"import json, pathlib; p = pathlib.Path({str(out)!r}); p.mkdir(parents=True); "
        f"(p / 'training_metrics.json').write_text(json.dumps({metrics!r}))"
    )
    _child(monkeypatch, writes)
    launched: Any = _launch(_run(db), tmp_path)
    assert (launched.adapter_dir, launched.metrics) == (out, metrics)
    assert sorted(p.name for p in out.parent.iterdir()) == ["job-1-attempt-1"], "no leftovers"
    assert json.loads((out / "training_metrics.json").read_text()) == metrics
