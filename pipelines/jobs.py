"""The freshness jobs (re-index, review, rebuild): run against this process's services, recorded."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from knowledge.db import job_runs, writer
from knowledge.db.document_models import utcnow
from knowledge.services import Services
from pipelines.calibration import recalibrate_if_changed
from pipelines.reindex import ReindexReport, reindex
from pipelines.review import ReviewReport, review_check

log = logging.getLogger(__name__)

JobName = Literal["reindex", "review", "rebuild", "calibrate"]
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class JobContext:
    """What jobs run against: the process's services, who runs them, and the clock."""

    services: Services
    holder: str
    clock: Clock = utcnow


@dataclass
class RunOutcome:
    """One recorded run."""

    run_id: int
    job: str
    result: str
    """ok | partial | failed | skipped"""
    counts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    report: ReindexReport | ReviewReport | None = None


_context: JobContext | None = None


def install(context: JobContext | None) -> None:
    """Make `context` the one persisted jobs run against in this process (the leader's).

    APScheduler stores jobs as a reference to `run_scheduled` plus the job name, because a
    job store outlives processes and cannot hold live objects like database connections.
    """
    global _context
    _context = context


def run_scheduled(name: JobName) -> str:
    """What APScheduler calls for a persisted job; returns the run's result."""
    if _context is None:
        raise RuntimeError("no scheduler context installed in this process")
    return run_job(_context, name, trigger="schedule").result


def run_job(
    context: JobContext,
    name: JobName,
    *,
    trigger: str,
    deep: bool = False,
) -> RunOutcome:
    """Run one job now, recorded in job_runs (start, end, result, counts, error)."""
    db, clock = context.services.db, context.clock
    with db.session() as session:
        run_id = job_runs.start_run(
            session, job=name, trigger=trigger, holder=context.holder, at=clock()
        )
    outcome = RunOutcome(run_id, name, "ok")
    try:
        if name == "review":
            _review(context, outcome)
        elif name == "calibrate":
            report = recalibrate_if_changed(context.services)
            outcome.counts = report.counts()
            outcome.result = "skipped" if report.result == "unchanged" else "ok"
        else:
            _reindex(context, outcome, full=name == "rebuild", deep=deep)
    except Exception as exc:
        log.exception("job %s failed", name)
        outcome.result, outcome.error = "failed", f"{type(exc).__name__}: {exc}"
    with db.session() as session:
        job_runs.finish_run(
            session,
            run_id,
            at=clock(),
            result=outcome.result,
            counts=outcome.counts,
            error=outcome.error,
        )
    return outcome


def _review(context: JobContext, outcome: RunOutcome) -> None:
    settings = context.services.settings
    report = review_check(
        context.services.db, today=context.clock().date(), nudge_days=settings.review_nudge_days
    )
    outcome.report, outcome.counts = report, asdict(report)


def _reindex(context: JobContext, outcome: RunOutcome, *, full: bool, deep: bool) -> None:
    with writer_lease(context) as holder:
        if holder is not None:
            outcome.result = "skipped"
            outcome.error = f"another re-index is running ({holder})"
            return
        report = reindex(context.services, deep=deep, full=full, clock=context.clock)
    outcome.report, outcome.counts = report, report.counts()
    outcome.result, outcome.error = report.result, report.errors()
    _recalibrate(context)


def _recalibrate(context: JobContext) -> None:
    """After a re-index: re-place abstention if the knowledge changed (never fails the run)."""
    try:
        recalibrate_if_changed(context.services)
    except Exception:
        log.exception("abstention re-calibration failed; the configured thresholds apply")


@contextmanager
def writer_lease(context: JobContext) -> Iterator[str | None]:
    """Hold the knowledge-writer lease for the block without waiting; yields None when held,
    else the other holder (the run is then skipped, not failed)."""
    with ExitStack() as held:
        try:
            held.enter_context(
                writer.writer_lease(context.services.db, context.holder, clock=context.clock)
            )
        except writer.WriterBusyError as busy:
            other: str | None = busy.holder
        else:
            other = None
        yield other
