"""Queries of the freshness work: sources, file states, runs, leases, owner outbox, reviews."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from knowledge.db.connection import Database
from knowledge.db.document_models import Document, DocumentVersion
from knowledge.db.documents import SERVED_STATUSES
from knowledge.db.scheduler_models import (
    JobRun,
    Lease,
    Notification,
    WatchedFile,
    WatchedSource,
    apscheduler_jobs,
)

# Ids per IN (...) list: far below every backend's bound-parameter limit.
IN_BATCH = 500


def as_utc(moment: datetime) -> datetime:
    """SQLite hands datetimes back without a zone; every one we store is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- watched sources ---------------------------------------------------------------------
def add_source(session: Session, *, location: str, kind: str, added_by: str) -> WatchedSource:
    source = WatchedSource(location=location, kind=kind, added_by=added_by, enabled=True)
    session.add(source)
    session.flush()
    return source


def source_at(session: Session, location: str) -> WatchedSource | None:
    return session.scalar(select(WatchedSource).where(WatchedSource.location == location))


def list_sources(session: Session, *, enabled_only: bool = False) -> list[WatchedSource]:
    query = select(WatchedSource).order_by(WatchedSource.id)
    if enabled_only:
        query = query.where(WatchedSource.enabled.is_(True))
    return list(session.scalars(query))


def source_file_counts(session: Session) -> dict[int, int]:
    """source id -> how many of its files the last checks recorded."""
    rows = session.execute(
        select(WatchedFile.source_id, func.count()).group_by(WatchedFile.source_id)
    )
    return {int(source_id): int(count) for source_id, count in rows}


def remove_source(session: Session, source: WatchedSource) -> list[str]:
    """Stop watching a source; return the ids of the documents it had brought in."""
    document_ids = [
        doc_id
        for doc_id in session.scalars(
            select(WatchedFile.document_id).where(WatchedFile.source_id == source.id)
        )
        if doc_id
    ]
    session.execute(delete(WatchedFile).where(WatchedFile.source_id == source.id))
    session.delete(source)
    return document_ids


def record_source_check(
    session: Session, source_id: int, *, at: datetime, status: str, error: str | None
) -> None:
    session.execute(
        update(WatchedSource)
        .where(WatchedSource.id == source_id)
        .values(checked_at=at, status=status, last_error=error)
    )


# --- what the last check saw of each file -------------------------------------------------
@dataclass(frozen=True)
class FileState:
    """One item of a source as last indexed: how to tell it is untouched, and its document."""

    uri: str
    document_id: str | None = None
    content_hash: str | None = None
    size: int | None = None
    mtime_ns: int | None = None
    etag: str | None = None
    last_modified: str | None = None


def file_states(session: Session, source_id: int) -> dict[str, FileState]:
    rows = session.scalars(select(WatchedFile).where(WatchedFile.source_id == source_id))
    return {
        row.uri: FileState(
            uri=row.uri,
            document_id=row.document_id,
            content_hash=row.content_hash,
            size=row.size,
            mtime_ns=row.mtime_ns,
            etag=row.etag,
            last_modified=row.last_modified,
        )
        for row in rows
    }


def save_file_states(
    session: Session, source_id: int, states: Iterable[FileState], *, at: datetime
) -> None:
    """Insert or replace the recorded state of these items."""
    by_uri = {state.uri: state for state in states}
    if not by_uri:
        return
    existing = {
        row.uri: row
        for row in session.scalars(
            select(WatchedFile).where(
                WatchedFile.source_id == source_id, WatchedFile.uri.in_(list(by_uri))
            )
        )
    }
    for uri, state in by_uri.items():
        row = existing.get(uri) or WatchedFile(source_id=source_id, uri=uri)
        row.document_id = state.document_id
        row.content_hash = state.content_hash
        row.size, row.mtime_ns = state.size, state.mtime_ns
        row.etag, row.last_modified = state.etag, state.last_modified
        row.checked_at = at
        session.add(row)


def forget_files(session: Session, source_id: int, uris: Iterable[str]) -> None:
    uris = list(uris)
    if uris:
        session.execute(
            delete(WatchedFile).where(WatchedFile.source_id == source_id, WatchedFile.uri.in_(uris))
        )


