"""Prometheus metrics from the running parts: re-index runs, pool depth, job states, answers."""

from __future__ import annotations

import threading
from pathlib import Path

from prometheus_client import REGISTRY

from bot.workers import CountingExecutor
from knowledge.observability import record_answer, watch_job_states
from knowledge.services import Services
from pipelines.reindex import reindex
from tests.pipelines.policies import COWORKING, watch, write


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_reindex_run_is_counted_by_outcome(services: Services, tmp_path: Path) -> None:
    before = sample("helpbot_reindex_runs_total", outcome="ok")
    write(tmp_path / "policies", "coworking.md", COWORKING)
    watch(services, tmp_path / "policies")
    reindex(services)
    assert sample("helpbot_reindex_runs_total", outcome="ok") == before + 1


def test_pool_depth_follows_queued_and_running_work() -> None:
    pool = CountingExecutor(1, "metrics-test")
    gate = threading.Event()
    futures = [pool.submit(gate.wait, 5) for _ in range(3)]
    assert sample("helpbot_queue_depth", pool="metrics-test") == 3
    gate.set()
    for future in futures:
        future.result()
    pool.shutdown()
    assert sample("helpbot_queue_depth", pool="metrics-test") == 0


def test_job_states_are_read_at_scrape_time() -> None:
    counts = {"queued": 2, "running": 1}
    watch_job_states(lambda: counts)
    assert sample("helpbot_jobs", state="queued") == 2
    counts["queued"] = 0
    assert sample("helpbot_jobs", state="queued") == 0
    assert sample("helpbot_jobs", state="failed") == 0


def test_answers_abstentions_and_stage_latencies() -> None:
    answered = sample("helpbot_answers_total", outcome="abstained")
    abstentions = sample("helpbot_abstentions_total")
    record_answer("abstained", abstained=True, stage_seconds={"retrieve": 0.2, "total": 0.5})
    assert sample("helpbot_answers_total", outcome="abstained") == answered + 1
    assert sample("helpbot_abstentions_total") == abstentions + 1
    assert sample("helpbot_stage_seconds_count", stage="retrieve") >= 1
