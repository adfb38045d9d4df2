"""Shared by every format: text normalisation, the section builder, table rows and metadata."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

from knowledge.documents.parsed import DocType, DocumentMeta, ParsedDocument, ParseError, Section

logger = logging.getLogger(__name__)

_INLINE_SPACE = re.compile(r"[^\S\n]+")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
# Control characters left by broken font encodings; tab and newline are whitespace, kept.
_CONTROLS = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32), 127], None)


def normalize_text(text: str) -> str:
    """Collapse runs of spaces, keep line and paragraph breaks and leading indentation."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_INVISIBLE)
    text = text.translate(_CONTROLS)
    lines = []
    for raw in text.split("\n"):
        line = raw.expandtabs(4).replace("\u00a0", " ")
        body = _INLINE_SPACE.sub(" ", line.strip())
        # Indentation carries nesting in lists and code, so it survives; trailing space does not.
        indent = len(line) - len(line.lstrip(" "))
        lines.append(" " * indent + body if body else "")
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def one_line(text: str) -> str:
    """The text on a single line: invisible characters dropped, all whitespace runs one space."""
    return " ".join(text.translate(_INVISIBLE).split())


class SectionBuilder:
    """Collects headings and body blocks in reading order into Sections."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, str]] = []
        self._blocks: list[str] = []
        self._sections: list[Section] = []
        self._list_open = False
        self.first_heading: str | None = None
        self.first_h1: str | None = None

    def heading(self, level: int, text: str) -> None:
        text = one_line(text)
        if not text:
            return
        self._flush()
        while self._stack and self._stack[-1][0] >= level:
            self._stack.pop()
        self._stack.append((level, text))
        self.first_heading = self.first_heading or text
        if level == 1 and self.first_h1 is None:
            self.first_h1 = text

    def add(self, block: str) -> None:
        block = normalize_text(block)
        if block:
            self._blocks.append(block)
            self._list_open = False

    def add_list_item(self, text: str, depth: int = 0, marker: str = "- ") -> None:
        """One list line; consecutive items stay in one block, separated by single newlines."""
        text = one_line(text)
        if not text:
            return
        line = "  " * depth + marker + text
        if self._list_open and self._blocks:
            self._blocks[-1] += "\n" + line
        else:
            self._blocks.append(line)
        self._list_open = True

    def sections(self) -> tuple[Section, ...]:
        self._flush()
        return tuple(self._sections)

    def _flush(self) -> None:
        self._list_open = False
        if not self._blocks:
            return
        path = tuple(text for _, text in self._stack)
        text = "\n\n".join(self._blocks)
        self._blocks = []
        if self._sections and self._sections[-1].heading_path == path:
            text = self._sections[-1].text + "\n\n" + text
            self._sections[-1] = Section(path, text)
        else:
            self._sections.append(Section(path, text))


def table_lines(rows: Sequence[Sequence[str]], *, has_header: bool) -> list[str]:
    """Render a table row by row; with a header, each row reads 'Header: value; Header: value'.

    Every row names its columns so a row still makes sense alone, after chunking has separated
    it from the header row (a `| a | b |` line without its header means little to a reader or
    to the embedding model).
    """
    cleaned = [[one_line(cell) for cell in row] for row in rows]
    cleaned = [row for row in cleaned if any(row)]
    if not cleaned:
        return []
    if has_header and len(cleaned) >= 2 and len(cleaned[0]) >= 2:
        header, body = cleaned[0], cleaned[1:]
        # A header repeated on each page of a long table is not a row.
        return [_row_with_header(header, row) for row in body if row != header]
    return [" | ".join(cell for cell in row if cell) for row in cleaned]


def _row_with_header(header: Sequence[str], row: Sequence[str]) -> str:
    if len(row) == 1 < len(header):
        return row[0]  # a row whose cells could not be told apart: its text, unlabelled
    pairs = []
    for i, cell in enumerate(row):
        if not cell:
            continue
        name = header[i] if i < len(header) else ""
        pairs.append(f"{name}: {cell}" if name and name != cell else cell)
    return "; ".join(pairs)


def link_suffix(href: str, label: str) -> str:
    """' (url)' after a link's text when the URL is external and not already visible.

    People ask 'where do I file this?', so an absolute URL is worth its tokens; relative links
    and anchors point inside a site we do not index and are dropped.
    """
    target = href.removeprefix("mailto:")
    if not re.match(r"(?:https?:|mailto:)", href) or target in label:
        return ""
    return f" ({target})"


def meta_from_fields(fields: dict[str, Any], *, title: Any) -> DocumentMeta:
    """DocumentMeta from loosely typed values; a bad value is dropped (logged), never fatal."""
    keyed = {re.sub(r"[\s-]+", "_", str(k).strip().lower()): v for k, v in fields.items()}
    audiences = keyed.get("audiences", keyed.get("audience"))
    return DocumentMeta(
        title=_as_text(title),
        owner=_owner(keyed),
        audiences=_as_audiences(audiences),
        review_by=_as_date(keyed.get("review_by", keyed.get("reviewby"))),
    )


_OWNER_FIELDS = ("owner", "owners", "maintainer", "maintainers", "contact", "contacts")
_ASK_FIELDS = ("questions", "questions_to", "ask")


def _owner(keyed: dict[str, Any]) -> str | None:
    """Who answers for the document: an owner or contact field, or else the chat channels its
    front matter sends questions to (Jekyll handbooks' `questions: [people-ops]`)."""
    for name in _OWNER_FIELDS:
        owner = _as_names(keyed.get(name), channel=False)
        if owner:
            return owner
    for name in _ASK_FIELDS:
        owner = _as_names(keyed.get(name), channel=True)
        if owner:
            return owner
    return None


def _as_names(value: Any, *, channel: bool) -> str | None:
    """A name or a list of names as one string; channels get their '#'."""
    values = value if isinstance(value, list) else [value]
    names = [one_line(str(v)) for v in values if isinstance(v, str | int) and str(v).strip()]
    if channel:
        names = [n if n.startswith(("#", "@")) or "@" in n else "#" + n for n in names]
    return ", ".join(names) or None


def keyword_fields(keywords: Any) -> dict[str, str]:
    """'audiences=a,b; review_by=2027-05-31' in a file's keywords property, as fields.

    PDF and Word have no place for an owner or a review date; key=value pairs in the
    keywords are how our handbook files (and anyone's export script) carry them.
    """
    if not isinstance(keywords, str):
        return {}
    pairs = (part.split("=", 1) for part in re.split(r"[;\n]", keywords) if "=" in part)
    return {key.strip(): value.strip() for key, value in pairs if key.strip()}


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list | tuple):
        return None
    return one_line(str(value)) or None


