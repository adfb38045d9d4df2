"""Headings of a PDF: from its bookmarks (the outline) when it has them, else from font sizes."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pypdf import PdfReader

from knowledge.documents.formats.pdf_layout import PdfLine
from knowledge.documents.formats.sections import one_line

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutlineEntry:
    """One bookmark: its nesting level (1 = top), title and 0-based target page, if known."""

    level: int
    title: str
    page: int | None


def read_outline(reader: PdfReader) -> list[OutlineEntry]:
    """The bookmarks in document order, flattened; none when the outline cannot be read."""
    try:
        return _flatten_outline(reader, reader.outline, 1)
    except Exception:
        logger.warning("unreadable pdf outline; falling back to font sizes")
        return []


def _flatten_outline(reader: PdfReader, items: Sequence[Any], level: int) -> list[OutlineEntry]:
    entries: list[OutlineEntry] = []
    for item in items:
        if isinstance(item, list):
            entries.extend(_flatten_outline(reader, item, level + 1))
            continue
        title = one_line(str(item.title or ""))
        if title:
            entries.append(OutlineEntry(level, title, reader.get_destination_page_number(item)))
    return entries


# Headings found in a PDF: line index -> headings (level, text) that start before that line.
Headings = dict[int, list[tuple[int, str]]]


def comparison_key(text: str) -> str:
    """Text reduced to casefolded letters and digits, to match a line against a title."""
    return re.sub(r"\W+", "", text.casefold())


def headings_from_outline(
    lines: list[PdfLine], outline: list[OutlineEntry]
) -> tuple[Headings, frozenset[int]]:
    """Place each bookmark at the line(s) on its page that spell its title, in order."""
    headings: Headings = {}
    consumed: set[int] = set()
    page_starts: dict[int, int] = {}
    for i, line in enumerate(lines):
        page_starts.setdefault(line.page, i)
    cursor = 0
    for entry in outline:
        start = cursor
        if entry.page is not None:
            later = [i for page, i in page_starts.items() if page >= entry.page]
            start = max(cursor, min(later, default=len(lines)))
        match = _find_title_lines(lines, start, entry)
        if match is None:
            # Not found in the text (e.g. a bookmark worded differently): start the section
            # where its page starts, which is where a reader would land.
            headings.setdefault(min(start, max(len(lines) - 1, 0)), []).append(
                (entry.level, entry.title)
            )
            cursor = start
            continue
        first, count = match
        headings.setdefault(first, []).append((entry.level, entry.title))
        consumed.update(range(first, first + count))
        cursor = first + count
    return headings, frozenset(consumed)


def _find_title_lines(
    lines: list[PdfLine], start: int, entry: OutlineEntry
) -> tuple[int, int] | None:
    target = comparison_key(entry.title)
    if not target:
        return None
    for i in range(start, len(lines)):
        if entry.page is not None and lines[i].page > entry.page:
            return None
        joined = ""
        for count in range(1, 4):  # a long heading may wrap onto up to three lines
            if i + count > len(lines):
                break
            joined += comparison_key(lines[i + count - 1].text)
            if joined == target:
                return i, count
            if not target.startswith(joined):
                break
    return None


def headings_from_fonts(lines: list[PdfLine]) -> tuple[Headings, frozenset[int]]:
    """Lines set larger than the body text are headings; bigger type means a higher level."""
    weight: Counter[float] = Counter()
    for line in lines:
        weight[line.size] += len(line.text)
    body = weight.most_common(1)[0][0]
    candidates = [
        i for i, line in enumerate(lines)
        if line.size >= body * 1.15 and len(line.text) <= 150 and re.search(r"[^\W\d_]", line.text)
    ]  # fmt: skip
    levels = {
        size: n + 1
        for n, size in enumerate(sorted({lines[i].size for i in candidates}, reverse=True))
    }
    headings: Headings = {}
    previous: int | None = None
    for i in candidates:
        line = lines[i]
        level = min(levels[line.size], 6)
        if previous is not None and previous == i - 1 and _continues_heading(lines[previous], line):
            first = max(k for k in headings if k <= previous)
            lvl, text = headings[first][-1]
            headings[first][-1] = (lvl, f"{text} {line.text}")  # a heading wrapped onto 2 lines
        else:
            headings.setdefault(i, []).append((level, line.text))
        previous = i
    return headings, frozenset(candidates)


def _continues_heading(previous: PdfLine, line: PdfLine) -> bool:
    return (
        previous.page == line.page
        and previous.size == line.size
        and 0 < previous.y - line.y <= 1.5 * line.size
    )
