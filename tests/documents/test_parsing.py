"""Each parser on real files: title, metadata, heading paths and body text in order."""

from __future__ import annotations

import io
from datetime import date

import docx
import pytest
from pypdf import PageObject

from knowledge.documents.parsed import DocType, DocumentMeta, ParsedDocument, ParseError
from knowledge.documents.parsing import normalize_text, parse_document
from tests.documents import builders


def paths(doc: ParsedDocument) -> list[tuple[str, ...]]:
    return [section.heading_path for section in doc.sections]


def section(doc: ParsedDocument, *path: str) -> str:
    return next(s.text for s in doc.sections if s.heading_path == path)


def assert_in_order(text: str, *needles: str) -> None:
    positions = [text.index(needle) for needle in needles]
    assert positions == sorted(positions), positions


# --- Markdown -------------------------------------------------------------------------------

MARKDOWN = b"""---
title: Annual Leave
owner: people@northwind.example
audiences: [everyone, managers]
review_by: 2027-01-31
---
# Annual Leave

Rest is part of doing good work.

Your allowance
--------------

Every employee receives **25 days**, see [Peoplehub](https://people.example/leave).

### Long service

| Years | Days |
|-------|------|
| 0-2   | 25   |
| 3+    | 28   |

- Part-time staff: pro rata
  - rounded up
- New joiners: pro rata

## Booking

1. Request in Peoplehub.
2. Wait for approval.

```
code stays as written
```
"""


def test_markdown_front_matter_title_and_heading_paths() -> None:
    doc = parse_document(MARKDOWN, "annual-leave.md")
    assert doc.doc_type is DocType.MARKDOWN
    assert doc.title == "Annual Leave"
    assert doc.meta == DocumentMeta(
        title="Annual Leave",
        owner="people@northwind.example",
        audiences=("everyone", "managers"),
        review_by=date(2027, 1, 31),
    )
    # '# Annual Leave' only repeats the title, so it is not a level of every path.
    assert paths(doc) == [(), ("Your allowance",), ("Your allowance", "Long service"), ("Booking",)]
    assert section(doc, "Your allowance") == (
        "Every employee receives 25 days, see Peoplehub (https://people.example/leave)."
    )


def test_markdown_tables_lists_and_code_read_as_text() -> None:
    doc = parse_document(MARKDOWN, "annual-leave.md")
    assert section(doc, "Your allowance", "Long service") == (
        "Years: 0-2; Days: 25\nYears: 3+; Days: 28\n\n"
        "- Part-time staff: pro rata\n  - rounded up\n- New joiners: pro rata"
    )
    assert section(doc, "Booking") == (
        "1. Request in Peoplehub.\n2. Wait for approval.\n\ncode stays as written"
    )


def test_markdown_title_falls_back_to_h1_then_file_name() -> None:
    assert parse_document(b"# Sick Leave\n\nRest.\n", "x.md").title == "Sick Leave"
    doc = parse_document(b"## Scope\n\nEveryone.\n", "remote_work-policy.md")
    assert doc.title == "Remote Work Policy"
    assert doc.meta == DocumentMeta()


def test_markdown_tolerates_bad_values_but_not_broken_yaml() -> None:
    doc = parse_document(
        b"---\ntitle: T\naudiences: everyone, engineering\nreview_by: soon\n---\nBody.\n", "t.md"
    )
    assert doc.meta.audiences == ("everyone", "engineering")
    assert doc.meta.review_by is None
    with pytest.raises(ParseError, match=r"t\.md has malformed front matter"):
        parse_document(b"---\ntitle: [unclosed\n---\nBody.\n", "t.md")


def test_markdown_with_only_headings_has_no_text() -> None:
    with pytest.raises(ParseError, match="has no text"):
        parse_document(b"# Title\n\n## Empty\n", "empty.md")


# --- HTML -----------------------------------------------------------------------------------

HTML = b"""<!DOCTYPE html>
<html><head>
  <title>Benefits Overview</title>
  <meta name="owner" content="benefits@northwind.example">
  <meta name="audiences" content="everyone, toronto">
  <meta name="review_by" content="2027-04-15">
  <style>p { color: red }</style>
  <script>var tracking = "do not index";</script>
</head><body>
<header><a href="/">Intranet home</a></header>
<nav><ul><li>Menu item</li></ul></nav>
<main>
  <h1>Benefits Overview</h1>
  <p>Our benefits   look after
     your health.</p>
  <h2>Health insurance</h2>
  <p>Cover starts on day one.<br>Enrol within 31 days.</p>
  <table>
    <thead><tr><th>Location</th><th>Plan</th></tr></thead>
    <tbody><tr><td>Lisbon</td><td>Solace</td></tr><tr><td>Toronto</td><td>Maple</td></tr></tbody>
  </table>
  <h3>Claims</h3>
  <ul><li>Claim online<ul><li>within 90 days</li></ul></li><li>Keep receipts</li></ul>
  <div>Loose text in a div, <b>bold</b> and <a href="https://claims.example">the portal</a>.</div>
  <h2>Pension</h2>
  <ol><li>Join</li><li>Contribute</li></ol>
</main>
<footer>Copyright Northwind</footer>
</body></html>
"""


