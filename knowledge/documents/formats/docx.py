"""Word documents (DOCX) into sections: styles give headings and lists, tables stay in place."""

from __future__ import annotations

import io
import re
from typing import Any

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml import etree

from knowledge.documents.formats.sections import (
    SectionBuilder,
    finish_document,
    keyword_fields,
    meta_from_fields,
    one_line,
    table_lines,
    title_from_filename,
)
from knowledge.documents.parsed import DocType, ParsedDocument, ParseError

_CUSTOM_PROPS_PART = "/docProps/custom.xml"


def parse_docx(data: bytes, filename: str) -> ParsedDocument:
    """Paragraphs and tables in body order; keywords and custom properties give the metadata."""
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:
        raise ParseError(f"{filename} is not a readable Word document: {exc}") from exc
    builder = SectionBuilder()
    title_paragraph: str | None = None
    # Body order matters: a table sits between the paragraphs that introduce and follow it.
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            builder.add("\n".join(table_lines(_docx_rows(block), has_header=True)))
            continue
        title_text = _docx_paragraph(block, builder, want_title=title_paragraph is None)
        title_paragraph = title_paragraph or title_text
    # core_properties.author is whoever created the file, not the policy's owner.
    fields: dict[str, Any] = keyword_fields(document.core_properties.keywords)
    fields.update(_docx_custom_properties(document))
    core_title = one_line(document.core_properties.title or "") or None
    meta = meta_from_fields(fields, title=core_title)
    title = meta.title or title_paragraph or builder.first_heading or title_from_filename(filename)
    return finish_document(DocType.DOCX, filename, builder, meta, title)


def _docx_paragraph(
    paragraph: Paragraph, builder: SectionBuilder, *, want_title: bool
) -> str | None:
    """Add one paragraph; returns its text when it is the document's Title-styled line."""
    text = paragraph.text
    style = _docx_style_role(paragraph)
    if style == "title" and want_title:
        return one_line(text) or None
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
