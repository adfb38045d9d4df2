"""The job worker: claim a job, hold its lease with heartbeats, run it, record how it ended."""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from prometheus_client import Counter

from knowledge.db import jobs
from knowledge.db.connection import Database
from knowledge.db.job_models import Job
from knowledge.settings import setting_default

if TYPE_CHECKING:
    from knowledge.services import Services

log = logging.getLogger(__name__)

JOBS_RUN = Counter(
    "helpbot_worker_jobs", "Jobs this process's worker ran, by outcome", ["kind", "outcome"]
)


class JobStopped(Exception):  # a signal, not an error
    """Raised by a handler that stopped early because `run.should_stop()` said so."""


@dataclass
class JobRun:
    """What a handler sees of its job: the payload, services, and the hooks to report steps,
    log lines and follow-up jobs, and to notice a cancel (at the next step)."""

    job_id: int
    kind: str
    payload: dict[str, Any]
    created_by: str
    attempt: int
    db: Database
    services: Services | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    lost: threading.Event = field(default_factory=threading.Event)
    shutdown: threading.Event = field(default_factory=threading.Event)
    steps: int = 0

    def should_stop(self) -> bool:
        """True once the job was cancelled, its lease was lost, or the worker is stopping."""
        return self.cancel.is_set() or self.lost.is_set() or self.shutdown.is_set()

    def on_step(self, values: Mapping[str, Any]) -> None:
        """Store one step's numbers (loss, eval_loss, learning_rate, tokens_per_s, memory)."""
        self.steps += 1
        step = values.get("step", self.steps)
        jobs.record_metrics(self.db, self.job_id, int(step), values)

    def log(self, message: str, *, level: str = "INFO") -> None:
        jobs.append_log(self.db, self.job_id, message, level=level)

    def enqueue(self, kind: str, payload: Mapping[str, Any]) -> int:
        """Queue a follow-up job (train -> evaluate), created by whoever queued this one."""
        return jobs.enqueue(self.db, kind, payload, created_by=self.created_by)


Handler = Callable[[JobRun], Mapping[str, Any] | None]


@dataclass(frozen=True)
class WorkerOptions:
    """How a worker paces itself; the defaults suit one machine, settings override them."""

    heartbeat: timedelta = timedelta(seconds=setting_default("worker_heartbeat_seconds"))
    """How often a running job's lease (and the worker's presence) is renewed."""
    lease: timedelta = timedelta(seconds=setting_default("worker_lease_seconds"))
    """A running job whose worker was silent this long is re-queued (or failed)."""
    poll: timedelta = timedelta(seconds=setting_default("worker_poll_seconds"))
    """How long an idle worker waits before looking for work again."""
    max_attempts: int = setting_default("worker_max_attempts")
    """Claims per job before a lost lease fails it instead of re-queuing it."""


def default_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class JobLogHandler(logging.Handler):
    """Copies the job thread's log records into job_logs, so the log is readable live."""

    def __init__(self, run: JobRun, thread_id: int) -> None:
        super().__init__(logging.INFO)
        self.run, self.thread_id = run, thread_id
        self._busy = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self.thread_id or getattr(self._busy, "on", False):
            return
        self._busy.on = True  # a log line written by the database itself must not recurse
        try:
            self.run.log(f"{record.name}: {record.getMessage()}", level=record.levelname)
        except Exception:  # losing a log line must not fail the job
            pass
        finally:
            self._busy.on = False


