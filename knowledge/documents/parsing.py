"""Turn an uploaded file (PDF, DOCX, HTML, Markdown, text) into a titled, sectioned document."""

from __future__ import annotations

import io
import logging
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

import docx
import yaml
from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString, Script, Stylesheet, TemplateString
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml import etree
from markdown_it import MarkdownIt
from markdown_it.token import Token
from pypdf import PasswordType, PdfReader

try:  # pypdf's font metrics are not public API; without them text widths are estimated
    from pypdf.generic._font import Font as _PdfFont
except ImportError:  # pragma: no cover
    _PdfFont = None  # type: ignore[assignment,misc]

from knowledge.documents.detect import decode_text, detect_type
from knowledge.documents.models import DocType, DocumentMeta, ParsedDocument, ParseError, Section

logger = logging.getLogger(__name__)


def parse_document(data: bytes, filename: str) -> ParsedDocument:
    """Parse an uploaded file into title, metadata and sections; ParseError if it cannot be read."""
    doc_type = detect_type(data, filename)
    parser = _PARSERS[doc_type]
    try:
        return parser(data, filename)
    except ParseError:
        raise
    except MemoryError:
        raise
    except Exception as exc:
        # Any other failure mid-parse must not become a silently truncated document.
        logger.warning(
            "parse failed", extra={"doc_type": doc_type.value, "error": type(exc).__name__}
        )
        raise ParseError(f"{filename} could not be read as {doc_type.value}: {exc}") from exc


# --- Shared: whitespace, sections, tables, metadata -------------------------------------------

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


def _one_line(text: str) -> str:
    return " ".join(text.translate(_INVISIBLE).split())


