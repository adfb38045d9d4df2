"""An answer as standard Markdown for Slack's `markdown` block and streams (pure)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from knowledge.answering.answer_types import Citation
from knowledge.review_messages import source_flag

MARKDOWN_LIMIT = 12000
"""Slack's limit on all markdown blocks of one message (and on one streamed text)."""
MAX_SOURCES = 5
"""Sources listed under an answer; the rest are counted ('and 35 more')."""
SPECIAL_MENTION = re.compile(r"<(?=[!@#])")
"""`<!channel>`, `<@U123>`, `<#C123>`: written by a model, they must not ping anyone."""
CUT_NOTE = "\n\n_(This answer was cut to fit in one Slack message.)_"


def link_target(uri: str) -> str:
    """A URL that stays one link target in Markdown: parentheses, spaces and angle brackets
    percent-encoded (a URL like .../Leave_(UK) would otherwise end the link early)."""
    uri = re.sub(r"%(?![0-9A-Fa-f]{2})", "%25", uri)
    for raw, encoded in ((" ", "%20"), ("(", "%28"), (")", "%29"), ("<", "%3C"), (">", "%3E")):
        uri = uri.replace(raw, encoded)
    return uri


def link_label(text: str) -> str:
    """Link text with Markdown's brackets escaped."""
    return re.sub(r"([\[\]\\*_`])", r"\\\1", " ".join(text.split()))


def plain(text: str) -> str:
    """Model or document text made safe for a markdown block: no pings, no raw HTML tags."""
    return SPECIAL_MENTION.sub("<\u200b", text)


def is_web_link(uri: str) -> bool:
    return uri.startswith(("http://", "https://"))


def source_item(citation: Citation) -> str:
    """'[1] [Annual leave](https://...) · Annual leave > Entitlement · review due 2030-01-01'."""
    title = link_label(citation.title or citation.source)
    uri = citation.source_uri
    parts = [
        f"[{citation.number}] "
        + (f"[{title}]({link_target(uri)})" if is_web_link(uri) else f"**{title}**")
    ]
    if citation.section and citation.section != citation.title:
        parts.append(link_label(citation.section))
    if uri and not is_web_link(uri):
        parts.append(f"`{citation.source.replace('`', '')}`")
    flag = source_flag(citation.review_by, stale=citation.stale)
    if flag:
        parts.append(f"⚠️ {flag}" if citation.stale else flag)
    return " · ".join(parts)


def sources_markdown(citations: Sequence[Citation]) -> str:
    """'**Sources**' and one line per cited document (at most MAX_SOURCES, then a count)."""
    if not citations:
        return ""
    lines = [f"- {source_item(c)}" for c in citations[:MAX_SOURCES]]
    if len(citations) > MAX_SOURCES:
        lines.append(f"- …and {len(citations) - MAX_SOURCES} more")
    return "**Sources**\n" + "\n".join(lines)


def fit(text: str, limit: int = MARKDOWN_LIMIT) -> str:
    """Text cut at a paragraph, line or word boundary to fit `limit`, saying it was cut."""
    if len(text) <= limit:
        return text
    room = limit - len(CUT_NOTE)
    cut = max(text.rfind("\n\n", 0, room), text.rfind("\n", 0, room), text.rfind(" ", 0, room))
    return text[: cut if cut > room // 2 else room].rstrip() + CUT_NOTE


def answer_markdown(
    text: str,
    citations: Sequence[Citation],
    *,
    notes: Sequence[str] = (),
    limit: int = MARKDOWN_LIMIT,
) -> str:
    """The answer, its notes and its sources as one Markdown text within Slack's limit
    (the sources are kept whole; the answer is cut first)."""
    tail = "\n\n".join(
        [*(f"_ℹ️ {plain(note)}_" for note in notes if note), sources_markdown(citations)]
    ).strip()
    room = limit - (len(tail) + 2 if tail else 0)
    body = fit(plain(text.strip()) or "_(empty answer)_", max(room, 200))
    return f"{body}\n\n{tail}" if tail else body
