"""Delivering the scheduler's owner notifications: claim a row, send it, record what happened.

Every bot replica runs one `OutboxDeliverer` thread. A row is sent by whichever replica's
conditional UPDATE claims it first (`claim_notification`), so two replicas never post the
same message. Rate limits and network errors put the row back with a retry time (Slack's
Retry-After, or a doubling back-off) until the attempts run out; an owner Slack does not know
fails at once with the reason. A replica that dies between claiming and recording leaves the
row 'sending'; after `claim_timeout_s` another replica takes it over (the one case where an
owner could get a message twice: if the dead replica had already posted it).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from http.client import HTTPException
from typing import Literal

from slack_sdk.errors import SlackApiError

from bot.nudges import Nudge, UnknownRecipient, nudge_blocks, nudge_text, parse_recipient
from bot.slack_api import SlackApi, retry_after
from knowledge.db import documents as registry
from knowledge.db import outbox
from knowledge.db.connection import Database
from knowledge.settings import setting_default

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 3600.0
DEFAULT_RETRY_AFTER_S = 60.0
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
# What an admin reads in `helpbot notifications list` for the errors a wrong owner or a
# missing permission causes (any other Slack error is recorded by its code).
REASONS = {
    "users_not_found": "no Slack account has this email address: fix `owner` in the document",
    "user_not_found": "no such Slack user: fix `owner` in the document",
    "channel_not_found": "no such channel, or the bot is not in it: fix `owner`, or invite it",
    "not_in_channel": "the bot is not in that channel: invite it with /invite @helpbot",
    "is_archived": "the channel is archived: fix `owner` in the document",
    "user_disabled": "the owner's Slack account is deactivated: fix `owner` in the document",
    "account_inactive": "the owner's Slack account is deactivated: fix `owner` in the document",
    "cannot_dm_bot": "the owner is a bot: fix `owner` in the document",
    "missing_scope": "the Slack app lacks a scope (users:read.email looks up emails): update "
    "it from manifest.yml and reinstall",
    "invalid_auth": "the bot token is not valid (HELPBOT_SLACK_BOT_TOKEN)",
    "not_authed": "the bot token is not valid (HELPBOT_SLACK_BOT_TOKEN)",
    "token_revoked": "the bot token was revoked: reinstall the app",
}


Outcome = Literal["sent", "retrying", "failed", "lost", "withdrawn"]


@dataclass
class DeliveryReport:
    """What one pass over the outbox did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    lost: int = 0
    """Rows another replica claimed first."""
    withdrawn: int = 0
    """Rows made moot since they were queued (an overdue reminder for a reviewed document)."""


class _Transient(Exception):
    """A failure worth another attempt, after `wait` seconds (None: the usual back-off)."""

    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.wait = reason, wait