class _SectionBuilder:
    """Collects headings and body blocks in reading order into Sections."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, str]] = []
        self._blocks: list[str] = []
        self._sections: list[Section] = []
        self._list_open = False
        self.first_heading: str | None = None
        self.first_h1: str | None = None

    def heading(self, level: int, text: str) -> None:
        text = _one_line(text)
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
        text = _one_line(text)
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


def _table_lines(rows: Sequence[Sequence[str]], *, has_header: bool) -> list[str]:
    """Render a table row by row; with a header, each row reads 'Header: value; Header: value'.

    Every row names its columns so a row still makes sense alone, after chunking has separated
    it from the header row (a `| a | b |` line without its header means little to a reader or
    to the embedding model).
    """
    cleaned = [[_one_line(cell) for cell in row] for row in rows]
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


def _meta_from_fields(fields: dict[str, Any], *, title: Any) -> DocumentMeta:
    """DocumentMeta from loosely typed values; a bad value is dropped (logged), never fatal."""
    keyed = {re.sub(r"[\s-]+", "_", str(k).strip().lower()): v for k, v in fields.items()}
    audiences = keyed.get("audiences", keyed.get("audience"))
    return DocumentMeta(
        title=_as_text(title),
        owner=_as_text(keyed.get("owner")),
        audiences=_as_audiences(audiences),
        review_by=_as_date(keyed.get("review_by", keyed.get("reviewby"))),
    )


def _keyword_fields(keywords: Any) -> dict[str, str]:
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
    return _one_line(str(value)) or None


def _as_audiences(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str):
        items: Iterable[Any] = value.split(",")
    elif isinstance(value, list | tuple | set):
        items = value
    else:
        return None
    cleaned = tuple(dict.fromkeys(_one_line(str(item)) for item in items if _one_line(str(item))))
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


def _pretty_stem(filename: str) -> str:
    words = re.sub(r"[_\-.\s]+", " ", PurePath(filename).stem).split()
    return " ".join(word[:1].upper() + word[1:] for word in words) or "Untitled"


def _finish(
    doc_type: DocType, filename: str, builder: _SectionBuilder, meta: DocumentMeta, title: str
) -> ParsedDocument:
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


# --- Markdown -------------------------------------------------------------------------------

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_MARKDOWN = MarkdownIt("commonmark").enable("table")


def _parse_markdown(data: bytes, filename: str) -> ParsedDocument:
    text = decode_text(data, filename).replace("\r\n", "\n").lstrip("\ufeff")
    fields, body = _split_front_matter(text, filename)
    builder = _SectionBuilder()
    _render_markdown(_MARKDOWN.parse(body), builder)
    meta = _meta_from_fields(fields, title=fields.get("title"))
    title = meta.title or builder.first_h1 or _pretty_stem(filename)
    return _finish(DocType.MARKDOWN, filename, builder, meta, title)


def _split_front_matter(text: str, filename: str) -> tuple[dict[str, Any], str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        loaded = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        reason = " ".join(str(exc).split())
        raise ParseError(f"{filename} has malformed front matter (YAML): {reason}") from exc
    if loaded is None:
        return {}, text[match.end() :]
    if not isinstance(loaded, dict):
        # Not front matter but a document that opens with a rule ('---') and plain text.
        return {}, text
    return loaded, text[match.end() :]


@dataclass
class _MarkdownState:
    lists: list[int | None]  # per open list: the next number, or None for bullets
    list_lines: list[str]
    item_starts: bool = False
    heading_level: int = 0
    table_rows: list[list[str]] | None = None


def _render_markdown(tokens: Sequence[Token], builder: _SectionBuilder) -> None:
    state = _MarkdownState(lists=[], list_lines=[])
    for token in tokens:
        kind = token.type
        if kind == "heading_open":
            state.heading_level = int(token.tag[1:])
        elif kind == "inline":
            _markdown_inline_block(_markdown_inline(token), state, builder)
        elif kind in ("bullet_list_open", "ordered_list_open"):
            ordered = kind == "ordered_list_open"
            state.lists.append(int(token.attrs.get("start", 1) or 1) if ordered else None)
        elif kind == "list_item_open":
            state.item_starts = True
        elif kind in ("bullet_list_close", "ordered_list_close"):
            state.lists.pop()
            if not state.lists:
                builder.add("\n".join(state.list_lines))
                state.list_lines = []
        elif kind == "table_open":
            state.table_rows = []
        elif kind == "tr_open" and state.table_rows is not None:
            state.table_rows.append([])
        elif kind == "table_close" and state.table_rows is not None:
            builder.add("\n".join(_table_lines(state.table_rows, has_header=True)))
            state.table_rows = None
        elif kind in ("fence", "code_block"):
            _markdown_text_block(token.content.rstrip("\n"), state, builder)
        elif kind == "html_block":
            fragment = BeautifulSoup(token.content, "lxml").get_text(" ")
            _markdown_text_block(fragment, state, builder)


def _markdown_inline_block(text: str, state: _MarkdownState, builder: _SectionBuilder) -> None:
    if state.heading_level:
        builder.heading(state.heading_level, text)
        state.heading_level = 0
    elif state.table_rows is not None:
        state.table_rows[-1].append(text)
    else:
        _markdown_text_block(text, state, builder)


def _markdown_text_block(text: str, state: _MarkdownState, builder: _SectionBuilder) -> None:
    if not state.lists:
        builder.add(text)
        return
    indent = "  " * (len(state.lists) - 1)
    if state.item_starts:
        number = state.lists[-1]
        marker = "- " if number is None else f"{number}. "
        if number is not None:
            state.lists[-1] = number + 1
        state.item_starts = False
    else:
        marker = "  "  # a second paragraph of the same item: indented under it
    for i, line in enumerate(normalize_text(text).split("\n")):
        state.list_lines.append(indent + (marker if i == 0 else "  ") + line)


def _markdown_inline(token: Token) -> str:
    parts: list[str] = []
    open_links: list[tuple[str, int]] = []
    for child in token.children or []:
        kind = child.type
        if kind in ("text", "code_inline"):
            parts.append(child.content)
        elif kind == "softbreak":
            parts.append(" ")
        elif kind == "hardbreak":
            parts.append("\n")
        elif kind == "image":
            parts.append(child.content)  # the alt text
        elif kind == "html_inline" and re.match(r"<br\s*/?>", child.content, re.I):
            parts.append("\n")
        elif kind == "link_open":
            open_links.append((str(child.attrs.get("href", "")), len(parts)))
        elif kind == "link_close" and open_links:
            href, start = open_links.pop()
            parts.append(_link_suffix(href, "".join(parts[start:])))
    return "".join(parts)


def _link_suffix(href: str, label: str) -> str:
    """' (url)' after a link's text when the URL is external and not already visible.

    People ask 'where do I file this?', so an absolute URL is worth its tokens; relative links
    and anchors point inside a site we do not index and are dropped.
    """
    target = href.removeprefix("mailto:")
    if not re.match(r"(?:https?:|mailto:)", href) or target in label:
        return ""
    return f" ({target})"


# --- HTML -----------------------------------------------------------------------------------

_HTML_BOILERPLATE = ("script", "style", "noscript", "template", "nav", "iframe", "svg", "canvas")
_HTML_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_HTML_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "center", "dd", "details", "div",
        "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "header", "hr", "li",
        "main", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th",
        "thead", "tr", "ul", *_HTML_HEADINGS,
    }
)  # fmt: skip
_HTML_BLOCK_NAMES = sorted(_HTML_BLOCKS)
_NOT_TEXT = (PreformattedString, Script, Stylesheet, TemplateString)


def _parse_html(data: bytes, filename: str) -> ParsedDocument:
    soup = BeautifulSoup(data, "lxml")
    page_title = soup.title.get_text() if soup.title else None
    fields = {
        str(tag.get("name")): tag.get("content")
        for tag in soup.find_all("meta")
        if tag.get("name") and tag.get("content") is not None
    }
    _strip_html_boilerplate(soup)
    builder = _SectionBuilder()
    _HtmlWalker(builder).walk(soup.body or soup)
    meta = _meta_from_fields(fields, title=page_title)
    title = meta.title or builder.first_h1 or _pretty_stem(filename)
    return _finish(DocType.HTML, filename, builder, meta, title)


def _strip_html_boilerplate(soup: BeautifulSoup) -> None:
    for tag in soup.find_all(list(_HTML_BOILERPLATE)):
        if not tag.decomposed:
            tag.decompose()
    # A page's header/footer is site chrome, unless it holds the page's main heading or
    # belongs to an <article>/<main>.
    for tag in soup.find_all(["header", "footer"]):
        if tag.decomposed or tag.find_parent(["article", "main"]):
            continue
        if tag.name == "footer" or not tag.find(["h1", "h2"]):
            tag.decompose()
    for link in soup.find_all("a", href=True):
        link.append(_link_suffix(str(link["href"]), link.get_text()))
    for image in soup.find_all("img"):
        image.replace_with(str(image.get("alt", "")))


class _HtmlWalker:
    """Walks the DOM in document order, turning blocks into paragraphs, lists and table rows."""

    def __init__(self, builder: _SectionBuilder) -> None:
        self._builder = builder
        self._inline: list[str] = []

    def walk(self, node: Tag) -> None:
        self._walk_children(node)
        self._flush()

    def _walk_children(self, node: Tag) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if not isinstance(child, _NOT_TEXT):
                    self._inline.append(re.sub(r"\s+", " ", str(child)))
            elif isinstance(child, Tag):
                self._visit(child)

    def _visit(self, tag: Tag) -> None:
        name = tag.name
        if name == "br":
            self._inline.append("\n")
        elif name in _HTML_HEADINGS:
            self._flush()
            self._builder.heading(_HTML_HEADINGS[name], _html_text(tag))
        elif name in ("ul", "ol"):
            self._flush()
            for depth, marker, line in _html_list_lines(tag, 0):
                self._builder.add_list_item(line, depth, marker)
        elif name == "table":
            self._flush()
            self._builder.add("\n".join(_html_table_lines(tag)))
        elif name == "pre":
            self._flush()
            self._builder.add(tag.get_text())
        elif name in _HTML_BLOCKS or tag.find(_HTML_BLOCK_NAMES):
            self._flush()
            self._walk_children(tag)
            self._flush()
        else:
            self._inline.append(_html_text(tag, keep_breaks=True))

    def _flush(self) -> None:
        text = "".join(self._inline)
        self._inline = []
        # Source indentation is not content; only <br> makes a line break inside a paragraph.
        lines = (" ".join(line.split()) for line in text.split("\n"))
        self._builder.add("\n".join(line for line in lines if line))


def _html_text(tag: Tag, *, keep_breaks: bool = False, skip: frozenset[str] = frozenset()) -> str:
    parts: list[str] = []
    _collect_html_text(tag, parts, skip)
    text = "".join(parts)
    if keep_breaks:
        return text
    return _one_line(text)


def _collect_html_text(tag: Tag, parts: list[str], skip: frozenset[str]) -> None:
    for child in tag.children:
        if isinstance(child, NavigableString):
            if not isinstance(child, _NOT_TEXT):
                parts.append(re.sub(r"\s+", " ", str(child)))
        elif isinstance(child, Tag) and child.name not in skip:
            if child.name == "br":
                parts.append("\n")
                continue
            # Block boundaries inside a cell or item still separate words.
            spacer = " " if child.name in _HTML_BLOCKS else ""
            parts.append(spacer)
            _collect_html_text(child, parts, skip)
            parts.append(spacer)


def _html_list_lines(tag: Tag, depth: int) -> list[tuple[int, str, str]]:
    """(depth, marker, text) for each item of a list and of the lists nested in it."""
    lines: list[tuple[int, str, str]] = []
    start = str(tag.get("start", "1"))
    number = int(start) if start.isdigit() else 1
    for item in tag.find_all("li", recursive=False):
        text = _html_text(item, skip=frozenset({"ul", "ol"}))
        if text:
            lines.append((depth, f"{number}. " if tag.name == "ol" else "- ", text))
            number += 1
        for nested in item.find_all(["ul", "ol"], recursive=False):
            lines.extend(_html_list_lines(nested, depth + 1))
    return lines


def _html_table_lines(table: Tag) -> list[str]:
    rows = [row for row in table.find_all("tr") if row.find_parent("table") is table]
    cells = [
        [_html_text(cell) for cell in row.find_all(["th", "td"], recursive=False)] for row in rows
    ]
    if not rows:
        return []
    first = rows[0]
    header_cells = first.find_all(["th", "td"], recursive=False)
    has_header = first.find_parent("thead") is not None or (
        bool(header_cells) and all(cell.name == "th" for cell in header_cells)
    )
    return _table_lines(cells, has_header=has_header)


# --- PDF ------------------------------------------------------------------------------------

_PLACEHOLDER_TITLES = frozenset(
    {"untitled", "(anonymous)", "anonymous", "unknown", "(unspecified)"}
)
_PAGE_NUMBER = re.compile(r"^(?:page\s*)?[-–]?\s*\d+\s*[-–]?(?:\s*(?:of|/)\s*\d+)?$", re.I)
_LIST_START = re.compile(r"^(?:- |\d+[.)] )")
# Bullet glyphs as PDF text extraction returns them (reportlab's is DEL, Word's is U+F0B7).
_BULLET_GLYPH = re.compile(r"^(?:[\x7f\uf0b7\uf0a7]|[•●▪◦○■·‣⁃–](?=\s))\s*")
# Between two pieces of one line, a gap wider than a word space (~0.3 em) but this wide is
# table-cell padding or a column gutter.
_CELL_GAP_EMS = 0.8
_AVERAGE_CHAR_EMS = 0.5  # a Latin glyph is about half an em wide, when the font says nothing


@dataclass(frozen=True)
class _PdfRun:
    """Text pypdf reported without a line break, and where it starts."""

    text: str
    size: float
    x: float
    y: float
    forced_break: bool  # it follows a line break inside one text piece: a new line for sure
    end: float  # x where the run's last glyph ends


@dataclass
class _PendingRun:
    parts: list[str]
    size: float
    x: float
    y: float
    forced_break: bool
    width: float = 0.0


class _GlyphWidths:
    """Text widths in ems from the PDF's own font metrics, estimated when they are unknown."""

    def __init__(self) -> None:
        self._fonts: dict[int, Any] = {}

    def ems(self, font_dict: Any, text: str) -> float:
        font = self._font(font_dict)
        if font is None:
            return len(text) * _AVERAGE_CHAR_EMS
        return float(font.get_text_width(text)) / 1000  # glyph widths are in 1/1000 em

    def _font(self, font_dict: Any) -> Any:
        if font_dict is None or _PdfFont is None:
            return None
        key = id(font_dict)
        if key not in self._fonts:
            try:
                self._fonts[key] = _PdfFont.from_font_resource(font_dict)
            except Exception:
                self._fonts[key] = None
        return self._fonts[key]