def test_html_meta_title_and_sections_in_order() -> None:
    doc = parse_document(HTML, "benefits.html")
    assert doc.doc_type is DocType.HTML
    assert doc.title == "Benefits Overview"
    assert doc.meta == DocumentMeta(
        title="Benefits Overview",
        owner="benefits@northwind.example",
        audiences=("everyone", "toronto"),
        review_by=date(2027, 4, 15),
    )
    assert paths(doc) == [
        (),
        ("Health insurance",),
        ("Health insurance", "Claims"),
        ("Pension",),
    ]
    assert section(doc, "Health insurance") == (
        "Cover starts on day one.\nEnrol within 31 days.\n\n"
        "Location: Lisbon; Plan: Solace\nLocation: Toronto; Plan: Maple"
    )
    assert section(doc, "Health insurance", "Claims") == (
        "- Claim online\n  - within 90 days\n- Keep receipts\n\n"
        "Loose text in a div, bold and the portal (https://claims.example)."
    )
    assert section(doc, "Pension") == "1. Join\n2. Contribute"


def test_html_drops_boilerplate() -> None:
    text = parse_document(HTML, "benefits.html").text
    assert text.startswith("Our benefits look after your health.")
    for chrome in ("Intranet home", "Menu item", "Copyright", "tracking", "color: red"):
        assert chrome not in text


def test_html_title_from_h1_without_title_tag() -> None:
    doc = parse_document(b"<html><body><h1>Holidays</h1><p>Fifteen.</p></body></html>", "h.html")
    assert doc.title == "Holidays"


# --- PDF ------------------------------------------------------------------------------------


@pytest.mark.parametrize("outline", [True, False], ids=["outline", "font-sizes"])
def test_pdf_headings_title_and_text_in_order(outline: bool) -> None:
    doc = parse_document(builders.travel_pdf(outline=outline), "travel.pdf")
    assert doc.doc_type is DocType.PDF
    assert doc.title == "Travel Policy"
    assert paths(doc) == [
        (),
        ("Booking",),
        ("Booking", "Economy class"),
        ("Expenses",),
        ("Questions",),
    ]
    assert section(doc) == "This policy explains how we travel for work."
    assert section(doc, "Booking").startswith("Employees book trips through the travel portal")
    assert section(doc, "Booking", "Economy class") == (
        "Economy is the default for flights under six hours.\n\n"
        "Destination: Lisbon; Per diem: EUR 50\nDestination: Toronto; Per diem: CAD 95"
    )
    assert_in_order(doc.text, "This policy", "Employees book", "Economy is", "Submit receipts")


def test_pdf_title_from_first_heading_and_page_furniture_removed() -> None:
    data = builders.travel_pdf(outline=False, title=None, footer=True)
    doc = parse_document(data, "travel.pdf")
    assert doc.meta.title is None  # reportlab wrote 'untitled'
    assert doc.title == "Travel Policy"
    assert "Page 1 of 3" not in doc.text
    assert "employee handbook" not in doc.text
    assert section(doc, "Expenses") == "Submit receipts within 30 days of your return."


