"""Small real PDF and DOCX files, generated for the document tests."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence

import docx
from pypdf import PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.pdfgen import canvas
from reportlab.platypus import Flowable, PageBreak, Paragraph, SimpleDocTemplate, Table

LOREM = (
    "Employees book trips through the travel portal so that the company can reach them "
    "in an emergency. "
)


class _OutlinedDoc(SimpleDocTemplate):
    """Bookmarks every Heading1/Heading2 paragraph, as a word processor's PDF export does."""

    def afterFlowable(self, flowable: Flowable) -> None:
        if not isinstance(flowable, Paragraph) or flowable.style.name not in (
            "Heading1",
            "Heading2",
        ):
            return
        key = f"h{id(flowable)}"
        self.canv.bookmarkPage(key)
        level = int(flowable.style.name[-1]) - 1
        self.canv.addOutlineEntry(flowable.getPlainText(), key, level=level)


def travel_pdf(
    *, outline: bool, title: str | None = "Travel Policy", footer: bool = False
) -> bytes:
    """Three pages: title line, intro, 'Booking' (with 'Economy class'), a table, 'Expenses'."""
    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    template = _OutlinedDoc if outline else SimpleDocTemplate
    kwargs = {"title": title} if title else {}
    doc = template(buffer, pagesize=A4, **kwargs)
    body = styles["BodyText"]
    story: list[Flowable] = [
        Paragraph("Travel Policy", styles["Title"]),
        Paragraph("This policy explains how we travel for work.", body),
        Paragraph("Booking", styles["Heading1"]),
        Paragraph(LOREM * 3, body),
        Paragraph("Economy class", styles["Heading2"]),
        Paragraph("Economy is the default for flights under six hours.", body),
        Table([["Destination", "Per diem"], ["Lisbon", "EUR 50"], ["Toronto", "CAD 95"]]),
        PageBreak(),
        Paragraph("Expenses", styles["Heading1"]),
        Paragraph("Submit receipts within 30 days of your return.", body),
        PageBreak(),
        Paragraph("Questions", styles["Heading1"]),
        Paragraph("Ask in the travel channel.", body),
    ]

    def draw_furniture(pdf: canvas.Canvas, _doc: object) -> None:
        if footer:
            pdf.setFont("Helvetica", 8)
            pdf.drawString(72, 810, "Northwind Labs employee handbook")
            pdf.drawString(72, 30, f"Page {pdf.getPageNumber()} of 3")

    doc.build(story, onFirstPage=draw_furniture, onLaterPages=draw_furniture)
    return buffer.getvalue()


def image_only_pdf() -> bytes:
    """A 'scan': shapes and no text at all."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.rect(100, 400, 300, 200, fill=1)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def encrypted_pdf(data: bytes, *, user_password: str) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(data))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def devices_docx(*, title_property: str | None = "Devices Guide") -> bytes:
    """Title, intro, headings, a table between two paragraphs, a bulleted list."""
    document = docx.Document()
    document.add_heading("Devices and Equipment", level=0)
    document.add_paragraph("Good tools make good work possible.")
    document.add_heading("Your laptop", level=1)
    document.add_paragraph("Before the table.")
    table = document.add_table(rows=3, cols=2)
    rows = [("Role", "Laptop"), ("Engineering", "MacBook Pro 14"), ("Sales", "MacBook Air")]
    for row, cells in zip(table.rows, rows, strict=True):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    document.add_paragraph("After the table.")
    document.add_heading("Refresh", level=2)
    document.add_paragraph("Laptops are replaced every three years.", style="List Bullet")
    document.add_paragraph("Return the old one within ten days.", style="List Bullet")
    document.add_heading("Software", level=1)
    document.add_paragraph("Install software from the Self Service app.")
    document.core_properties.author = "Jane Doe"
    document.core_properties.title = title_property or ""
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def with_custom_properties(data: bytes, properties: Sequence[tuple[str, str]]) -> bytes:
    """Add docProps/custom.xml (File > Properties > Custom in Word) to a .docx."""
    ns = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
    vt = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
    fmtid = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
    props = "".join(
        f'<property fmtid="{fmtid}" pid="{pid}" name="{name}"><vt:lpwstr>{value}</vt:lpwstr>'
        "</property>"
        for pid, (name, value) in enumerate(properties, start=2)
    )
    custom = (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<Properties xmlns="{ns}" xmlns:vt="{vt}">{props}</Properties>'
    )
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "[Content_Types].xml":
                override = (
                    '<Override PartName="/docProps/custom.xml" ContentType="application/'
                    'vnd.openxmlformats-officedocument.custom-properties+xml"/>'
                )
                content = content.replace(b"</Types>", override.encode() + b"</Types>")
            elif item.filename == "_rels/.rels":
                rel = (
                    '<Relationship Id="rIdCustom" Type="http://schemas.openxmlformats.org/'
                    'officeDocument/2006/relationships/custom-properties" '
                    'Target="docProps/custom.xml"/>'
                )
                content = content.replace(b"</Relationships>", rel.encode() + b"</Relationships>")
            target.writestr(item, content)
        target.writestr("docProps/custom.xml", custom)
    return out.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()