@dataclass(frozen=True)
class _PdfLine:
    """One visual line; `cells` has several entries when it is a table row."""

    cells: tuple[str, ...]
    size: float  # effective font size in points
    page: int
    y: float

    @property
    def text(self) -> str:
        return " ".join(self.cells)


def _parse_pdf(data: bytes, filename: str) -> ParsedDocument:
    reader = _open_pdf(data, filename)
    lines = _pdf_lines(reader, filename)
    lines = _drop_page_furniture(lines, len(reader.pages))
    meta = _pdf_meta(reader)
    outline = _pdf_outline(reader)
    if len(outline) >= 2:  # a lone bookmark (often the title) says nothing about structure
        headings, consumed = _headings_from_outline(lines, outline)
    else:
        headings, consumed = _headings_from_fonts(lines)
    first_heading = next((text for i in sorted(headings) for _, text in headings[i]), None)
    title = meta.title or first_heading or _pretty_stem(filename)
    if lines and _key(lines[0].text) == _key(title) and not (len(outline) >= 2 and 0 in headings):
        # The cover line that repeats the title is the title, not a heading or body text.
        headings.pop(0, None)
        consumed = consumed | {0}
    builder = _SectionBuilder()
    _feed_pdf_lines(lines, headings, consumed, builder)
    return _finish(DocType.PDF, filename, builder, meta, title)


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


