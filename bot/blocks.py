"""Block Kit builders (pure functions returning plain data): answers, notices, modal, App Home."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.mrkdwn import escape, to_mrkdwn
from knowledge.answering.models import Citation

Block = dict[str, Any]

VOTE_UP = "helpbot_vote_up"
VOTE_DOWN = "helpbot_vote_down"
SHARE = "helpbot_share"
CORRECTION_VIEW = "helpbot_correction"
CORRECTION_BLOCK = "correction"
CORRECTION_INPUT = "text"

SECTION_LIMIT = 3000  # Slack's limit on one section's text
MAX_SOURCES = 5
FALLBACK_LIMIT = 3500
GREETING = "Hi! Ask me anything about our policies. I'll answer with the sources I used."


@dataclass(frozen=True)
class AnswerView:
    """What an answer message shows."""

    reference: str
    text: str
    """The answer in Markdown (converted to mrkdwn here)."""
    citations: Sequence[Citation]
    abstained: bool = False
    note: str | None = None
    help_contact: str = "#ask-people"
    private: bool = False
    """Shown only to the asker (slash command): offers to share it in the channel."""
    shareable: bool = False
    """Every cited document may be seen by everyone in the channel."""
    shared_by: str | None = None
    """User id of whoever shared a private answer into the channel."""


@dataclass(frozen=True)
class HomeDocument:
    """One document listed on the App Home tab."""

    title: str
    review_by: date | None
    stale: bool


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(*texts: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": t} for t in texts]}


def _button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "action_id": action_id,
        "value": value,
        "text": {"type": "plain_text", "text": text, "emoji": True},
    }
    if style:
        button["style"] = style
    return button


def split_text(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Split text into pieces under `limit`, at paragraph, then line, then word boundaries."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = max(
            text.rfind("\n\n", 0, limit), text.rfind("\n", 0, limit), text.rfind(" ", 0, limit)
        )
        cut = cut if cut > 0 else limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return [*pieces, text] if text else pieces


def source_line(citation: Citation) -> str:
    """'*[1]* <link|Title> · Section · review due 2026-05-01', flagged when overdue."""
    title = escape(citation.title or citation.source)
    uri = citation.source_uri
    name = f"<{uri}|{title}>" if uri.startswith(("http://", "https://")) else f"*{title}*"
    parts = [f"*[{citation.number}]* {name}"]
    if citation.section and citation.section != citation.title:
        parts.append(escape(citation.section))
    if uri and not uri.startswith(("http://", "https://")):
        parts.append(escape(citation.source))
    if citation.stale:
        due = f" (due {citation.review_by.isoformat()})" if citation.review_by else ""
        parts.append(f":warning: review overdue{due}, may be out of date")
    elif citation.review_by:
        parts.append(f"review due {citation.review_by.isoformat()}")
    return " · ".join(parts)


def answer_blocks(view: AnswerView) -> list[Block]:
    """The answer, its sources, feedback buttons (and a share button for private answers)."""
    blocks = [_section(piece) for piece in split_text(to_mrkdwn(view.text) or "_(empty)_")]
    if view.abstained:
        blocks.append(
            _context(
                f":information_source: Our policies don't seem to cover this. "
                f"Please ask in {escape(view.help_contact)}."
            )
        )
    if view.note:
        blocks.append(_context(f":information_source: {escape(view.note)}"))
    if view.citations:
        blocks.append(_context("*Sources*"))
        blocks.extend(_context(source_line(c)) for c in view.citations[:MAX_SOURCES])
    buttons = [
        _button(":thumbsup: Helpful", VOTE_UP, view.reference),
        _button(":thumbsdown: Not helpful / wrong", VOTE_DOWN, view.reference),
    ]
    if view.private and view.shareable:
        buttons.append(_button("Share in channel", SHARE, view.reference, style="primary"))
    blocks.append(
        {"type": "actions", "block_id": f"feedback:{view.reference}", "elements": buttons}
    )
    footer = f"ref `{view.reference}`"
    if view.shared_by:
        footer = f"Shared by <@{view.shared_by}> · {footer}"
    elif view.private and not view.shareable and view.citations:
        footer += " · uses documents only you may see, so it can't be shared in the channel"
    blocks.append(_context(footer))
    return blocks


def answer_fallback(view: AnswerView) -> str:
    """The answer as plain mrkdwn text (notifications, screen readers)."""
    text = to_mrkdwn(view.text)
    return text if len(text) <= FALLBACK_LIMIT else text[: FALLBACK_LIMIT - 1] + "…"


def thinking_text(ahead: int = 0) -> str:
    queue = f" ({ahead} question{'s' if ahead != 1 else ''} ahead of yours)" if ahead > 0 else ""
    return f":hourglass_flowing_sand: Looking through our policies…{queue}"


def streaming_text(partial: str) -> str:
    return f"{to_mrkdwn(partial)} …"


def error_text(reason: str, reference: str, help_contact: str) -> str:
    """A short failure reply; the reference is in the logs next to the error."""
    messages = {
        "store": "I can't reach the knowledge base right now.",
        "model": "Something went wrong while writing the answer.",
        "timeout": "This took too long and I gave up.",
    }
    what = messages.get(reason, "Something went wrong on my side.")
    return (
        f":warning: Sorry, I couldn't answer that. {what} Please try again in a few minutes, "
        f"or ask in {escape(help_contact)}. (reference `{reference}`)"
    )


def late_text(reference: str) -> str:
    return (
        ":hourglass: This is taking longer than usual. I'll replace this message with the "
        f"answer as soon as it is ready. (reference `{reference}`)"
    )


def rate_limited_text(per_minute: int, help_contact: str) -> str:
    return (
        f":snail: You've asked {per_minute} questions in the last minute, which is my limit. "
        f"Please wait a moment and ask again (or ask in {escape(help_contact)})."
    )


def empty_question_text() -> str:
    return "Hi! Ask me anything about our policies, e.g. _how much annual leave do I get?_"


def vote_ack_text(value: int | None) -> str:
    if value is None:
        return "Your feedback on this answer was removed."
    if value > 0:
        return ":thumbsup: Thanks, glad it helped! (click again to undo)"
    return ":thumbsdown: Thanks for telling me. A correction helps even more."


def correction_modal(reference: str, question: str, metadata: Mapping[str, str]) -> Block:
    """The 'not helpful / wrong' modal asking what the right answer is."""
    quoted = escape(question if len(question) <= 280 else question[:279] + "…")
    return {
        "type": "modal",
        "callback_id": CORRECTION_VIEW,
        "private_metadata": json.dumps({"ref": reference, **metadata}),
        "title": {"type": "plain_text", "text": "Improve this answer"},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            _context(f"Question: _{quoted}_" if quoted else "Your question"),
            {
                "type": "input",
                "block_id": CORRECTION_BLOCK,
                "label": {
                    "type": "plain_text",
                    "text": "What's wrong, or what is the right answer?",
                },
                "element": {
                    "type": "plain_text_input",
                    "action_id": CORRECTION_INPUT,
                    "multiline": True,
                    "max_length": 3000,
                },
            },
            _context("Admins review corrections before the bot learns from them."),
        ],
    }


def home_view(
    documents: Sequence[HomeDocument], feedback_emoji: Mapping[str, int], help_contact: str
) -> Block:
    """The App Home tab: what the bot knows and how to give feedback."""
    lines = []
    for doc in documents:
        line = f"• {escape(doc.title)}"
        if doc.stale:
            line += " · :warning: review overdue"
        elif doc.review_by:
            line += f" · review due {doc.review_by.isoformat()}"
        lines.append(line)
    knows = "\n".join(lines) or "_No documents are loaded yet._"
    good = " ".join(f":{name}:" for name, v in feedback_emoji.items() if v > 0)
    bad = " ".join(f":{name}:" for name, v in feedback_emoji.items() if v < 0)
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "helpbot"}},
        _section(
            "I answer questions about our company policies, with the sources I used. "
            "Mention me in a channel (`@helpbot how much leave do I get?`), send me a direct "
            "message, open me in the assistant panel, or use `/ask` for a private answer."
        ),
        {"type": "divider"},
        _section(f"*What I know* ({len(documents)} documents everyone may see)"),
        *(_section(piece) for piece in split_text(knows)),
        {"type": "divider"},
        _section(
            "*How to give feedback*\n"
            f"React to an answer with {good or ':thumbsup:'} if it helped, or "
            f"{bad or ':thumbsdown:'} if it didn't; or use the buttons under the answer. "
            "*Not helpful / wrong* lets you write the right answer. Remove your reaction to "
            "take your vote back. Admins review feedback before the bot learns from it."
        ),
        _context(f"Can't find what you need? Ask in {escape(help_contact)}."),
    ]
    return {"type": "home", "blocks": blocks[:100]}
