"""Citations of an answer: [n] markers checked against what was shown, inferred when missing,
turned into Citation records, and review-overdue notes for the documents they cite."""

from __future__ import annotations

import re
from collections.abc import Sequence

from knowledge.answering.extractive import terms
from knowledge.answering.models import Citation
from knowledge.retrieval import Passage

MIN_OVERLAP = 2
"""Content words an uncited answer without facts must share with a passage to be drawn from it."""
MIN_SHARE = 0.5
"""...and the share of the answer's content words that passage must contain."""
_MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")


def trim_answer(text: str, max_words: int) -> str:
    """The answer cut at the last sentence end within `max_words` (small models ramble)."""
    text = text.strip()
    words = text.split()
    if len(words) <= max_words:
        return text
    head = " ".join(words[:max_words])
    end = max(head.rfind(". "), head.rfind(".\n"), head.rfind("] "))
    return head[: end + 1].strip() if end > 0 else head + " …"


def resolve_citations(text: str, available: int) -> tuple[str, tuple[int, ...]]:
    """Keep [n] markers that point at a passage the model was shown; drop the others.

    Returns the cleaned text and the cited passage numbers in ascending order.
    """
    cited: set[int] = set()

    def keep(match: re.Match[str]) -> str:
        numbers = [int(n) for n in re.split(r"\s*[,;]\s*", match.group(1))]
        valid = [n for n in numbers if 1 <= n <= available]
        cited.update(valid)
        return "".join(f"[{n}]" for n in valid)

    cleaned = re.sub(r"[ \t]+([.,;:])", r"\1", _MARKER.sub(keep, text))
    return cleaned.strip(), tuple(sorted(cited))


def closest(text: str, shown: list[Passage]) -> tuple[int, ...]:
    """The passage an uncited answer draws its words from, or () when none supports it.

    Supporting means sharing at least MIN_OVERLAP content words and MIN_SHARE of the answer's
    content words: an answer made of other words is not drawn from the passages.
    """
    words = terms(text)
    if not words:
        return ()
    overlaps = [(len(words & terms(p.text)), -n, n) for n, p in enumerate(shown, start=1)]
    best = max(overlaps, default=(0, 0, 0))
    supported = best[0] >= MIN_OVERLAP and best[0] / len(words) >= MIN_SHARE
    return (best[2],) if supported else ()


def passage_support(passage: Passage) -> str:
    """What a passage backs up: its text, and the title and section it sits under."""
    return f"{passage.title}\n{passage.section}\n{passage.text}"


def stale_notes(cited: Sequence[Passage]) -> str:
    """'Note: <title> is overdue for review ...' for each cited document past its review date."""
    titles: dict[str, Passage] = {}
    for passage in cited:
        if passage.stale:
            titles.setdefault(passage.title, passage)
    notes = []
    for title, passage in titles.items():
        due = f" (review was due {passage.review_by.isoformat()})" if passage.review_by else ""
        notes.append(f"Note: {title} is overdue for review{due}; check with its owner.")
    return ("\n\n" + " ".join(notes)) if notes else ""


def citation(number: int, passage: Passage) -> Citation:
    """The citation [number] of a passage, as the Answer carries it."""
    return Citation(
        number=number,
        source=passage.source_name,
        title=passage.title,
        section=passage.section,
        source_uri=passage.source_uri,
        document_id=passage.document_id,
        version=passage.version,
        review_by=passage.review_by,
        stale=passage.stale,
        quote=passage.text,
    )