def test_pdf_with_empty_user_password_opens() -> None:
    data = builders.encrypted_pdf(builders.travel_pdf(outline=True), user_password="")
    assert parse_document(data, "travel.pdf").title == "Travel Policy"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: builders.encrypted_pdf(builders.travel_pdf(outline=True), user_password="pw"),
            r"travel\.pdf is encrypted",
        ),
        (lambda: builders.travel_pdf(outline=True)[:2500], r"travel\.pdf is not a readable PDF"),
        (lambda: b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"%%EOF", "is not a readable PDF: "),
        (builders.image_only_pdf, r"travel\.pdf has no extractable text \(scanned\?\)"),
    ],
    ids=["encrypted", "truncated", "corrupt", "image-only"],
)
def test_unreadable_pdfs_raise_clear_errors(make: object, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_document(make(), "travel.pdf")  # type: ignore[operator]


# --- DOCX -----------------------------------------------------------------------------------


def test_docx_blocks_in_body_order_with_table_between_paragraphs() -> None:
    doc = parse_document(builders.devices_docx(), "devices.docx")
    assert doc.doc_type is DocType.DOCX
    assert doc.title == "Devices Guide"  # core properties win over the Title paragraph
    assert paths(doc) == [(), ("Your laptop",), ("Your laptop", "Refresh"), ("Software",)]
    assert section(doc, "Your laptop") == (
        "Before the table.\n\n"
        "Role: Engineering; Laptop: MacBook Pro 14\nRole: Sales; Laptop: MacBook Air\n\n"
        "After the table."
    )
    assert section(doc, "Your laptop", "Refresh") == (
        "- Laptops are replaced every three years.\n- Return the old one within ten days."
    )
    assert "Devices and Equipment" not in doc.text  # the Title paragraph is the title


def test_docx_author_is_not_the_owner_but_custom_properties_are() -> None:
    plain = parse_document(builders.devices_docx(title_property=None), "devices.docx")
    assert plain.title == "Devices and Equipment"  # from the Title-styled paragraph
    assert plain.meta == DocumentMeta()  # 'Jane Doe' wrote it; she does not own it
    data = builders.with_custom_properties(
        builders.devices_docx(),
        [("Owner", "it@northwind.example"), ("audiences", "engineering, sales"),
         ("review_by", "2027-03-01")],
    )  # fmt: skip
    meta = parse_document(data, "devices.docx").meta
    assert meta.owner == "it@northwind.example"
    assert meta.audiences == ("engineering", "sales")
    assert meta.review_by == date(2027, 3, 1)


def test_corrupt_docx_is_a_parse_error() -> None:
    data = builders.zip_bytes({"word/document.xml": b"<not-word"})
    with pytest.raises(ParseError, match=r"broken\.docx is not a readable Word document"):
        parse_document(data, "broken.docx")


# --- Plain text -----------------------------------------------------------------------------

TEXT = b"""REMOTE WORK POLICY

Everyone may work remotely
two days a week.

WHERE YOU CAN WORK
Home or a coworking space.

Equipment
=========
The company provides a laptop.

Costs
-----
Internet is reimbursed.
"""


def test_text_title_and_simple_headings() -> None:
    doc = parse_document(TEXT, "remote.txt")
    assert doc.doc_type is DocType.TEXT
    assert doc.title == "Remote Work Policy"
    assert paths(doc) == [(), ("WHERE YOU CAN WORK",), ("Equipment",), ("Equipment", "Costs")]
    assert section(doc) == "Everyone may work remotely\ntwo days a week."
    assert section(doc, "Equipment", "Costs") == "Internet is reimbursed."


def test_text_without_a_title_line_uses_the_file_name() -> None:
    doc = parse_document(b"This note is one sentence long, so it is not a title.\n", "it-note.txt")
    assert doc.title == "It Note"
    assert doc.sections[0].text == "This note is one sentence long, so it is not a title."


def test_latin1_text_is_decoded() -> None:
    doc = parse_document("Café\n\nLe menu du jour coûte 8 €.".encode("cp1252"), "cafe.txt")
    assert doc.title == "Café"
    assert doc.text == "Le menu du jour coûte 8 €."


def test_normalize_text_collapses_spaces_keeps_paragraphs() -> None:
    assert normalize_text("a \t b\u00a0 c\r\n\r\n\r\n\r\n  - d  \n") == "a b c\n\n  - d"


def test_html_page_header_with_the_main_heading_is_kept() -> None:
    html = b"""<html><body><header><h1>Holidays</h1><a href="/">Home</a></header>
    <main><h2>Lisbon</h2><p>Fifteen days.</p></main><footer>Contact us</footer></body></html>"""
    doc = parse_document(html, "holidays.html")
    assert doc.title == "Holidays"
    assert paths(doc)[-1] == ("Lisbon",)
    assert "Contact us" not in doc.text


def test_docx_table_of_contents_is_skipped() -> None:
    document = docx.Document()
    document.styles.add_style("TOC 1", 1)  # WD_STYLE_TYPE.PARAGRAPH
    document.add_paragraph("Introduction\t3", style="TOC 1")
    document.add_heading("Introduction", level=1)
    document.add_paragraph("Welcome.")
    document.add_heading("Scope", level=1)
    document.add_paragraph("Everyone.")
    out = io.BytesIO()
    document.save(out)
    doc = parse_document(out.getvalue(), "guide.docx")
    assert paths(doc) == [("Introduction",), ("Scope",)]
    assert doc.text == "Welcome.\n\nEveryone."


def test_markdown_opening_with_rules_is_not_front_matter() -> None:
    doc = parse_document(
        b"---\nJust a note between rules.\n\n---\n\n## Scope\n\nAll staff.\n", "n.md"
    )
    assert doc.meta == DocumentMeta()
    assert "Just a note between rules." in doc.text


def test_a_pdf_failing_halfway_is_an_error_not_a_shorter_document(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = PageObject.extract_text
    calls = {"n": 0}

    def flaky(self: PageObject, *args: object, **kwargs: object) -> str:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyError("/Font")
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(PageObject, "extract_text", flaky)
    with pytest.raises(ParseError, match=r"travel\.pdf is not a readable PDF: page 2"):
        parse_document(builders.travel_pdf(outline=True), "travel.pdf")


def test_html_with_no_text_is_an_error() -> None:
    with pytest.raises(ParseError, match="has no text"):
        parse_document(b"<html><body><script>x()</script><nav>Menu</nav></body></html>", "e.html")
