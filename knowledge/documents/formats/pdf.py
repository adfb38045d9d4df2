"""PDF files into sections: open safely, drop page furniture, rebuild paragraphs and tables."""

from __future__ import annotations

import io
import logging
import re
from collections import Counter
from typing import Any

from pypdf import PasswordType, PdfReader

from knowledge.documents.formats.pdf_headings import (
    Headings,
    comparison_key,
    headings_from_fonts,
    headings_from_outline,
    read_outline,
)
from knowledge.documents.formats.pdf_layout import PdfLine, read_page_lines
from knowledge.documents.formats.sections import (
    SectionBuilder,
    finish_document,
    keyword_fields,
    meta_from_fields,
    one_line,
    table_lines,
    title_from_filename,
)
from knowledge.documents.parsed import DocType, DocumentMeta, ParsedDocument, ParseError

logger = logging.getLogger(__name__)

_PLACEHOLDER_TITLES = frozenset(
    {"untitled", "(anonymous)", "anonymous", "unknown", "(unspecified)"}
)
_PAGE_NUMBER = re.compile(r"^(?:page\s*)?[-–]?\s*\d+\s*[-–]?(?:\s*(?:of|/)\s*\d+)?$", re.I)
_LIST_START = re.compile(r"^(?:- |\d+[.)] )")


def parse_pdf(data: bytes, filename: str) -> ParsedDocument:
    """Headings from bookmarks or font sizes; lines rejoined into paragraphs and table rows."""
    reader = _open_pdf(data, filename)
    lines = _pdf_lines(reader, filename)
    lines = _drop_page_furniture(lines, len(reader.pages))
    meta = _pdf_meta(reader)
    outline = read_outline(reader)
    if len(outline) >= 2:  # a lone bookmark (often the title) says nothing about structure
        headings, consumed = headings_from_outline(lines, outline)
    else:
        headings, consumed = headings_from_fonts(lines)
    first_heading = next((text for i in sorted(headings) for _, text in headings[i]), None)
    title = meta.title or first_heading or title_from_filename(filename)
    if (
        lines
        and comparison_key(lines[0].text) == comparison_key(title)
        and not (len(outline) >= 2 and 0 in headings)
    ):
        # The cover line that repeats the title is the title, not a heading or body text.
        headings.pop(0, None)
        consumed = consumed | {0}
    builder = SectionBuilder()
    _feed_pdf_lines(lines, headings, consumed, builder)
    return finish_document(DocType.PDF, filename, builder, meta, title)


def _open_pdf(data: bytes, filename: str) -> PdfReader:
    # pypdf recovers from a missing trailer by scanning, which can quietly lose the pages
    # after a cut; a file without its end-of-file marker is refused instead.
    if b"%%EOF" not in data[-4096:]:
        raise ParseError(f"{filename} is not a readable PDF: the file is truncated")
    try:
        reader = PdfReader(io.BytesIO(data))
    except Exception as exc:
        raise ParseError(f"{filename} is not a readable PDF: {exc}") from exc
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("") != PasswordType.NOT_DECRYPTED
        except Exception:
            opened = False
        if not opened:
            raise ParseError(f"{filename} is encrypted; remove the password and upload it again")
    try:
        page_count = len(reader.pages)
    except Exception as exc:
        raise ParseError(f"{filename} is not a readable PDF: {exc}") from exc
    if page_count == 0:
        raise ParseError(f"{filename} is not a readable PDF: it has no pages")
    return reader


def _pdf_lines(reader: PdfReader, filename: str) -> list[PdfLine]:
    lines: list[PdfLine] = []
    empty_pages: list[int] = []
    for number, page in enumerate(reader.pages):
        try:
            page_lines = read_page_lines(page, number)
        except Exception as exc:
            raise ParseError(f"{filename} is not a readable PDF: page {number + 1}: {exc}") from exc
        if not page_lines:
            empty_pages.append(number + 1)
        lines.extend(page_lines)
    if not lines:
        raise ParseError(f"{filename} has no extractable text (scanned?)")
    if empty_pages:
        logger.warning("pdf pages without extractable text", extra={"pages": empty_pages})
    return lines