def _pdf_lines(reader: PdfReader, filename: str) -> list[_PdfLine]:
    lines: list[_PdfLine] = []
    empty_pages: list[int] = []
    for number, page in enumerate(reader.pages):
        try:
            page_lines = _visual_lines(_page_runs(page), number)
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


def _page_runs(page: Any) -> list[_PdfRun]:
    """The page's text in content order, cut where pypdf breaks lines, with size and position."""
    runs: list[_PdfRun] = []
    pending: _PendingRun | None = None
    widths = _GlyphWidths()

    def close_run() -> None:
        nonlocal pending
        if pending is not None:
            text = _one_line("".join(pending.parts))
            if text:
                end = pending.x + pending.width
                runs.append(
                    _PdfRun(text, pending.size, pending.x, pending.y, pending.forced_break, end)
                )
        pending = None

    def visit(text: str, cm: Any, tm: Any, font: Any, font_size: float) -> None:
        nonlocal pending
        size = round(float(font_size) * _scale(tm) * _scale(cm), 1)
        x = float(tm[4]) * float(cm[0]) + float(tm[5]) * float(cm[2]) + float(cm[4])
        y = float(tm[4]) * float(cm[1]) + float(tm[5]) * float(cm[3]) + float(cm[5])
        for i, part in enumerate(text.split("\n")):
            if i:
                close_run()
            if pending is None and part.strip():
                pending = _PendingRun([], size, x, y, forced_break=i > 0)
            if pending is not None and part:
                pending.parts.append(part)
                pending.width += widths.ems(font, part) * size

    page.extract_text(visitor_text=visit)
    close_run()
    return runs


