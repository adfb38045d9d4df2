"""Block Kit builders (pure functions returning plain data): answers, notices, modal, App Home."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.answer_markdown import answer_markdown
from bot.mrkdwn import escape, to_mrkdwn
from knowledge.answering.answer_types import Citation
from knowledge.review_messages import source_flag
from knowledge.settings import setting_default

Block = dict[str, Any]

FEEDBACK = "helpbot_feedback"
"""Slack's feedback buttons under an answer: values 'up:<ref>' / 'down:<ref>'."""
VOTE_UP = "helpbot_vote_up"
"""Legacy buttons of answers posted before feedback_buttons (still handled)."""
VOTE_DOWN = "helpbot_vote_down"
SHARE = "helpbot_share"
OPT_OUT = "helpbot_opt_out"
OPT_IN = "helpbot_opt_in"
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
    """The answer in Markdown (shown in a markdown block)."""
    citations: Sequence[Citation]
    abstained: bool = False
    note: str | None = None
    help_contact: str = setting_default("help_contact")
    private: bool = False
    """Shown only to the asker (slash command): offers to share it in the channel."""
    shareable: bool = False
    """Every cited document may be seen by everyone in the channel."""
    shared_by: str | None = None
    """User id of whoever shared a private answer into the channel."""


@dataclass(frozen=True)
class Privacy:
    """What the App Home says about a person's data."""

    opted_out: bool
    """They asked that their questions and votes never be used for training."""
    training_on: bool
    """An admin allowed training on Slack conversations at all."""


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
    flag = source_flag(citation.review_by, stale=citation.stale)
    if flag:
        parts.append(f":warning: {flag}" if citation.stale else flag)
    return " · ".join(parts)


def answer_notes(view: AnswerView) -> list[str]:
    notes = []
    if view.abstained:
        notes.append(f"Our policies don't seem to cover this. Please ask in {view.help_contact}.")
    if view.note:
        notes.append(view.note)
    return notes


def answer_text_markdown(view: AnswerView) -> str:
    """The answer, its notes and its sources (links with section and review date)."""
    return answer_markdown(view.text, view.citations, notes=answer_notes(view))


def feedback_block(reference: str) -> Block:
    """Slack's thumbs up / down under an answer (one vote per person, pressed again: undone)."""
    return {
        "type": "context_actions",
        "block_id": f"feedback:{reference}",
        "elements": [
            {
                "type": "feedback_buttons",
                "action_id": FEEDBACK,
                "positive_button": {
                    "text": {"type": "plain_text", "text": "Helpful"},
                    "accessibility_label": "This answer was helpful",
                    "value": f"up:{reference}",
                },
                "negative_button": {
                    "text": {"type": "plain_text", "text": "Not helpful / wrong"},
                    "accessibility_label": "This answer was not helpful or wrong",
                    "value": f"down:{reference}",
                },
            }
        ],
    }


def answer_footer_blocks(view: AnswerView) -> list[Block]:
    """What goes under the answer text: share button (private answers), feedback, reference.
    A stream attaches these at its stop."""
    blocks: list[Block] = []
    if view.private and view.shareable:
        blocks.append(
            {
                "type": "actions",
                "block_id": f"share:{view.reference}",
                "elements": [_button("Share in channel", SHARE, view.reference, "primary")],
            }
        )
    blocks.append(feedback_block(view.reference))
    footer = f"ref `{view.reference}`"
    if view.shared_by:
        footer = f"Shared by <@{view.shared_by}> · {footer}"
    elif view.private and not view.shareable and view.citations:
        footer += " · uses documents only you may see, so it can't be shared in the channel"
    blocks.append(_context(footer))
    return blocks


def answer_blocks(view: AnswerView) -> list[Block]:
    """The whole answer message: one markdown block, then the footer blocks."""
    markdown: Block = {"type": "markdown", "text": answer_text_markdown(view)}
    return [markdown, *answer_footer_blocks(view)]


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


def privacy_blocks(privacy: Privacy) -> list[Block]:
    """'Your data': what is kept, whether training uses it, and the opt-out switch."""
    kept = (
        "I keep only what I receive as your app: your questions to me, my answers and your "
        "feedback, for a limited time."
    )
    if privacy.opted_out:
        use = "You opted out: your questions and feedback are never used to train me."
        button = _button("Allow training on my questions", OPT_IN, "in")
    else:
        use = (
            "Admins may use reviewed questions and feedback to train me."
            if privacy.training_on
            else "Training on Slack conversations is currently off."
        )
        button = _button("Don't use my questions for training", OPT_OUT, "out")
    return [
        _section(f"*Your data*\n{kept} {use}"),
        {"type": "actions", "block_id": "privacy", "elements": [button]},
    ]


def unknown_answer_text() -> str:
    return "This answer is no longer on record (it may have been deleted), so no vote was saved."


def home_view(
    documents: Sequence[HomeDocument],
    feedback_emoji: Mapping[str, int],
    help_contact: str,
    *,
    privacy: Privacy | None = None,
) -> Block:
    """The App Home tab: what the bot knows and how to give feedback."""
    lines = []
    for doc in documents:
        line = f"• {escape(doc.title)}"
        if doc.stale:
            line += " · :warning: review overdue"
        elif doc.review_by:
            line += f" · {source_flag(doc.review_by, stale=False)}"
        lines.append(line)
    knows = "\n".join(lines) or "_No documents are loaded yet._"
    good = " ".join(f":{name}:" for name, v in feedback_emoji.items() if v > 0)
    bad = " ".join(f":{name}:" for name, v in feedback_emoji.items() if v < 0)
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "helpbot"}},
        _section(
            "I answer questions about our company policies, with the sources I used. "
            "Mention me in a channel (`@helpbot how much leave do I get?`), write to me in my "
            "*Messages* tab, or use `/ask` for a private answer."
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
    if privacy is not None:
        blocks[-1:-1] = [{"type": "divider"}, *privacy_blocks(privacy)]
    return {"type": "home", "blocks": blocks[:100]}
