"""Plain text into sections, with headings found by underlines or capitals."""

from __future__ import annotations

import re

from knowledge.documents.detect import decode_text
from knowledge.documents.formats.sections import (
    SectionBuilder,
    finish_document,
    normalize_text,
    title_from_filename,
)
from knowledge.documents.parsed import DocType, DocumentMeta, ParsedDocument

_UNDERLINE = re.compile(r"^(=|-)\1{2,}\s*$")


def parse_text(data: bytes, filename: str) -> ParsedDocument:
    """Blank lines part paragraphs; underlined or capitalised lines are headings."""
    lines = normalize_text(decode_text(data, filename)).split("\n")
    title, lines = _text_title(lines)
    builder = SectionBuilder()
    paragraph: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        following = lines[i + 1] if i + 1 < len(lines) else ""
        level = _text_heading_level(line, following, lines[i - 1] if i else "")
        if level:
            builder.add("\n".join(paragraph))
            paragraph = []
            builder.heading(level, line)
            i += 2 if _UNDERLINE.match(following) else 1
            continue
        if line.strip():
            paragraph.append(line)
        else:
            builder.add("\n".join(paragraph))
            paragraph = []
        i += 1
    builder.add("\n".join(paragraph))
    title = title or title_from_filename(filename)
    return finish_document(DocType.TEXT, filename, builder, DocumentMeta(), title)


def _text_title(lines: list[str]) -> tuple[str | None, list[str]]:
    """The first line is the title when it is short, not a sentence, and stands alone."""
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return None, lines
    candidate = lines[first].strip()
    following = lines[first + 1] if first + 1 < len(lines) else ""
    stands_alone = not following.strip() or bool(_UNDERLINE.match(following))
    if (
        len(candidate) > 100
        or len(candidate.split()) > 15
        or candidate[-1] in ".,;:"
        or not stands_alone
    ):
        return None, lines
    rest = lines[first + (2 if _UNDERLINE.match(following) else 1) :]
    title = candidate.title() if candidate.isupper() else candidate
    return title, rest


def _text_heading_level(line: str, following: str, previous: str) -> int:
    text = line.strip()
    if not text or len(text) > 100:
        return 0
    underline = _UNDERLINE.match(following)
    if underline:
        return 1 if underline.group(1) == "=" else 2
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) >= 3 and text.isupper() and not previous.strip() and len(text.split()) <= 10:
        return 1
    return 0