def _visual_lines(runs: list[_PdfRun], page: int) -> list[_PdfLine]:
    """Join runs drawn on the same baseline; a wide horizontal gap between them is a new cell."""
    lines: list[_PdfLine] = []
    cells: list[str] = []
    sizes: Counter[float] = Counter()
    previous: _PdfRun | None = None
    for run in runs:
        same_line = (
            previous is not None
            and not run.forced_break
            and abs(run.y - previous.y) <= 0.35 * max(run.size, previous.size)
        )
        if previous is not None and same_line:
            if run.x - previous.end > _CELL_GAP_EMS * run.size:
                cells.append(run.text)
            else:
                cells[-1] += " " + run.text
        else:
            if cells and previous is not None:
                lines.append(_pdf_line(cells, sizes, page, previous.y))
            cells, sizes = [run.text], Counter()
        sizes[run.size] += len(run.text)
        previous = run
    if cells and previous is not None:
        lines.append(_pdf_line(cells, sizes, page, previous.y))
    return lines


def _pdf_line(cells: list[str], sizes: Counter[float], page: int, y: float) -> _PdfLine:
    cells = [_BULLET_GLYPH.sub("- ", cells[0]), *cells[1:]]
    # The size that draws most of the characters is the line's size (not its bullet's).
    return _PdfLine(tuple(cells), sizes.most_common(1)[0][0], page, y)


