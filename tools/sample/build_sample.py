"""Regenerate the PDF and DOCX documents of the sample Northwind Labs handbook.

The Markdown and HTML handbook files are written by hand; the binary formats
are generated here from the content in pdf_documents.py and docx_documents.py, so
they can be reviewed as text and rebuilt byte-for-byte identically. A dev tool
(it needs reportlab, a dev extra), not part of the installed package:

    python -m tools.sample.build_sample          # rewrite the files
    python -m tools.sample.build_sample --check  # fail if they are stale

Metadata follows the conventions of the Markdown front matter: the document
title and, in the keywords, the owner, the audiences and the review date, e.g.
``owner=travel@northwind.example; audiences=everyone; review_by=2027-05-31``.
The owner is also written as the author, but the parser reads it only from the
keywords (a file's author is whoever typed it, not the policy's owner).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

import docx
from docx.document import Document as DocxDocument
from docx.shared import Pt
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, StyleSheet1, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import (
    Flowable,
    ListFlowable,
    ListItem,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)
from reportlab.platypus import Table as PdfTable

from knowledge.sample import HANDBOOK_DIR
from tools.sample.content import Bullets, Heading, Para, SampleDocument, Table
from tools.sample.docx_documents import DEVICES, ONBOARDING
from tools.sample.pdf_documents import BUSINESS_TRAVEL, WHISTLEBLOWING

# Fixed timestamps keep the generated files byte-stable between runs.
FIXED_DATETIME = dt.datetime(2026, 11, 1, 9, 0, 0)
ZIP_TIMESTAMP = (2026, 11, 1, 9, 0, 0)

DOCUMENTS: tuple[SampleDocument, ...] = (BUSINESS_TRAVEL, WHISTLEBLOWING, DEVICES, ONBOARDING)


# --------------------------------------------------------------------------
# PDF rendering (reportlab)
# --------------------------------------------------------------------------


class _HeadingParagraph(Paragraph):
    """A paragraph that also gets a PDF outline (bookmark) entry."""

    def __init__(self, text: str, style: ParagraphStyle, outline_level: int) -> None:
        super().__init__(escape(text), style)
        self.outline_level = outline_level
        self.plain_text = text


class _OutlinedDocTemplate(SimpleDocTemplate):
    """A document template that bookmarks every heading in the PDF outline."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._bookmarks = 0

    def afterFlowable(self, flowable: Flowable) -> None:
        """Register an outline entry once a heading has been placed on a page."""
        if not isinstance(flowable, _HeadingParagraph):
            return
        key = f"heading-{self._bookmarks}"
        self._bookmarks += 1
        self.canv.bookmarkPage(key)
        self.canv.addOutlineEntry(
            flowable.plain_text, key, level=flowable.outline_level, closed=False
        )


def _pdf_styles() -> StyleSheet1:
    """Return the stylesheet with clearly sized title and headings."""
    styles = getSampleStyleSheet()
    styles["Title"].fontSize = 22
    styles["Title"].leading = 27
    styles["Heading1"].fontSize = 16
    styles["Heading1"].leading = 20
    styles["Heading1"].spaceBefore = 14
    styles["Heading2"].fontSize = 13
    styles["Heading2"].leading = 16
    styles["Heading2"].spaceBefore = 10
    styles["BodyText"].fontSize = 10.5
    styles["BodyText"].leading = 14
    styles.add(ParagraphStyle("TableCell", parent=styles["BodyText"], fontSize=9.5, leading=12))
    styles.add(ParagraphStyle("TableHead", parent=styles["TableCell"], fontName="Helvetica-Bold"))
    return styles


def _pdf_table(block: Table, styles: StyleSheet1, width: float) -> PdfTable:
    """Render a table block with wrapping cells and a shaded header row."""
    data = [[Paragraph(escape(cell), styles["TableHead"]) for cell in block.header]]
    data += [[Paragraph(escape(cell), styles["TableCell"]) for cell in row] for row in block.rows]
    result = PdfTable(data, colWidths=[width / len(block.header)] * len(block.header))
    result.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dfe6ee")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return result


