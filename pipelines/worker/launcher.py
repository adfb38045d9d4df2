"""A training job on several GPUs: the worker starts `accelerate launch` (one process per GPU)
as a child, keeps the job's lease meanwhile, and stops the child when the job is cancelled."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.worker.loop import JobRun, JobStopped
from pipelines.worker.rank import FAILED_PREFIX

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5
STOP_GRACE_SECONDS = 30.0
METRICS_FILE = "training_metrics.json"
"""Written by train_adapter beside the adapter (rank 0)."""


class LaunchError(RuntimeError):
    """The launched training failed; the message is the reason a rank printed."""


@dataclass(frozen=True)
class Launched:
    adapter_dir: Path
    metrics: dict[str, Any]


def launch_command(
    run: JobRun,
    *,
    processes: int,
    dataset_dir: Path,
    output_dir: Path,
    base_model: str,
    config: Path,
) -> list[str]:
    """`accelerate launch` of pipelines.worker.rank with this interpreter."""
    return [
        sys.executable, "-m", "accelerate.commands.launch",
        "--num_processes", str(processes), "--num_machines", "1",
        "--mixed_precision", "no", "--dynamo_backend", "no",  # the trainer picks its precision
        "-m", "pipelines.worker.rank",
        "--job-id", str(run.job_id), "--dataset", str(dataset_dir), "--output", str(output_dir),
        "--base-model", base_model, "--config", str(config),
    ]  # fmt: skip


def launch_training(
    run: JobRun,
    *,
    processes: int,
    config_yaml: str,
    dataset_dir: Path,
    output_dir: Path,
    base_model: str,
) -> Launched:
    """Run the training in `processes` child processes; the adapter and its metrics.

    Raises JobStopped when the job was cancelled (every rank is stopped, nothing is kept) and
    LaunchError with the rank's reason when the training failed."""
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    config = output_dir.parent / f".{output_dir.name}.config.yaml"
    config.write_text(config_yaml, encoding="utf-8")
    transcript = output_dir.parent / f".{output_dir.name}.launch.log"
    command = launch_command(
        run,
        processes=processes,
        dataset_dir=dataset_dir,
        output_dir=output_dir,
        base_model=base_model,
        config=config,
    )
    env = {**os.environ, "HELPBOT_DATABASE_URL": run.db.url}
    run.log(f"accelerate launch: {processes} processes")
    with transcript.open("w", encoding="utf-8") as out:
        child = subprocess.Popen(  # its own session: a cancel stops every rank at once
            command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        try:
            while child.poll() is None:
                if run.should_stop():
                    _stop(child)
                    _discard(output_dir)
                    raise JobStopped("training stopped: every rank was stopped")
                time.sleep(POLL_SECONDS)
        except BaseException:
            if child.poll() is None:
                _stop(child)
            raise
    config.unlink(missing_ok=True)
    if child.returncode != 0:
        raise LaunchError(_reason(transcript, child.returncode))
    transcript.unlink(missing_ok=True)
    metrics = json.loads((output_dir / METRICS_FILE).read_text(encoding="utf-8"))
    return Launched(adapter_dir=output_dir, metrics=metrics)


def _stop(child: subprocess.Popen[Any]) -> None:
    """SIGTERM to the launcher's whole process group, SIGKILL after a grace period."""
    for sig, wait in ((signal.SIGTERM, STOP_GRACE_SECONDS), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(child.pid, sig)
        except ProcessLookupError:
            return
        try:
            child.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _discard(output_dir: Path) -> None:
    """A stopped run leaves no adapter: its half-written folder goes."""
    for partial in output_dir.parent.glob(f".{output_dir.name}.tmp-*"):
        shutil.rmtree(partial, ignore_errors=True)


def _reason(transcript: Path, code: int) -> str:
    lines = transcript.read_text(encoding="utf-8", errors="replace").splitlines()
    for line in reversed(lines):
        if FAILED_PREFIX in line:
            return line.split(FAILED_PREFIX, 1)[1].strip()
    tail = next((line.strip() for line in reversed(lines) if line.strip()), "no output")
    return f"the training processes exited with code {code}: {tail[:500]} (log: {transcript})"