class OutboxDeliverer:
    """Sends what the outbox holds, one claimed row at a time; `start()` polls in a thread."""

    def __init__(
        self,
        db: Database,
        api: SlackApi,
        *,
        holder: str,
        clock: Callable[[], datetime],
        poll_s: float = setting_default("slack_outbox_poll_seconds"),
        max_attempts: int = setting_default("slack_outbox_max_attempts"),
        retry_s: float = setting_default("slack_outbox_retry_seconds"),
        claim_timeout_s: float = setting_default("slack_outbox_claim_timeout_seconds"),
        batch: int = 50,
    ) -> None:
        self.db, self.api, self.holder, self.clock = db, api, holder, clock
        self.poll_s, self.max_attempts, self.retry_s = poll_s, max_attempts, retry_s
        self.claim_timeout = timedelta(seconds=claim_timeout_s)
        self.batch = batch
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._resume_at: datetime | None = None

    # --- the background thread ------------------------------------------------------------
    def start(self) -> None:
        """Poll every `poll_s` seconds until `stop()` (a poll of 0 or less never starts)."""
        if self.poll_s <= 0 or self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="helpbot-outbox", daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 30.0) -> bool:
        """Finish the message being sent, then end the thread; False if it is still running."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running

    def _run(self) -> None:
        log.info("delivering owner notifications every %.0f s as %s", self.poll_s, self.holder)
        while not self._stop.is_set():
            try:
                self.deliver_once()
            except Exception:  # the database is down, say: try again next time
                log.exception("notification delivery pass failed")
            self._stop.wait(self.poll_s)

    # --- one pass ---------------------------------------------------------------------------
    def deliver_once(self) -> DeliveryReport:
        """Claim and send every notification due now (stops early on a rate limit)."""
        report = DeliveryReport()
        now = self.clock()
        if self._resume_at is not None and now < self._resume_at:
            return report  # Slack asked us to slow down: the whole outbox waits
        with self.db.session() as session:
            ids = outbox.due_notifications(
                session, now=now, stale_before=now - self.claim_timeout, limit=self.batch
            )
        for notification_id in ids:
            if self._stop.is_set():
                break
            outcome = self._deliver(notification_id)
            setattr(report, outcome, getattr(report, outcome) + 1)
            if self._resume_at is not None and self.clock() < self._resume_at:
                break
        if ids:
            log.info("notification pass: %s", report)
        return report

    def _deliver(self, notification_id: int) -> Outcome:
        now = self.clock()
        with self.db.session() as session:
            row = outbox.claim_notification(
                session,
                notification_id,
                holder=self.holder,
                now=now,
                stale_before=now - self.claim_timeout,
            )
            if row is None:
                return "lost"
            attempts, recipient, error = row.attempts, row.recipient, row.error
            document = registry.get(session, row.document_id) if row.document_id else None
            nudge = Nudge(
                kind=row.kind,
                text=row.text,
                document_id=row.document_id,
                title=document.title if document else None,
                source_uri=document.source_uri if document else "",
                review_by=document.review_by if document else None,
            )
        if nudge.kind == "review_expired" and nudge.review_by and nudge.review_by > now.date():
            # A new version or a confirmed review moved the date since the reminder was queued.
            return self._withdraw(notification_id, "the document's review date is no longer past")
        if attempts > self.max_attempts:  # claimed over and over by replicas that died
            last = error or "its replica stopped while sending"
            return self._fail(notification_id, f"gave up after {attempts - 1} attempts: {last}")
        try:
            channel, ts = self._send(recipient, nudge, today=now.date())
        except _Transient as transient:
            return self._retry(notification_id, attempts, transient)
        except UnknownRecipient as exc:
            return self._fail(notification_id, str(exc))
        except SlackApiError as exc:
            code = str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
            reason = REASONS.get(code)
            return self._fail(notification_id, f"{code}: {reason}" if reason else code)
        except Exception as exc:  # a bug, or an answer Slack never gives: the message may
            # have gone out, so it is not sent again (at most once beats twice here)
            log.exception("notification %d: unexpected error", notification_id)
            return self._fail(notification_id, f"unexpected error: {type(exc).__name__}")
        with self.db.session() as session:
            outbox.mark_sent(
                session, notification_id, at=self.clock(), channel=channel, message_ts=ts
            )
        log.info("notification %d (%s) sent", notification_id, nudge.kind)
        return "sent"

    def _send(self, recipient: str, nudge: Nudge, *, today: date) -> tuple[str, str]:
        """Resolve the owner to a conversation and post there; (channel, ts)."""
        target = parse_recipient(recipient)
        blocks = nudge_blocks(nudge, today=today)
        try:
            if target.kind == "channel":
                channel = target.address
            else:
                user = target.address
                if target.kind == "email":
                    user = self.api.user_by_email(target.address)
                channel = self.api.open_dm(user)
            ts = self.api.post_message(channel, nudge_text(nudge), blocks=blocks)
        except SlackApiError as exc:
            status = exc.response.status_code
            code = str(exc.response.get("error") or "")
            if status == 429 or code == "ratelimited":
                raise _Transient("ratelimited", retry_after(exc) or DEFAULT_RETRY_AFTER_S) from exc
            if status >= 500 or code in TRANSIENT_ERRORS:
                raise _Transient(code or f"HTTP {status}") from exc
            raise
        except (OSError, HTTPException) as exc:  # URLError, timeouts, resets
            raise _Transient(f"network error: {type(exc).__name__}") from exc
        return channel, ts

    def _retry(self, notification_id: int, attempts: int, transient: _Transient) -> Outcome:
        if attempts >= self.max_attempts:
            return self._fail(
                notification_id, f"gave up after {attempts} attempts: {transient.reason}"
            )
        wait = transient.wait
        if wait is None:
            wait = min(MAX_BACKOFF_S, self.retry_s * 2 ** (attempts - 1))
        else:
            self._resume_at = self.clock() + timedelta(seconds=wait)
        with self.db.session() as session:
            outbox.retry_notification(
                session,
                notification_id,
                at=self.clock() + timedelta(seconds=wait),
                error=transient.reason,
            )
        log.warning(
            "notification %d: %s; attempt %d of %d again in %.0f s",
            notification_id,
            transient.reason,
            attempts + 1,
            self.max_attempts,
            wait,
        )
        return "retrying"

    def _withdraw(self, notification_id: int, reason: str) -> Outcome:
        with self.db.session() as session:
            outbox.withdraw_notification(session, notification_id, reason=reason)
        log.info("notification %d withdrawn: %s", notification_id, reason)
        return "withdrawn"

    def _fail(self, notification_id: int, error: str) -> Outcome:
        with self.db.session() as session:
            outbox.mark_failed(session, notification_id, error=error)
        log.warning("notification %d failed: %s", notification_id, error)
        return "failed"
