"""The scheduler: persisted jobs, one leader among processes, coalesced catch-up, fake time."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from apscheduler.executors.debug import DebugExecutor
from apscheduler.triggers.interval import IntervalTrigger

from knowledge.answering import Asker, build_answer_service
from knowledge.db import job_runs, leases
from knowledge.services import Services
from pipelines import jobs, scheduler
from pipelines.scheduler import FreshnessScheduler
from tests.conftest import HANDBOOK, QA_FILE, SAMPLE
from tests.pipelines.fakes import FakeClock, ManualScheduler
from tests.pipelines.policies import BICYCLE, COWORKING, passages_text, watch, write


def make_scheduler(services: Services, clock: FakeClock, holder: str) -> FreshnessScheduler:
    return FreshnessScheduler(
        services,
        holder=holder,
        clock=clock,
        scheduler_class=ManualScheduler,
        executor=DebugExecutor(),
    )


def run_due(*schedulers: FreshnessScheduler) -> None:
    for each in schedulers:
        assert isinstance(each.aps, ManualScheduler)
        each.aps.run_due()


def runs(services: Services, job: str) -> list[tuple[str, str]]:
    """(holder, result) of a job's runs, oldest first."""
    with services.db.session() as session:
        rows = job_runs.recent_runs(session, job=job)
        return [(r.holder, r.result) for r in reversed(rows)]


def test_jobs_are_persisted_with_coalescing_a_grace_time_and_one_instance(
    services: Services, clock: FakeClock
) -> None:
    leader = make_scheduler(services, clock, "a")
    assert leader.tick()
    reindex, review = (leader.aps.get_job(name) for name in ("reindex", "review"))
    assert reindex is not None and review is not None
    assert isinstance(reindex.trigger, IntervalTrigger)
    assert reindex.trigger.interval.total_seconds() == 15 * 60
    assert (reindex.coalesce, reindex.max_instances, reindex.misfire_grace_time) == (
        True,
        1,
        15 * 60,
    )
    assert reindex.next_run_time == clock.current.replace(minute=15)
    assert review.next_run_time == clock.current.replace(hour=7)
    leader.stop()
    with services.db.session() as session:
        assert leases.current_lease(session, scheduler.LEADER_LEASE, now=clock()) is None


def test_an_edited_file_is_served_after_the_next_scheduled_run(
    services: Services, clock: FakeClock, tmp_path: Path
) -> None:
    """The sample QA's "changed" questions: the old fact before the run, only the new after."""
    folder = tmp_path / "policies"
    folder.mkdir()
    shutil.copy(HANDBOOK / "expenses.md", folder / "expenses.md")
    write(folder, "bicycle.md", BICYCLE)
    watch(services, folder)
    leader = make_scheduler(services, clock, "a")
    leader.tick()
    clock.advance(minutes=15)
    run_due(leader)
    changed = [item for item in _qa() if item["kind"] == "changed"]
    assert changed, "the sample QA has questions whose answer changes with updates/"
    for item in changed:
        _check(services, item["question"], item)

    shutil.copy(SAMPLE / "updates" / "expenses.md", folder / "expenses.md")
    clock.advance(minutes=14)
    run_due(leader)
    _check(services, changed[0]["question"], changed[0])  # not due yet: still the old text
    clock.advance(minutes=1)
    run_due(leader)

    for item in changed:
        _check(services, item["question"], item["after_update"])
        _check_answer(services, item["question"], item["after_update"])
    assert [result for _, result in runs(services, "reindex")] == ["ok", "ok"]


def _qa() -> list[dict[str, Any]]:
    return [json.loads(line) for line in QA_FILE.read_text().splitlines() if line.strip()]


def _check(services: Services, question: str, expected: dict[str, Any]) -> None:
    _check_text(passages_text(services, question), question, expected)


def _check_text(text: str, question: str, expected: dict[str, Any]) -> None:
    for needed in expected["answer_must_contain"]:
        options = needed if isinstance(needed, list) else [needed]
        assert any(option in text for option in options), (question, options)
    for forbidden in expected["must_not_contain"]:
        assert forbidden not in text, (question, forbidden)


def _check_answer(services: Services, question: str, expected: dict[str, Any]) -> None:
    """Through the answer engine too (extractive: quotes passages, needs no model)."""
    answer = build_answer_service(services, backend="extractive").answer(question, Asker("u1"))
    assert not answer.abstained, question
    _check_text(answer.text, question, expected)


def test_two_processes_run_each_job_once_and_a_follower_takes_over(
    services: Services, another_process: Callable[[], Services], clock: FakeClock
) -> None:
    a = make_scheduler(services, clock, "a")
    b = make_scheduler(another_process(), clock, "b")
    assert (a.tick(), b.tick()) == (True, False)
    clock.advance(minutes=15)
    assert (a.tick(), b.tick()) == (True, False)  # heartbeats renew the lease
    run_due(a, b)
    assert runs(services, "reindex") == [("a", "ok")]

    # "a" dies without a word: its lease runs out and "b" takes over.
    clock.advance(seconds=30)
    assert not b.tick()
    clock.advance(seconds=31)
    assert b.tick()
    clock.advance(minutes=15)
    assert b.tick()
    run_due(b)
    # "a" comes back (a frozen VM): it finds the lease taken and stays idle.
    assert not a.tick() and not a.leading
    run_due(a, b)
    assert runs(services, "reindex") == [("a", "ok"), ("b", "ok")]
    b.stop()
    assert a.tick(), "a clean stop hands the lease over at once"
    a.stop()