class Worker:
    """One worker process's loop; several (on several machines) share one database queue."""

    def __init__(
        self,
        db: Database,
        handlers: Mapping[str, Handler],
        *,
        kinds: Sequence[str] | None = None,
        services: Services | None = None,
        options: WorkerOptions | None = None,
        worker_id: str | None = None,
    ) -> None:
        self.db, self.handlers, self.services = db, dict(handlers), services
        self.kinds = list(kinds) if kinds else list(self.handlers)
        unknown = [kind for kind in self.kinds if kind not in self.handlers]
        if unknown:
            raise ValueError(f"this worker has no handler for {', '.join(unknown)}")
        self.options = options or WorkerOptions()
        self.worker_id = worker_id or default_worker_id()
        self.stopping = threading.Event()
        self.current: JobRun | None = None
        self.registered = False

    # --- the loop -----------------------------------------------------------------------
    def run_forever(self) -> None:
        """Poll and run jobs until `stop()`; a failing job never ends the loop."""
        self._register()
        log.info("worker %s runs %s", self.worker_id, ",".join(self.kinds))
        try:
            while not self.stopping.is_set():
                try:
                    ran = self.run_once()
                except Exception:  # the database may be away for a while
                    log.exception("worker %s: polling the queue failed", self.worker_id)
                    ran = False
                if not ran:
                    self.stopping.wait(self.options.poll.total_seconds())
        finally:
            jobs.worker_stopped(self.db, self.worker_id)
            log.info("worker %s stopped", self.worker_id)

    def stop(self) -> None:
        """Finish politely: a running job is asked to stop at its next step and re-queued."""
        self.stopping.set()
        if self.current is not None:
            self.current.shutdown.set()

    def run_once(self) -> bool:
        """Re-queue expired leases, then claim and run one job; False when none was queued."""
        self._register()
        jobs.worker_heartbeat(self.db, self.worker_id)
        for reaped in jobs.requeue_expired(
            self.db, lease=self.options.lease, max_attempts=self.options.max_attempts
        ):
            log.warning("job %s: lease expired, now %s", reaped.job_id, reaped.state)
        job = jobs.claim(self.db, self.worker_id, self.kinds)
        if job is None:
            return False
        self.run_job(job)
        return True

    def _register(self) -> None:
        if not self.registered:
            jobs.register_worker(
                self.db,
                self.worker_id,
                host=socket.gethostname(),
                pid=os.getpid(),
                kinds=self.kinds,
            )
            self.registered = True

    # --- one job ------------------------------------------------------------------------
    def run_job(self, job: Job) -> str:
        """Run a claimed job to its end; the state it ended in (or "lost" / "queued")."""
        run = JobRun(
            job_id=job.id,
            kind=job.kind,
            payload=dict(job.payload or {}),
            created_by=job.created_by,
            attempt=job.attempts,
            db=self.db,
            services=self.services,
        )
        self.current = run
        if self.stopping.is_set():  # after publishing `current`: a stop() now reaches the run
            run.shutdown.set()
        beats = threading.Event()
        beating = threading.Thread(
            target=self._beat, args=(run, beats), name=f"job-{job.id}-lease", daemon=True
        )
        capture = JobLogHandler(run, threading.get_ident())
        logging.getLogger().addHandler(capture)
        beating.start()
        log.info("job %s (%s) started, attempt %s", job.id, job.kind, job.attempts)
        try:
            outcome = self._settle(run, self.handlers[job.kind])
            JOBS_RUN.labels(kind=job.kind, outcome=outcome).inc()
            return outcome
        finally:
            beats.set()
            beating.join()
            logging.getLogger().removeHandler(capture)
            self.current = None

    def _settle(self, run: JobRun, handler: Handler) -> str:
        db, me = self.db, self.worker_id
        try:
            result = dict(handler(run) or {})
        except JobStopped as stopped:
            return self._stopped(run, str(stopped) or "stopped at the next step", {})
        except Exception as exc:  # a crashing job fails; the worker lives on
            reason = failure_reason(exc)
            run.log(traceback.format_exc(), level="ERROR")
            log.warning("job %s failed: %s", run.job_id, type(exc).__name__)
            if run.lost.is_set():
                return "lost"
            jobs.fail(db, run.job_id, me, reason)
            return "failed"
        if run.cancel.is_set() or run.lost.is_set():
            return self._stopped(run, "finished, but it had been asked to cancel", result)
        if not jobs.finish(db, run.job_id, me, result):
            log.warning("job %s finished after its lease was lost; result dropped", run.job_id)
            return "lost"
        log.info("job %s succeeded", run.job_id)
        return "succeeded"

    def _stopped(self, run: JobRun, why: str, result: dict[str, Any]) -> str:
        if run.lost.is_set():
            log.warning("job %s stopped: its lease was lost", run.job_id)
            return "lost"
        if run.cancel.is_set() or jobs.heartbeat(self.db, run.job_id, self.worker_id) == "cancel":
            run.log(f"cancelled: {why}")
            jobs.mark_cancelled(self.db, run.job_id, self.worker_id, result)
            return "cancelled"
        # The worker is shutting down: another worker picks the job up again.
        jobs.release(self.db, run.job_id, self.worker_id, f"worker {self.worker_id} stopped")
        return "queued"

    def _beat(self, run: JobRun, done: threading.Event) -> None:
        while not done.wait(self.options.heartbeat.total_seconds()):
            try:
                status = jobs.heartbeat(self.db, run.job_id, self.worker_id)
            except Exception:  # a missed beat is retried; the lease is long
                log.warning("job %s: heartbeat failed", run.job_id, exc_info=True)
                continue
            if status == "cancel" and not run.cancel.is_set():
                log.info("job %s: cancel requested", run.job_id)
                run.cancel.set()
            elif status == "lost":
                run.lost.set()
                return

    # --- health (for the shared /healthz and /metrics module) ----------------------------
    def health(self) -> dict[str, Any]:
        """Liveness facts a health endpoint can serve: who, which kinds, what it runs now."""
        current = self.current
        return {
            "worker_id": self.worker_id,
            "kinds": self.kinds,
            "stopping": self.stopping.is_set(),
            "job_id": current.job_id if current else None,
        }


def failure_reason(exc: BaseException) -> str:
    """One sentence for the job's error: the exception's class and message."""
    text = str(exc).strip() or "no message"
    return f"{type(exc).__name__}: {text}"