def touch_documents(session: Session, document_ids: Iterable[str], *, at: datetime) -> int:
    """Record that unchanged documents were checked: one statement per 500, whatever the count."""
    ids = sorted(set(document_ids))
    touched = 0
    for start in range(0, len(ids), IN_BATCH):
        result = session.execute(
            update(Document)
            .where(Document.id.in_(ids[start : start + IN_BATCH]))
            .values(checked_at=at)
            .execution_options(synchronize_session=False)
        )
        touched += int(getattr(result, "rowcount", 0) or 0)
    return touched


# --- job runs ---------------------------------------------------------------------------
def start_run(session: Session, *, job: str, trigger: str, holder: str, at: datetime) -> int:
    run = JobRun(
        job=job, trigger=trigger, holder=holder, started_at=at, result="running", counts={}
    )
    session.add(run)
    session.flush()
    return run.id


def finish_run(
    session: Session,
    run_id: int,
    *,
    at: datetime,
    result: str,
    counts: Mapping[str, Any],
    error: str | None = None,
) -> None:
    session.execute(
        update(JobRun)
        .where(JobRun.id == run_id)
        .values(finished_at=at, result=result, counts=dict(counts), error=error)
    )


def record_run(
    session: Session,
    *,
    job: str,
    trigger: str,
    holder: str,
    at: datetime,
    result: str,
    error: str | None = None,
) -> None:
    """A run that did not execute (missed its grace time, or the previous one still runs)."""
    session.add(
        JobRun(
            job=job,
            trigger=trigger,
            holder=holder,
            started_at=at,
            finished_at=at,
            result=result,
            counts={},
            error=error,
        )
    )


def request_run(session: Session, *, job: str, requested_by: str, at: datetime) -> int:
    """Ask the scheduler leader to run a job now (the console's "run now"); the leader
    accepts the request on its next heartbeat and the run itself is recorded as usual."""
    run = JobRun(
        job=job,
        trigger="console",
        holder=requested_by,
        started_at=at,
        result="requested",
        counts={},
    )
    session.add(run)
    session.flush()
    return run.id


def take_run_requests(session: Session, *, holder: str, at: datetime) -> list[str]:
    """The jobs asked for since the last heartbeat, marked accepted by `holder`."""
    requests = list(
        session.scalars(select(JobRun).where(JobRun.result == "requested").order_by(JobRun.id))
    )
    for request in requests:
        request.result, request.finished_at = "accepted", at
        request.counts = {"accepted_by": holder}
    return list(dict.fromkeys(r.job for r in requests))


def scheduled_jobs(session: Session) -> dict[str, datetime | None]:
    """job id -> next run time (UTC), read from APScheduler's table without unpickling."""
    rows = session.execute(select(apscheduler_jobs.c.id, apscheduler_jobs.c.next_run_time))
    return {
        str(job_id): datetime.fromtimestamp(ts, UTC) if ts is not None else None
        for job_id, ts in rows
    }


def recent_runs(session: Session, *, job: str | None = None, limit: int = 50) -> list[JobRun]:
    query = select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)
    if job:
        query = query.where(JobRun.job == job)
    return list(session.scalars(query))