def _scale(matrix: Sequence[float]) -> float:
    a, b, c, d = (float(v) for v in matrix[:4])
    return math.sqrt(abs(a * d - b * c)) or 1.0


def _drop_page_furniture(lines: list[_PdfLine], page_count: int) -> list[_PdfLine]:
    """Remove page numbers and running headers/footers: lines at a page's top or bottom that
    are a bare page number or repeat on most pages (a number alone mid-page is table data)."""
    by_page: dict[int, list[_PdfLine]] = {}
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
    title = _one_line(str(info.get("/Title") or "")).removeprefix("Microsoft Word - ")
    if title.casefold() in _PLACEHOLDER_TITLES or re.search(r"\.(docx?|pdf)$", title, re.I):
        title = ""
    # /Author is whoever typed the file, not the policy's owner; only an explicit key counts.
    fields: dict[str, Any] = _keyword_fields(info.get("/Keywords"))
    fields.update({str(key).lstrip("/"): value for key, value in info.items() if key != "/Title"})
    return _meta_from_fields(fields, title=title or None)


@dataclass(frozen=True)
class _OutlineEntry:
    level: int
    title: str
    page: int | None


def _pdf_outline(reader: PdfReader) -> list[_OutlineEntry]:
    try:
        return _flatten_outline(reader, reader.outline, 1)
    except Exception:
        logger.warning("unreadable pdf outline; falling back to font sizes")
        return []


def _flatten_outline(reader: PdfReader, items: Sequence[Any], level: int) -> list[_OutlineEntry]:
    entries: list[_OutlineEntry] = []
    for item in items:
        if isinstance(item, list):
            entries.extend(_flatten_outline(reader, item, level + 1))
            continue
        title = _one_line(str(item.title or ""))
        if title:
            entries.append(_OutlineEntry(level, title, reader.get_destination_page_number(item)))
    return entries


# Headings found in a PDF: line index -> headings (level, text) that start before that line.
_Headings = dict[int, list[tuple[int, str]]]


def _key(text: str) -> str:
    return re.sub(r"\W+", "", text.casefold())


def _headings_from_outline(
    lines: list[_PdfLine], outline: list[_OutlineEntry]
) -> tuple[_Headings, frozenset[int]]:
    """Place each bookmark at the line(s) on its page that spell its title, in order."""
    headings: _Headings = {}
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
    lines: list[_PdfLine], start: int, entry: _OutlineEntry
) -> tuple[int, int] | None:
    target = _key(entry.title)
    if not target:
        return None
    for i in range(start, len(lines)):
        if entry.page is not None and lines[i].page > entry.page:
            return None
        joined = ""
        for count in range(1, 4):  # a long heading may wrap onto up to three lines
            if i + count > len(lines):
                break
            joined += _key(lines[i + count - 1].text)
            if joined == target:
                return i, count
            if not target.startswith(joined):
                break
    return None


def _headings_from_fonts(lines: list[_PdfLine]) -> tuple[_Headings, frozenset[int]]:
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
    headings: _Headings = {}
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


def _continues_heading(previous: _PdfLine, line: _PdfLine) -> bool:
    return (
        previous.page == line.page
        and previous.size == line.size
        and 0 < previous.y - line.y <= 1.5 * line.size
    )


def _feed_pdf_lines(
    lines: list[_PdfLine], headings: _Headings, consumed: frozenset[int], builder: _SectionBuilder
) -> None:
    paragraph: list[str] = []
    rows: list[tuple[str, ...]] = []
    loose: list[str] = []  # lines of a table row whose cells wrapped onto lines of their own

    def flush() -> None:
        nonlocal paragraph, rows
        builder.add(_join_pdf_lines(paragraph))
        builder.add("\n".join(_table_lines(rows, has_header=True)))
        paragraph, rows = [], []

    previous: _PdfLine | None = None
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


def _between_table_rows(lines: list[_PdfLine], i: int, headings: _Headings) -> bool:
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


def _starts_paragraph(previous: _PdfLine, line: _PdfLine) -> bool:
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


# --- DOCX -----------------------------------------------------------------------------------

