"""The steps a person sees while an answer is made: streaming task chunks (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.answer_markdown import is_web_link
from knowledge.answering.answer_types import Answer

Chunk = dict[str, Any]

SEARCH = "search"
WRITE = "write"
CHECK = "check"
SEARCHING = "Searching the policies"
WRITING = "Writing the answer"
"""The titles of the search and writing steps, however far along they are."""
MAX_TASK_SOURCES = 5
LOADING_MESSAGES = (
    "Looking through our policies…",
    "Reading the relevant sections…",
    "Checking the answer against the sources…",
)
"""Rotated by Slack in the thread's status while the answer is made."""


def task(
    task_id: str,
    title: str,
    status: str,
    *,
    details: str | None = None,
    output: str | None = None,
    sources: Sequence[dict[str, str]] = (),
) -> Chunk:
    """One task_update chunk; status is pending, in_progress, complete or error."""
    chunk: Chunk = {"type": "task_update", "id": task_id, "title": title, "status": status}
    if details:
        chunk["details"] = details
    if output:
        chunk["output"] = output
    if sources:
        chunk["sources"] = list(sources)
    return chunk


def searching(ahead: int = 0) -> list[Chunk]:
    """The first step, shown as soon as the question is accepted."""
    details = f"{ahead} question{'s' if ahead != 1 else ''} ahead of yours" if ahead else None
    return [task(SEARCH, SEARCHING, "in_progress", details=details)]


def writing() -> list[Chunk]:
    """The model started writing: the search is done."""
    return [
        task(SEARCH, SEARCHING, "complete"),
        task(WRITE, WRITING, "in_progress"),
    ]


def found_title(answer: Answer) -> str:
    """'Found 3 passages in Expenses, Travel' (or that nothing relevant was found)."""
    count = len(answer.passages)
    if not count:
        return "Found no passage on this"
    titles: list[str] = []
    for passage in answer.passages:
        if passage.title and passage.title not in titles:
            titles.append(passage.title)
    shown = ", ".join(titles[:3]) + (f" and {len(titles) - 3} more" if len(titles) > 3 else "")
    return f"Found {count} passage{'s' if count != 1 else ''} in {shown}"


def task_sources(answer: Answer) -> list[dict[str, str]]:
    """URL sources of the search step: the cited documents first, web links only."""
    seen: dict[str, str] = {}
    for uri, title in [(c.source_uri, c.title) for c in answer.citations] + [
        (p.source_uri, p.title) for p in answer.passages
    ]:
        if is_web_link(uri) and uri not in seen and len(seen) < MAX_TASK_SOURCES:
            seen[uri] = (title or uri)[:150]
    return [{"type": "url", "url": uri, "text": text} for uri, text in seen.items()]


def finished(answer: Answer, *, wrote: bool) -> list[Chunk]:
    """The steps once the answer is checked: what was found (with links), and the check."""
    chunks = [
        task(SEARCH, found_title(answer), "complete", sources=task_sources(answer)),
    ]
    if wrote:
        chunks.append(task(WRITE, WRITING, "complete"))
    if answer.abstained:
        outcome = "Our policies don't cover this; saying so instead of guessing"
    elif answer.grounding_failed:
        outcome = "The draft stated facts the sources don't; quoting the sources instead"
    else:
        outcome = "Every fact is backed by a cited source"
    chunks.append(task(CHECK, "Checking the answer", "complete", output=outcome))
    return chunks


def failed() -> list[Chunk]:
    """The answer could not be made (the error reply follows as text)."""
    return [task(CHECK, "Answering", "error")]


def late(reference: str) -> list[Chunk]:
    return [
        task(
            WRITE,
            WRITING,
            "in_progress",
            details=f"This is taking longer than usual (reference {reference})",
        )
    ]