# --- leases -------------------------------------------------------------------------------
def acquire_lease(db: Database, name: str, holder: str, *, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the named lease; True when `holder` has it until now + ttl.

    One conditional UPDATE decides between contenders (SQLite serialises writers and
    PostgreSQL re-checks the WHERE after a concurrent commit); a missing row is inserted, and
    of two inserting at once the primary key lets exactly one win.
    """
    expires = now + ttl
    try:
        with db.session() as session:
            renewed = session.execute(
                update(Lease)
                .where(Lease.name == name, or_(Lease.holder == holder, Lease.expires_at <= now))
                .values(
                    holder=holder,
                    expires_at=expires,
                    acquired_at=case((Lease.holder == holder, Lease.acquired_at), else_=now),
                )
                .execution_options(synchronize_session=False)
            )
            if getattr(renewed, "rowcount", 0) == 1:
                return True
            if session.get(Lease, name) is not None:
                return False
            session.add(Lease(name=name, holder=holder, acquired_at=now, expires_at=expires))
        return True
    except IntegrityError:
        return False


def release_lease(db: Database, name: str, holder: str, *, now: datetime) -> None:
    """Give the lease up at once so a waiting process takes over without waiting for expiry."""
    with db.session() as session:
        session.execute(
            update(Lease)
            .where(Lease.name == name, Lease.holder == holder)
            .values(expires_at=now)
            .execution_options(synchronize_session=False)
        )


def current_lease(session: Session, name: str, *, now: datetime) -> Lease | None:
    """The lease if someone holds it now."""
    lease = session.get(Lease, name)
    if lease is None or as_utc(lease.expires_at) <= now:
        return None
    return lease


# --- notifications outbox ---------------------------------------------------------------
def queue_notification(
    session: Session,
    *,
    recipient: str,
    text: str,
    kind: str,
    document_id: str | None,
    dedupe_key: str,
) -> bool:
    """Add a DM to the outbox unless the same one (by key) was queued before; True if added."""
    exists = session.scalar(select(Notification.id).where(Notification.dedupe_key == dedupe_key))
    if exists is not None:
        return False
    session.add(
        Notification(
            recipient=recipient,
            text=text,
            kind=kind,
            document_id=document_id,
            dedupe_key=dedupe_key,
            status="pending",
        )
    )
    session.flush()
    return True


def pending_notifications(session: Session, *, limit: int = 100) -> list[Notification]:
    """Oldest first: what the Slack bot still has to deliver."""
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.status == "pending")
            .order_by(Notification.created_at, Notification.id)
            .limit(limit)
        )
    )


def due_notifications(
    session: Session, *, now: datetime, stale_before: datetime, limit: int = 50
) -> list[int]:
    """Ids a deliverer may claim now, oldest first: pending rows whose retry time has come,
    and rows claimed before `stale_before` that were never finished (their replica died)."""
    return list(
        session.scalars(
            select(Notification.id)
            .where(_claimable(now, stale_before))
            .order_by(Notification.created_at, Notification.id)
            .limit(limit)
        )
    )


def _claimable(now: datetime, stale_before: datetime) -> Any:
    pending = and_(
        Notification.status == "pending",
        or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now),
    )
    abandoned = and_(Notification.status == "sending", Notification.claimed_at < stale_before)
    return or_(pending, abandoned)


def claim_notification(
    session: Session,
    notification_id: int,
    *,
    holder: str,
    now: datetime,
    stale_before: datetime,
) -> Notification | None:
    """Take one outbox row for delivery, counting an attempt; None when another replica has
    it, or it was sent, failed or rescheduled meanwhile.

    One conditional UPDATE decides between replicas, as `acquire_lease` does: SQLite
    serialises writers and PostgreSQL re-checks the WHERE after a concurrent commit, so of
    two replicas that listed the same row exactly one sends it. Commit before sending.
    """
    claimed = session.execute(
        update(Notification)
        .where(Notification.id == notification_id, _claimable(now, stale_before))
        .values(
            status="sending",
            claimed_by=holder,
            claimed_at=now,
            attempts=Notification.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        return None
    return session.get(Notification, notification_id, populate_existing=True)


def mark_sent(
    session: Session,
    notification_id: int,
    *,
    at: datetime,
    channel: str | None = None,
    message_ts: str | None = None,
) -> None:
    session.execute(
        update(Notification)
        .where(Notification.id == notification_id)
        .values(
            status="sent",
            sent_at=at,
            error=None,
            next_attempt_at=None,
            channel=channel,
            message_ts=message_ts,
        )
    )


def mark_failed(session: Session, notification_id: int, *, error: str) -> None:
    """Failed for good (an unknown owner, a missing scope, too many attempts)."""
    session.execute(
        update(Notification)
        .where(Notification.id == notification_id)
        .values(status="failed", error=error[:2000], next_attempt_at=None)
    )


def withdraw_notification(session: Session, notification_id: int, *, reason: str) -> None:
    """Not sent, and never to be: what it says is no longer true (see `reason`)."""
    session.execute(
        update(Notification)
        .where(Notification.id == notification_id)
        .values(status="withdrawn", error=reason[:2000], next_attempt_at=None)
    )


def retry_notification(session: Session, notification_id: int, *, at: datetime, error: str) -> None:
    """Back to the outbox after a transient failure; no replica claims it before `at`."""
    session.execute(
        update(Notification)
        .where(Notification.id == notification_id)
        .values(status="pending", next_attempt_at=at, error=error[:2000])
    )


def list_notifications(
    session: Session, *, status: str | None = None, limit: int = 100
) -> list[Notification]:
    """Newest first, for admins: what was delivered, what waits, what failed and why."""
    query = select(Notification).order_by(Notification.created_at.desc(), Notification.id.desc())
    if status:
        query = query.where(Notification.status == status)
    return list(session.scalars(query.limit(limit)))


def requeue_failed_notifications(session: Session, ids: Iterable[int] | None = None) -> int:
    """Failed rows (all, or these ids) go back to the outbox with a fresh count of attempts,
    e.g. once the owner was corrected or the missing scope granted."""
    query = (
        update(Notification)
        .where(Notification.status == "failed")
        .values(status="pending", attempts=0, next_attempt_at=None)
        .execution_options(synchronize_session=False)
    )
    if ids is not None:
        query = query.where(Notification.id.in_(list(ids)))
    return int(getattr(session.execute(query), "rowcount", 0) or 0)


# --- review dates -----------------------------------------------------------------------
def documents_past_review(session: Session, *, today: date) -> list[Document]:
    """Served documents whose review-by date is before today."""
    return list(
        session.scalars(
            select(Document).where(
                Document.status.in_(SERVED_STATUSES),
                Document.review_by.is_not(None),
                Document.review_by < today,
            )
        )
    )


def documents_review_due(session: Session, *, today: date, until: date) -> list[Document]:
    """Active documents whose review-by date falls between today and `until` (inclusive)."""
    return list(
        session.scalars(
            select(Document).where(
                Document.status == "active",
                Document.review_by.is_not(None),
                Document.review_by >= today,
                Document.review_by <= until,
            )
        )
    )


def reactivate_reviewed(session: Session, *, today: date) -> list[str]:
    """Stale documents whose review-by date was moved to today or later become active again."""
    rows = list(
        session.scalars(
            select(Document).where(
                Document.status == "stale",
                or_(Document.review_by.is_(None), Document.review_by >= today),
            )
        )
    )
    for document in rows:
        document.status = "active"
    return [d.id for d in rows]


# --- rebuilds ----------------------------------------------------------------------------
@dataclass(frozen=True)
class LiveDocument:
    """What a rebuild needs of one served document's live version."""

    document_id: str
    version: int
    source_uri: str
    file_name: str
    content_hash: str
    title: str
    audiences: tuple[str, ...]
    review_by: date | None
    chunk_count: int


def live_documents(session: Session) -> list[LiveDocument]:
    rows = session.execute(
        select(Document, DocumentVersion)
        .join(
            DocumentVersion,
            (DocumentVersion.document_id == Document.id)
            & (DocumentVersion.version == Document.live_version),
        )
        .where(Document.live_version.is_not(None), Document.status.in_(SERVED_STATUSES))
        .order_by(Document.id)
    )
    return [
        LiveDocument(
            document_id=doc.id,
            version=ver.version,
            source_uri=doc.source_uri,
            file_name=ver.file_name,
            content_hash=ver.content_hash,
            title=ver.title or doc.title,
            audiences=tuple(doc.audiences),
            review_by=doc.review_by,
            chunk_count=ver.chunk_count,
        )
        for doc, ver in rows
    ]


def count_live_versions_not_embedded_with(session: Session, fingerprint: str) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Document)
            .join(
                DocumentVersion,
                (DocumentVersion.document_id == Document.id)
                & (DocumentVersion.version == Document.live_version),
            )
            .where(
                Document.status.in_(SERVED_STATUSES),
                DocumentVersion.embedding_model != fingerprint,
            )
        )
        or 0
    )


def record_rebuilt(
    session: Session, rebuilt: Mapping[tuple[str, int], int], *, fingerprint: str
) -> None:
    """Live versions now in the new collection: their embedding model and chunk counts."""
    for (document_id, version), chunks in rebuilt.items():
        row = session.scalar(
            select(DocumentVersion).where(
                DocumentVersion.document_id == document_id, DocumentVersion.version == version
            )
        )
        document = session.get(Document, document_id)
        if row is None or document is None:
            continue
        row.embedding_model, row.chunk_count = fingerprint, chunks
        if document.live_version == version:
            document.chunk_count = chunks


def record_not_rebuilt(session: Session, errors: Mapping[str, str]) -> None:
    """Documents a rebuild could not carry over are no longer served; say why."""
    for document_id, error in errors.items():
        document = session.get(Document, document_id)
        if document is not None:
            document.live_version = None
            document.status = "failed"
            document.chunk_count = 0
            document.last_error = error