_CUSTOM_PROPS_PART = "/docProps/custom.xml"


def _parse_docx(data: bytes, filename: str) -> ParsedDocument:
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:
        raise ParseError(f"{filename} is not a readable Word document: {exc}") from exc
    builder = _SectionBuilder()
    title_paragraph: str | None = None
    # Body order matters: a table sits between the paragraphs that introduce and follow it.
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            builder.add("\n".join(_table_lines(_docx_rows(block), has_header=True)))
            continue
        title_text = _docx_paragraph(block, builder, want_title=title_paragraph is None)
        title_paragraph = title_paragraph or title_text
    # core_properties.author is whoever created the file, not the policy's owner.
    fields: dict[str, Any] = _keyword_fields(document.core_properties.keywords)
    fields.update(_docx_custom_properties(document))
    core_title = _one_line(document.core_properties.title or "") or None
    meta = _meta_from_fields(fields, title=core_title)
    title = meta.title or title_paragraph or builder.first_heading or _pretty_stem(filename)
    return _finish(DocType.DOCX, filename, builder, meta, title)


def _docx_paragraph(
    paragraph: Paragraph, builder: _SectionBuilder, *, want_title: bool
) -> str | None:
    """Add one paragraph; returns its text when it is the document's Title-styled line."""
    text = paragraph.text
    style = _docx_style_role(paragraph)
    if style == "title" and want_title:
        return _one_line(text) or None
    if style == "toc":
        return None  # a table of contents repeats the headings with page numbers
    if style.startswith("heading"):
        builder.heading(int(style.removeprefix("heading")), text)
    elif style == "list" or (paragraph._p.pPr is not None and paragraph._p.pPr.numPr is not None):
        builder.add_list_item(text, _docx_list_depth(paragraph))
    else:
        builder.add(text)
    return None


def _docx_style_role(paragraph: Paragraph) -> str:
    """'title', 'heading<N>', 'list' or '' from the paragraph style or the style it is based on."""
    style = paragraph.style
    for _ in range(4):  # custom styles often inherit from a built-in heading style
        if style is None:
            return ""
        name = (style.name or "").strip()
        if name == "Title":
            return "title"
        match = re.fullmatch(r"Heading (\d)", name)
        if match:
            return f"heading{match.group(1)}"
        if name.startswith("List"):
            return "list"
        if re.fullmatch(r"(?i)toc(?: heading| \d)", name):
            return "toc"
        style = style.base_style
    return ""


def _docx_list_depth(paragraph: Paragraph) -> int:
    ppr = paragraph._p.pPr
    num_pr: Any = ppr.numPr if ppr is not None else None
    if num_pr is None or num_pr.ilvl is None:
        return 0
    return int(num_pr.ilvl.val)


def _docx_rows(table: Table) -> list[list[str]]:
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            # A merged cell is reported once per grid column it spans; keep it once.
            if id(cell._tc) not in seen:
                seen.add(id(cell._tc))
                cells.append(cell.text)
        rows.append(cells)
    return rows


def _docx_custom_properties(document: Any) -> dict[str, Any]:
    """Custom document properties (File > Properties > Custom), where an 'owner' may live."""
    for part in document.part.package.iter_parts():
        if str(part.partname) != _CUSTOM_PROPS_PART:
            continue
        root = etree.fromstring(part.blob)
        return {
            str(prop.get("name")): "".join(prop.itertext()).strip()
            for prop in root
            if prop.get("name")
        }
    return {}


# --- Plain text -----------------------------------------------------------------------------

_UNDERLINE = re.compile(r"^(=|-)\1{2,}\s*$")


def _parse_text(data: bytes, filename: str) -> ParsedDocument:
    lines = normalize_text(decode_text(data, filename)).split("\n")
    title, lines = _text_title(lines)
    builder = _SectionBuilder()
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
    return _finish(DocType.TEXT, filename, builder, DocumentMeta(), title or _pretty_stem(filename))


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


_PARSERS: dict[DocType, Callable[[bytes, str], ParsedDocument]] = {
    DocType.MARKDOWN: _parse_markdown,
    DocType.HTML: _parse_html,
    DocType.PDF: _parse_pdf,
    DocType.DOCX: _parse_docx,
    DocType.TEXT: _parse_text,
}