def _drop_page_furniture(lines: list[PdfLine], page_count: int) -> list[PdfLine]:
    """Remove page numbers and running headers/footers: lines at a page's top or bottom that
    are a bare page number or repeat on most pages (a number alone mid-page is table data)."""
    by_page: dict[int, list[PdfLine]] = {}
    for line in lines:
        by_page.setdefault(line.page, []).append(line)
    edges = {
        id(line) for page_lines in by_page.values() for line in page_lines[:2] + page_lines[-2:]
    }
    edge_keys: Counter[str] = Counter()
    for page_lines in by_page.values():
        edge_keys.update({_furniture_key(line.text) for line in page_lines[:2] + page_lines[-2:]})
    repeated = {
        key for key, pages in edge_keys.items() if page_count >= 3 and pages >= 0.6 * page_count
    }
    return [
        line
        for line in lines
        if id(line) not in edges
        or not (_PAGE_NUMBER.match(line.text) or _furniture_key(line.text) in repeated)
    ]


def _furniture_key(text: str) -> str:
    return re.sub(r"\d+", "#", text.casefold())


def _pdf_meta(reader: PdfReader) -> DocumentMeta:
    try:
        info = reader.metadata
    except Exception:
        return DocumentMeta()
    if info is None:
        return DocumentMeta()
    title = one_line(str(info.get("/Title") or "")).removeprefix("Microsoft Word - ")
    if title.casefold() in _PLACEHOLDER_TITLES or re.search(r"\.(docx?|pdf)$", title, re.I):
        title = ""
    # /Author is whoever typed the file, not the policy's owner; only an explicit key counts.
    fields: dict[str, Any] = keyword_fields(info.get("/Keywords"))
    fields.update({str(key).lstrip("/"): value for key, value in info.items() if key != "/Title"})
    return meta_from_fields(fields, title=title or None)


def _feed_pdf_lines(
    lines: list[PdfLine], headings: Headings, consumed: frozenset[int], builder: SectionBuilder
) -> None:
    paragraph: list[str] = []
    rows: list[tuple[str, ...]] = []
    loose: list[str] = []  # lines of a table row whose cells wrapped onto lines of their own

    def flush() -> None:
        nonlocal paragraph, rows
        builder.add(_join_pdf_lines(paragraph))
        builder.add("\n".join(table_lines(rows, has_header=True)))
        paragraph, rows = [], []

    previous: PdfLine | None = None
    for i, line in enumerate(lines):
        for level, text in headings.get(i, []):
            flush()
            builder.heading(level, text)
        if i in consumed:
            previous = None
            continue
        if len(line.cells) > 1:
            if paragraph:
                flush()
            if loose:
                rows.append((" ".join(loose),))
                loose = []
            rows.append(line.cells)
        elif rows and _between_table_rows(lines, i, headings):
            loose.append(line.text)
        else:
            continues_list = bool(paragraph) and bool(_LIST_START.match(paragraph[0]))
            is_item = bool(_LIST_START.match(line.text))
            if rows or (
                previous is not None
                and _starts_paragraph(previous, line)
                and not (continues_list and is_item)
            ):
                flush()
            paragraph.append(line.text)
        previous = line
    flush()


def _between_table_rows(lines: list[PdfLine], i: int, headings: Headings) -> bool:
    """A one-cell line inside a table: the next table row follows within a few lines."""
    width = next(
        (len(ln.cells) for ln in reversed(lines[max(0, i - 5) : i]) if len(ln.cells) > 1), 0
    )
    for j in range(i + 1, min(len(lines), i + 5)):
        if j in headings:
            return False
        if len(lines[j].cells) > 1:
            return len(lines[j].cells) == width
    return False


def _starts_paragraph(previous: PdfLine, line: PdfLine) -> bool:
    if line.page != previous.page:
        # A sentence cut by the page break goes on; one that ended there does not.
        return bool(re.search(r"[.!?:;]$", previous.text))
    # Lines of a paragraph sit ~1.2 font sizes apart; paragraphs add space before them.
    return abs(previous.y - line.y) > 1.5 * max(line.size, 1.0)


def _join_pdf_lines(lines: list[str]) -> str:
    text = ""
    for line in lines:
        if not text:
            text = line
        elif _LIST_START.match(line):
            text += "\n" + line
        elif text.endswith("-") and text[-2:-1].isalpha():
            text += line  # a word hyphenated across lines
        else:
            text += " " + line
    return text