def _as_audiences(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str):
        items: Iterable[Any] = value.split(",")
    elif isinstance(value, list | tuple | set):
        items = value
    else:
        return None
    cleaned = tuple(dict.fromkeys(one_line(str(item)) for item in items if one_line(str(item))))
    return cleaned or None


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return date.fromisoformat(text[:10]) if len(text) >= 10 else date.fromisoformat(text)
    except ValueError:
        logger.warning("ignoring review_by that is not an ISO date")
        return None


def title_from_filename(filename: str) -> str:
    """'annual_leave-2027.md' -> 'Annual Leave 2027': the title of last resort."""
    words = re.sub(r"[_\-.\s]+", " ", PurePath(filename).stem).split()
    return " ".join(word[:1].upper() + word[1:] for word in words) or "Untitled"


def finish_document(
    doc_type: DocType, filename: str, builder: SectionBuilder, meta: DocumentMeta, title: str
) -> ParsedDocument:
    """The ParsedDocument from a filled builder; ParseError when it collected no text."""
    sections = _without_title_level(builder.sections(), title)
    if not sections:
        raise ParseError(f"{filename} has no text")
    return ParsedDocument(doc_type=doc_type, title=title, sections=sections, meta=meta)


def _without_title_level(sections: tuple[Section, ...], title: str) -> tuple[Section, ...]:
    """Drop a top heading that only repeats the title and wraps every section ('# Title')."""
    headed = [s for s in sections if s.heading_path]
    key = title.casefold()
    if not headed or any(s.heading_path[0].casefold() != key for s in headed):
        return sections
    return tuple(Section(s.heading_path[1:], s.text) for s in sections)
