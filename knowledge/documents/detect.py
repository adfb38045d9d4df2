"""Which format an uploaded file is, judged from its bytes (the extension only breaks ties)."""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from pathlib import PurePath

from knowledge.documents.parsed import DocType, ParseError

# Formats people upload by mistake, recognised by their first bytes so the error can name them.
_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Office file (.doc/.xls/.ppt)"),
    (b"\x7fELF", "an executable"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"{\\rtf", "an RTF document (save it as .docx)"),
)

# Members that identify what an Office Open XML / OpenDocument zip holds.
_ZIP_KINDS: tuple[tuple[str, str], ...] = (
    ("xl/workbook.xml", "an Excel workbook"),
    ("ppt/presentation.xml", "a PowerPoint presentation"),
    ("content.xml", "an OpenDocument file"),
)

_MARKDOWN_EXTENSIONS = frozenset({".md", ".markdown", ".mdown", ".mkd"})
_HTML_EXTENSIONS = frozenset({".html", ".htm", ".xhtml"})
_SNIFF_CHARS = 16_384

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n.*?\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_HTML_START = re.compile(
    r"\A(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b", re.I | re.S
)
_HTML_TAG = re.compile(
    r"</?(?:html|head|body|title|meta|div|p|h[1-6]|ul|ol|li|table|tr|td|th|br|span|a|section"
    r"|article|main|nav|strong|em)\b[^>]*>",
    re.I,
)
_ATX_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+\S", re.M)
_MD_TABLE_RULE = re.compile(
    r"^ {0,3}\|?[ \t]*:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)+\|?[ \t]*$", re.M
)
_MD_FENCE = re.compile(r"^ {0,3}(?:```|~~~)", re.M)
_MD_LINK = re.compile(r"\[[^\]\n]+\]\([^)\s]+\)")


def detect_type(data: bytes, filename: str) -> DocType:
    """The document type of `data`, or ParseError naming what the file is instead."""
    if not data.strip():
        raise ParseError(f"{filename} is empty")
    # The PDF spec lets the header sit anywhere in the first 1024 bytes.
    if b"%PDF-" in data[:1024]:
        return DocType.PDF
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _detect_zip(data, filename)
    _reject_known_binary(data, filename)
    text = decode_text(data, filename)
    if not text.strip():  # e.g. nothing but a byte-order mark
        raise ParseError(f"{filename} is empty")
    return _detect_text_kind(text, filename)


def decode_text(data: bytes, filename: str) -> str:
    """Decode a text file: UTF-8 (BOMs honoured), else cp1252/latin-1 if it clearly is text."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError:
                raise _binary(filename) from None
    if b"\x00" in data:
        raise _binary(filename)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    lenient = data.decode("utf-8", errors="replace")
    bad = lenient.count("\ufffd")
    valid_non_ascii = sum(1 for ch in lenient if ord(ch) > 0x7F) - bad
    # Mostly-good UTF-8 with a stray bad byte or two: keep UTF-8 rather than mis-decode the rest.
    if valid_non_ascii > bad and bad <= max(3, len(data) // 1000):
        return lenient
    legacy = _decode_cp1252(data)
    if _looks_like_text(legacy):
        return legacy
    raise _binary(filename)


def _decode_cp1252(data: bytes) -> str:
    # Five bytes are undefined in cp1252; a file using them is latin-1 (ISO 8859-1) instead.
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _looks_like_text(text: str) -> bool:
    controls = sum(1 for ch in text if _is_control(ch))
    return controls <= max(2, len(text) // 200)


def _is_control(ch: str) -> bool:
    code = ord(ch)
    return (code < 32 and ch not in "\t\n\r\f") or 0x7F <= code <= 0x9F


def _binary(filename: str) -> ParseError:
    return ParseError(f"{filename} is not a text document (binary content)")


def _unsupported(filename: str, what: str) -> ParseError:
    return ParseError(
        f"{filename}: unsupported type ({what}); upload PDF, Word (.docx), Markdown, HTML "
        "or plain text"
    )


def _detect_zip(data: bytes, filename: str) -> DocType:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise ParseError(f"{filename} is a damaged ZIP/Office file: {exc}") from exc
    if "word/document.xml" in names:
        return DocType.DOCX
    for member, what in _ZIP_KINDS:
        if member in names:
            raise _unsupported(filename, what)
    raise _unsupported(filename, "a ZIP archive")


def _reject_known_binary(data: bytes, filename: str) -> None:
    for signature, what in _BINARY_SIGNATURES:
        if data.startswith(signature):
            raise _unsupported(filename, what)
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        raise _unsupported(filename, "a WebP image")
    # "MZ" and "BM" also start ordinary words, so only binary content makes them an exe/bitmap.
    if data.startswith(b"MZ") and b"\x00" in data[:512]:
        raise _unsupported(filename, "a Windows executable")


def _detect_text_kind(text: str, filename: str) -> DocType:
    head = text[:_SNIFF_CHARS].lstrip("\ufeff \t\r\n")
    extension = PurePath(filename).suffix.lower()
    if _FRONT_MATTER.match(head):
        return DocType.MARKDOWN
    if _HTML_START.match(head):
        return DocType.HTML
    if re.match(r"<svg\b", head, re.I):
        raise _unsupported(filename, "an SVG image")
    html_tags = len(_HTML_TAG.findall(head))
    if head.startswith("<") and html_tags >= 3:
        return DocType.HTML
    if _has_markdown_structure(head):
        return DocType.MARKDOWN
    if html_tags >= 5 and _tag_share(head) > 0.15:
        return DocType.HTML
    if extension in _MARKDOWN_EXTENSIONS:
        return DocType.MARKDOWN
    if extension in _HTML_EXTENSIONS and html_tags:
        return DocType.HTML
    return DocType.TEXT


def _has_markdown_structure(text: str) -> bool:
    # Setext underlines and "- " lists are common in plain text too, so only
    # unambiguous Markdown counts here; the extension decides the rest.
    return bool(
        _ATX_HEADING.search(text)
        or _MD_TABLE_RULE.search(text)
        or _MD_FENCE.search(text)
        or _MD_LINK.search(text)
    )


def _tag_share(text: str) -> float:
    tag_chars = sum(len(match) for match in re.findall(r"<[^>]{1,200}>", text))
    return tag_chars / max(1, len(text))
