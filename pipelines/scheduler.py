"""The freshness scheduler: APScheduler with jobs persisted in our database, run by one leader.

Every process that runs a scheduler competes for a lease row; the holder runs the jobs and
renews it on each heartbeat, the others stay idle and take over once it expires. Standalone:
`python -m pipelines.scheduler`; inside another process: `start_in_background(services)`.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobEvent
from apscheduler.executors.base import BaseExecutor
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED, BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import SQLAlchemyError

from knowledge.db import job_runs, leases
from knowledge.db.document_models import utcnow
from knowledge.db.scheduler_models import APSCHEDULER_TABLE
from knowledge.observability import configure_logging
from knowledge.rebuild import embedding_model_outdated
from knowledge.services import Services
from knowledge.settings import Settings
from pipelines.jobs import Clock, JobContext, JobName, install, run_scheduled
from pipelines.reindex import open_store

log = logging.getLogger("pipelines.scheduler")  # also when run as __main__

LEADER_LEASE = leases.SCHEDULER_LEASE
LEASE_TTL = timedelta(seconds=60)
"""A dead leader is replaced within this long (plus one heartbeat)."""
HEARTBEAT = timedelta(seconds=10)
"""How often the lease is renewed (or, by followers, tried) and the job store re-read."""


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job as the settings define it."""

    id: JobName
    trigger: BaseTrigger
    misfire_grace_s: int
    """A run late by more than this is recorded as missed; within it, it runs (once)."""
    description: str


def job_specs(settings: Settings, now: datetime) -> list[JobSpec]:
    interval = timedelta(minutes=settings.reindex_interval_minutes)
    return [
        JobSpec(
            "reindex",
            IntervalTrigger(
                minutes=settings.reindex_interval_minutes, start_date=now + interval, timezone=UTC
            ),
            # A restart after a long outage still runs one catch-up re-index straight away.
            misfire_grace_s=int(interval.total_seconds()),
            description="check watched sources and index what changed",
        ),
        JobSpec(
            "review",
            CronTrigger(hour=settings.review_check_hour, minute=0, timezone=UTC),
            misfire_grace_s=int(timedelta(hours=12).total_seconds()),
            description="mark documents past their review date stale and nudge owners",
        ),
    ]