def _pdf_flowables(document: SampleDocument, width: float) -> list[Flowable]:
    """Translate a document's blocks into reportlab flowables."""
    styles = _pdf_styles()
    story: list[Flowable] = [_HeadingParagraph(document.title, styles["Title"], 0)]
    for block in document.blocks:
        if isinstance(block, Heading):
            story.append(
                _HeadingParagraph(block.text, styles[f"Heading{block.level}"], block.level)
            )
        elif isinstance(block, Para):
            story.append(Paragraph(escape(block.text), styles["BodyText"]))
        elif isinstance(block, Bullets):
            items = [ListItem(Paragraph(escape(item), styles["BodyText"])) for item in block.items]
            if block.numbered:
                story.append(ListFlowable(items, bulletType="1", leftIndent=14))
            else:
                # An en dash rather than the default bullet, which pypdf extracts as \x7f.
                story.append(
                    ListFlowable(items, bulletType="bullet", start="\u2013", leftIndent=14)
                )
        else:
            story.append(Spacer(1, 4))
            story.append(_pdf_table(block, styles, width))
            story.append(Spacer(1, 8))
    return story


def render_pdf(document: SampleDocument) -> bytes:
    """Return the PDF bytes for a document (byte-stable across runs)."""
    rl_config.invariant = 1
    buffer = io.BytesIO()
    template = _OutlinedDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=2.2 * cm,
        rightMargin=2.2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
        title=document.title,
        author=document.owner,
        subject=f"Northwind Labs employee handbook: {document.title}",
        keywords=document.keywords,
        # The generator's first home: a new name would change every byte of the PDFs.
        creator="helpbot knowledge/sample/build_sample.py",
        invariant=1,
    )
    template.build(_pdf_flowables(document, template.width))
    return buffer.getvalue()


# --------------------------------------------------------------------------
# DOCX rendering (python-docx)
# --------------------------------------------------------------------------


def _docx_table(target: DocxDocument, block: Table) -> None:
    """Append a grid table with a bold header row."""
    grid = target.add_table(rows=1 + len(block.rows), cols=len(block.header))
    grid.style = "Table Grid"
    for row_index, cells in enumerate((block.header, *block.rows)):
        for column, text in enumerate(cells):
            paragraph = grid.cell(row_index, column).paragraphs[0]
            run = paragraph.add_run(text)
            run.bold = row_index == 0


def _stable_zip(data: bytes) -> bytes:
    """Rewrite a zip archive with fixed timestamps so the bytes are reproducible."""
    source = zipfile.ZipFile(io.BytesIO(data))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(entry.filename))
    return output.getvalue()


def render_docx(document: SampleDocument) -> bytes:
    """Return the DOCX bytes for a document (byte-stable across runs)."""
    result = docx.Document()
    result.styles["Normal"].font.size = Pt(11)
    result.add_heading(document.title, level=0)
    for block in document.blocks:
        if isinstance(block, Heading):
            result.add_heading(block.text, level=block.level)
        elif isinstance(block, Para):
            result.add_paragraph(block.text)
        elif isinstance(block, Bullets):
            style = "List Number" if block.numbered else "List Bullet"
            for item in block.items:
                result.add_paragraph(item, style=style)
        else:
            _docx_table(result, block)

    properties = result.core_properties
    properties.title = document.title
    properties.author = document.owner
    properties.subject = f"Northwind Labs employee handbook: {document.title}"
    properties.keywords = document.keywords
    properties.category = "employee handbook"
    properties.comments = f"Review by {document.review_by}."
    properties.last_modified_by = document.owner
    properties.revision = 1
    properties.created = FIXED_DATETIME
    properties.modified = FIXED_DATETIME
    properties.last_printed = FIXED_DATETIME

    buffer = io.BytesIO()
    result.save(buffer)
    return _stable_zip(buffer.getvalue())


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------

RENDERERS: dict[str, Callable[[SampleDocument], bytes]] = {
    ".pdf": render_pdf,
    ".docx": render_docx,
}


def render(document: SampleDocument) -> bytes:
    """Render a document in the format implied by its file name."""
    return RENDERERS[Path(document.filename).suffix](document)


def main(argv: Sequence[str] | None = None) -> int:
    """Write (or, with --check, verify) the generated handbook files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 if a generated file is missing or out of date",
    )
    args = parser.parse_args(argv)

    stale: list[str] = []
    for document in DOCUMENTS:
        path = HANDBOOK_DIR / document.filename
        content = render(document)
        if args.check:
            if not path.exists() or path.read_bytes() != content:
                stale.append(document.filename)
            continue
        path.write_bytes(content)
        print(
            f"wrote {path.relative_to(HANDBOOK_DIR.parent.parent.parent)} ({len(content):,} bytes)"
        )

    if stale:
        print("out of date: " + ", ".join(stale) + " (run build_sample.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
