"""Owner review nudges as Slack sees them: who the recipient is, and the message (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from bot.blocks import split_text
from bot.mrkdwn import escape
from knowledge.retrieval import source_name
from knowledge.review_messages import confirm_command, due_status, expired_status

Block = dict[str, Any]

USER_ID = re.compile(r"^(?:<@|@)?([UW][A-Z0-9]{2,})(?:\|[^>]*)?>?$")
CHANNEL_ID = re.compile(r"^(?:<#|#)?([CG][A-Z0-9]{2,})(?:\|[^>]*)?>?$")
CHANNEL_NAME = re.compile(r"^#([a-z0-9][a-z0-9._-]{0,79})$")
EMAIL = re.compile(r"^[^@\s<>|]+@[^@\s<>|]+\.[^@\s<>|]+$")
HEADER_LIMIT = 150  # Slack's limit on a header's text
FALLBACK_LIMIT = 3000


class UnknownRecipient(ValueError):
    """An owner that is neither an email, a Slack user id nor a channel."""


@dataclass(frozen=True)
class Recipient:
    """Where a notification goes, as Slack addresses it."""

    kind: Literal["email", "user", "channel"]
    address: str
    """The email, the user id (U.../W...), or the channel (C.../G... id, or #name)."""


def parse_recipient(owner: str) -> Recipient:
    """Read a document's owner: 'jane@example.com', 'U012AB3CD' or '<@U012AB3CD>',
    '#policy-owners', 'C0123ABC' or '<#C0123ABC|policies>'."""
    text = owner.strip().removeprefix("mailto:")
    if match := USER_ID.match(text):
        return Recipient("user", match.group(1))
    if match := CHANNEL_ID.match(text):
        return Recipient("channel", match.group(1))
    if CHANNEL_NAME.match(text):
        return Recipient("channel", text)
    if EMAIL.match(text):
        return Recipient("email", text.lower())
    raise UnknownRecipient(
        "the owner is not an email, a Slack user id (U...) or a channel (#name): "
        "fix `owner` in the document"
    )


@dataclass(frozen=True)
class Nudge:
    """One owner notification: what the scheduler queued and what the registry knows."""

    kind: str
    """review_due | review_expired"""
    text: str
    """The scheduler's own wording (mrkdwn): the message's fallback text."""
    document_id: str | None = None
    title: str | None = None
    """None when the document is no longer in the registry."""
    source_uri: str = ""
    review_by: date | None = None


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _source(uri: str) -> str:
    name = escape(source_name(uri))
    return f"<{uri}|{name}>" if uri.startswith(("http://", "https://")) else f"`{name}`"


def nudge_text(nudge: Nudge) -> str:
    """The plain fallback (push notifications, screen readers)."""
    text = nudge.text
    return text if len(text) <= FALLBACK_LIMIT else text[: FALLBACK_LIMIT - 1] + "…"


def nudge_blocks(nudge: Nudge, *, today: date) -> list[Block]:
    """The message: which document, its review-by date, its source, and what to do."""
    if nudge.title is None or nudge.review_by is None:  # the document is gone: say what we knew
        return [_section(piece) for piece in split_text(escape(nudge.text))]
    expired = nudge.kind == "review_expired"
    title = escape(nudge.title)
    icon, label = (":warning:", "Review overdue") if expired else (":date:", "Review due")
    header = f"{icon} {label}: {nudge.title}"
    due = nudge.review_by.isoformat()
    if expired:
        status = expired_status(title, nudge.review_by)
    else:
        status = due_status(title, nudge.review_by, today)
    return [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": header[:HEADER_LIMIT], "emoji": True},
        },
        _section(status),
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*Document*\n`{escape(nudge.document_id or '')}`"},
                {"type": "mrkdwn", "text": f"*Review by*\n{due}"},
                {"type": "mrkdwn", "text": f"*Source*\n{_source(nudge.source_uri)}"},
            ],
        },
        _section(
            "*What to do*\n"
            "• *Still correct?* Confirm it until a new date without changing it: "
            f"{confirm_command(escape(nudge.document_id or ''))} "
            "(a helpbot admin can run it for you) clears the flag at once. Or change "
            "`review_by:` in its front matter (Markdown), or `review_by=YYYY-MM-DD` in its "
            "keywords (PDF, Word), and save it where it lives; the next re-index takes the new "
            "date.\n"
            "• *Out of date?* Update the document at its source; the next re-index serves the "
            "new version.\n"
            "• *No longer needed?* Ask a helpbot admin to remove it."
        ),
        _context(
            "Admins can re-index at once with `helpbot reindex --stale` (documents added with "
            "`helpbot ingest` are re-ingested instead). You get this because you are the "
            "document's `owner`; if that changed, update it in the document."
        ),
    ]
