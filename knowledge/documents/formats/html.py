"""HTML pages into sections: site chrome dropped, blocks, lists and tables in reading order."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString, Script, Stylesheet, TemplateString

from knowledge.documents.formats.sections import (
    SectionBuilder,
    finish_document,
    link_suffix,
    meta_from_fields,
    one_line,
    table_lines,
    title_from_filename,
)
from knowledge.documents.parsed import DocType, ParsedDocument

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


def parse_html(data: bytes, filename: str) -> ParsedDocument:
    """<title> and <meta name=...> give the metadata; the body's blocks give the sections."""
    soup = BeautifulSoup(data, "lxml")
    page_title = soup.title.get_text() if soup.title else None
    fields = {
        str(tag.get("name")): tag.get("content")
        for tag in soup.find_all("meta")
        if tag.get("name") and tag.get("content") is not None
    }
    _strip_html_boilerplate(soup)
    builder = SectionBuilder()
    _HtmlWalker(builder).walk(soup.body or soup)
    meta = meta_from_fields(fields, title=page_title)
    title = meta.title or builder.first_h1 or title_from_filename(filename)
    return finish_document(DocType.HTML, filename, builder, meta, title)


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
        link.append(link_suffix(str(link["href"]), link.get_text()))
    for image in soup.find_all("img"):
        image.replace_with(str(image.get("alt", "")))


class _HtmlWalker:
    """Walks the DOM in document order, turning blocks into paragraphs, lists and table rows."""

    def __init__(self, builder: SectionBuilder) -> None:
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
    return one_line(text)


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
    return table_lines(cells, has_header=has_header)
