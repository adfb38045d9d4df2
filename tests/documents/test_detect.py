"""Type detection from content: the table of what gets accepted, and how refusals read."""

from __future__ import annotations

import random

import pytest

from knowledge.documents.detect import decode_text, detect_type
from knowledge.documents.parsed import DocType, ParseError
from tests.documents import builders

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(32)
RANDOM = random.Random(7).randbytes(4096)


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (builders.image_only_pdf(), "scan.bin", DocType.PDF),
        (builders.devices_docx(), "devices.zip", DocType.DOCX),
        (b"<!DOCTYPE html><html><body><p>Hi</p></body></html>", "page.txt", DocType.HTML),
        (b"<div><p>one</p><p>two</p><ul><li>three</li></ul></div>", "fragment", DocType.HTML),
        (b"---\ntitle: Leave\n---\nBody text.\n", "leave.txt", DocType.MARKDOWN),
        (b"# Leave\n\nYou get 25 days.\n", "leave.txt", DocType.MARKDOWN),
        (b"| a | b |\n|---|---|\n| 1 | 2 |\n", "table", DocType.MARKDOWN),
        (b"Leave\n=====\n\nYou get 25 days.\n", "leave.md", DocType.MARKDOWN),
        (b"Leave\n=====\n\nYou get 25 days.\n", "leave.txt", DocType.TEXT),
        (b"Just a plain note about leave.\n", "note.md", DocType.MARKDOWN),
        (b"Just a plain note about leave.\n", "note", DocType.TEXT),
        (b"\xef\xbb\xbfPlain text with a BOM.\n", "bom.txt", DocType.TEXT),
        ("Café policy: crème brûlée on Fridays.\n".encode("cp1252"), "cafe.txt", DocType.TEXT),
    ],
    ids=[
        "pdf", "docx", "html-doctype", "html-tags", "md-front-matter", "md-atx",
        "md-table", "setext-md-ext", "setext-txt-ext", "plain-named-md", "plain",
        "utf8-bom", "cp1252",
    ],
)  # fmt: skip
def test_detects_type_from_content(data: bytes, filename: str, expected: DocType) -> None:
    assert detect_type(data, filename) == expected


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "empty.md", "empty.md is empty"),
        (b"  \n\t \r\n", "blank.txt", "blank.txt is empty"),
        (b"\xef\xbb\xbf \n", "bom-only.md", "bom-only.md is empty"),
        (RANDOM, "policy.md", "policy.md is not a text document (binary content)"),
        (b"text\x00with\x00nul" * 10, "nul.txt", "not a text document (binary content)"),
        (PNG, "photo.md", "unsupported type (a PNG image)"),
        (b"\xff\xd8\xff\xe0" + bytes(64), "photo.jpg", "unsupported type (a JPEG image)"),
        (b"MZ\x90\x00" + bytes(256), "setup.exe", "unsupported type (a Windows executable)"),
        (
            builders.zip_bytes({"xl/workbook.xml": b"<workbook/>"}),
            "budget.xlsx",
            "unsupported type (an Excel workbook)",
        ),
        (builders.zip_bytes({"notes.txt": b"hello"}), "notes.docx", "unsupported type (a ZIP"),
        (b"PK\x03\x04not really a zip", "broken.docx", "damaged ZIP/Office file"),
    ],
    ids=["empty", "whitespace", "bom-only", "random-named-md", "nul-bytes", "png", "jpeg", "exe",
         "xlsx", "zip", "broken-zip"],
)  # fmt: skip
def test_refuses_with_a_clear_message(data: bytes, filename: str, message: str) -> None:
    with pytest.raises(ParseError, match=message.replace("(", r"\(").replace(")", r"\)")):
        detect_type(data, filename)


def test_decodes_bom_and_legacy_encodings() -> None:
    assert decode_text("\ufeffHé".encode(), "a.txt") == "Hé"
    assert decode_text("Hé".encode("utf-16"), "a.txt") == "Hé"
    assert decode_text("Ünïcödé “quotes”".encode("cp1252"), "a.txt") == "Ünïcödé “quotes”"


def test_tolerates_a_stray_bad_byte_in_utf8() -> None:
    text = "Überstunden werden vergütet. " * 20
    data = text.encode() + b"\xff" + text.encode()
    assert decode_text(data, "a.txt").count("vergütet") == 40