def default_holder() -> str:
    """Who this process is in leases and run records: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class FreshnessScheduler:
    """APScheduler plus leader election; `tick()` is one heartbeat (tests call it directly)."""

    def __init__(
        self,
        services: Services,
        *,
        holder: str | None = None,
        clock: Clock = utcnow,
        lease_ttl: timedelta = LEASE_TTL,
        heartbeat: timedelta = HEARTBEAT,
        scheduler_class: type[BaseScheduler] = BackgroundScheduler,
        executor: BaseExecutor | None = None,
    ) -> None:
        self.services = services
        self.holder = holder or default_holder()
        self.clock = clock
        self.lease_ttl = lease_ttl
        self.heartbeat = heartbeat
        self.context = JobContext(services, self.holder, clock)
        self.aps = scheduler_class(
            jobstores={
                "default": SQLAlchemyJobStore(
                    engine=services.db.engine, tablename=APSCHEDULER_TABLE
                )
            },
            executors={"default": executor or ThreadPoolExecutor(max_workers=2)},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=UTC,
        )
        self.aps.add_listener(self._record_not_run, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)
        self.leading = False
        self._lease_until: datetime | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- leadership ------------------------------------------------------------------------
    def tick(self) -> bool:
        """Take or renew the lease and start or pause the jobs to match; True when leading."""
        now = self.clock()
        db = self.services.db
        try:
            leader = leases.acquire_lease(
                db, LEADER_LEASE, self.holder, now=now, ttl=self.lease_ttl
            )
        except SQLAlchemyError as exc:
            # The database blinked: keep leading only while our last lease is still valid.
            log.warning("scheduler lease check failed: %s", exc)
            leader = self.leading and self._lease_until is not None and now < self._lease_until
        if leader:
            self._lease_until = now + self.lease_ttl
            if not self.leading:
                self._lead()
            self._accept_run_requests()
            self.aps.wakeup()  # re-read the job store: another process may have changed it
        elif self.leading:
            self._follow()
        return self.leading

    def _lead(self) -> None:
        log.info("%s leads the scheduler", self.holder)
        install(self.context)
        if self.aps.state == STATE_STOPPED:
            self.aps.start(paused=True)
        self._sync_jobs()
        if self._embedding_model_changed():
            log.warning("the embedding model changed: re-indexing everything now")
            self.run_now("reindex")
        self.aps.resume()
        self.leading = True

    def _follow(self) -> None:
        log.warning("%s lost the scheduler lease; its jobs pause", self.holder)
        self.aps.pause()
        self.leading = False

    def _accept_run_requests(self) -> None:
        """Run now what the console asked for since the last heartbeat."""
        with self.services.db.session() as session:
            requested = job_runs.take_run_requests(session, holder=self.holder, at=self.clock())
        for name in requested:
            if name == "rebuild":
                # A one-off job: it runs once in the executor, like the scheduled ones.
                self.aps.add_job(
                    run_scheduled,
                    trigger=DateTrigger(run_date=self.clock(), timezone=UTC),
                    args=["rebuild"],
                    id="rebuild",
                    name="rebuild the whole index",
                    misfire_grace_time=3600,
                    max_instances=1,
                    replace_existing=True,
                )
            elif self.aps.get_job(name) is not None:
                self.run_now(name)
            else:
                log.warning("run requested for unknown job %r", name)

    def _sync_jobs(self) -> None:
        """Add missing jobs; re-schedule those whose settings changed. Jobs as stored keep
        their next run time, so runs missed while no leader was up coalesce into one now."""
        for spec in job_specs(self.services.settings, self.clock()):
            job = self.aps.get_job(spec.id)
            if job is None:
                self.aps.add_job(
                    run_scheduled,
                    trigger=spec.trigger,
                    args=[spec.id],
                    id=spec.id,
                    name=spec.description,
                    misfire_grace_time=spec.misfire_grace_s,
                    coalesce=True,
                    max_instances=1,
                )
            elif (
                str(job.trigger) != str(spec.trigger)
                or job.misfire_grace_time != spec.misfire_grace_s
            ):
                self.aps.modify_job(spec.id, misfire_grace_time=spec.misfire_grace_s)
                self.aps.reschedule_job(spec.id, trigger=spec.trigger)

    def _embedding_model_changed(self) -> bool:
        services = self.services
        try:
            store = open_store(services)
            return embedding_model_outdated(services.db, store, services.embedder.fingerprint)
        except Exception:
            log.exception("could not compare the index with the embedding model")
            return False

    # --- operations --------------------------------------------------------------------
    def run_now(self, job_id: str) -> None:
        """Make a job due at once (what the console's "run now" does through the job store)."""
        self.aps.modify_job(job_id, next_run_time=self.clock())
        self.aps.wakeup()

    def jobs(self) -> list[dict[str, Any]]:
        """The scheduled jobs and their next run times, for status displays."""
        return [
            {
                "id": job.id,
                "name": job.name,
                "trigger": str(job.trigger),
                "next_run_time": getattr(job, "next_run_time", None),
            }
            for job in self.aps.get_jobs()
        ]

    def _record_not_run(self, event: JobEvent) -> None:
        missed = event.code == EVENT_JOB_MISSED
        with self.services.db.session() as session:
            job_runs.record_run(
                session,
                job=event.job_id,
                trigger="schedule",
                holder=self.holder,
                at=self.clock(),
                result="missed" if missed else "skipped",
                error="past its misfire grace time" if missed else "the previous run still runs",
            )

    # --- lifecycle ---------------------------------------------------------------------
    def request_stop(self) -> None:
        """Ask the heartbeat loop to end (safe from a signal handler)."""
        self._stop.set()

    def start(self) -> FreshnessScheduler:
        """Run the heartbeat in a daemon thread (for `helpbot up`)."""
        self._thread = threading.Thread(target=self.run_forever, name="scheduler", daemon=True)
        self._thread.start()
        return self

    def run_forever(self) -> None:
        """Heartbeat until `stop()`: lead when the lease is free, idle otherwise."""
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:
                log.exception("scheduler heartbeat failed")
            self._stop.wait(self.heartbeat.total_seconds())

    def stop(self) -> None:
        """Finish running jobs, hand the lease back so another process takes over at once."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        if self.aps.state != STATE_STOPPED:
            self.aps.shutdown(wait=True)
        if self.leading:
            leases.release_lease(self.services.db, LEADER_LEASE, self.holder, now=self.clock())
            install(None)
            self.leading = False


def start_in_background(services: Services) -> FreshnessScheduler:
    """Start the scheduler inside another process (`helpbot up`); call `.stop()` on exit."""
    return FreshnessScheduler(services).start()


def main() -> None:
    """`python -m pipelines.scheduler`: the scheduler as its own process."""
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    services = Services.from_settings(settings)
    scheduler = FreshnessScheduler(services)
    signal.signal(signal.SIGTERM, lambda *_: scheduler.request_stop())
    try:
        scheduler.run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.stop()
        services.close()


if __name__ == "__main__":
    main()