def test_a_restart_resumes_persisted_jobs_and_coalesces_missed_runs(
    services: Services, another_process: Callable[[], Services], clock: FakeClock
) -> None:
    first = make_scheduler(services, clock, "first")
    first.tick()
    clock.advance(minutes=15)
    run_due(first)
    first.stop()

    clock.advance(hours=1, minutes=5)  # four re-index runs missed while nothing ran
    second = make_scheduler(another_process(), clock, "second")
    assert second.tick()
    job = second.aps.get_job("reindex")
    assert job is not None and job.next_run_time < clock(), "the stored schedule was kept"
    run_due(second)

    assert runs(services, "reindex") == [("first", "ok"), ("second", "ok")]
    job = second.aps.get_job("reindex")
    assert job is not None and job.next_run_time > clock()
    second.stop()


def test_a_run_later_than_its_grace_time_is_recorded_as_missed(
    services: Services, another_process: Callable[[], Services], clock: FakeClock
) -> None:
    first = make_scheduler(services, clock, "first")
    first.tick()
    first.stop()
    clock.advance(hours=14)  # 20:00: the 07:00 review is 13 hours late, past its 12 hours
    second = make_scheduler(another_process(), clock, "second")
    second.tick()
    run_due(second)
    assert runs(services, "review") == [("second", "missed")]
    clock.advance(hours=11)  # 07:00 the next day
    run_due(second)
    assert runs(services, "review") == [("second", "missed"), ("second", "ok")]
    second.stop()


def test_changed_settings_reschedule_a_stored_job(
    services: Services, another_process: Callable[[], Services], clock: FakeClock
) -> None:
    first = make_scheduler(services, clock, "first")
    first.tick()
    first.stop()
    other = another_process()
    other.settings = other.settings.model_copy(update={"reindex_interval_minutes": 5})
    second = make_scheduler(other, clock, "second")
    second.tick()
    job = second.aps.get_job("reindex")
    assert job is not None and job.misfire_grace_time == 300
    assert job.trigger.interval.total_seconds() == 300
    second.stop()


def test_a_manual_run_waits_for_the_one_in_progress(services: Services, clock: FakeClock) -> None:
    busy = jobs.JobContext(services, "scheduler-process", clock)
    manual = jobs.JobContext(services, "cli", clock)
    with jobs.writer_lease(busy) as other:
        assert other is None
        outcome = jobs.run_job(manual, "reindex", trigger="manual")
    assert outcome.result == "skipped" and "scheduler-process" in (outcome.error or "")
    assert jobs.run_job(manual, "reindex", trigger="manual").result == "ok"
    assert [r for _, r in runs(services, "reindex")] == ["skipped", "ok"]


def test_run_now_makes_a_job_due_at_once(
    services: Services, clock: FakeClock, tmp_path: Path
) -> None:
    write(tmp_path / "policies", "coworking.md", COWORKING)
    write(tmp_path / "policies", "bicycle.md", BICYCLE)
    watch(services, tmp_path / "policies")
    leader = make_scheduler(services, clock, "a")
    leader.tick()
    leader.run_now("reindex")
    run_due(leader)
    assert "EUR 150" in passages_text(services, "coworking desk allowance per month")
    leader.stop()


def test_the_background_scheduler_leads_and_stops(services: Services) -> None:
    """The real thing: APScheduler's thread, the real clock, no fake anything."""
    handle = scheduler.start_in_background(services)
    leading = threading.Event()
    for _ in range(500):  # up to 5 s for the first heartbeat
        if handle.leading:
            leading.set()
            break
        threading.Event().wait(0.01)
    handle.stop()
    assert leading.is_set()
    assert not handle.leading and jobs._context is None


def test_the_console_asks_the_leader_to_run_jobs_now(
    services: Services, another_process: Callable[[], Services], clock: FakeClock
) -> None:
    leader = make_scheduler(services, clock, "a")
    leader.tick()
    console = another_process()  # the console only writes rows; it never imports pipelines
    with console.db.session() as session:
        job_runs.request_run(session, job="reindex", requested_by="admin", at=clock())
        job_runs.request_run(session, job="rebuild", requested_by="admin", at=clock())
        due = job_runs.scheduled_jobs(session)
        assert set(due) == {"reindex", "review"} and due["reindex"] == clock().replace(minute=15)
    leader.tick()
    run_due(leader)
    assert runs(services, "reindex")[-1] == ("a", "ok")
    assert runs(services, "rebuild")[-1] == ("a", "ok")
    with services.db.session() as session:
        assert {r.result for r in job_runs.recent_runs(session) if r.trigger == "console"} == {
            "accepted"
        }
        assert set(job_runs.scheduled_jobs(session)) == {"reindex", "review"}
    leader.stop()
