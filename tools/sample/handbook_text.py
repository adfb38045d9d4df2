"""The plain text and audiences of each sample handbook file (Markdown, HTML, PDF, DOCX),
read independently of helpbot's own parsers so the QA files are checked against the source."""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import docx
import pypdf
import yaml

SUPPORTED_SUFFIXES = (".md", ".html", ".pdf", ".docx")


@dataclass(frozen=True)
class ExtractedDocument:
    """The plain text of a handbook file and the audiences allowed to read it."""

    name: str
    text: str
    audiences: tuple[str, ...]


_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)
_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\(([^)]*)\)")
_MARKDOWN_EMPHASIS = re.compile(r"(\*\*|__|`)")


def _markdown(path: Path) -> tuple[str, tuple[str, ...]]:
    raw = path.read_text(encoding="utf-8")
    audiences: tuple[str, ...] = ()
    match = _FRONT_MATTER.match(raw)
    if match:
        meta = yaml.safe_load(match.group(1)) or {}
        audiences = tuple(str(item) for item in meta.get("audiences") or ())
        raw = raw[match.end() :]
    text = _MARKDOWN_LINK.sub(r"\1 (\2)", raw)
    return _MARKDOWN_EMPHASIS.sub("", text), audiences


class _HtmlText(HTMLParser):
    """Collects visible text and <meta name=... content=...> pairs."""

    _SKIPPED = frozenset({"script", "style", "head"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.meta: dict[str, str] = {}
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "meta" and values.get("name"):
            self.meta[str(values["name"])] = values.get("content") or ""
        if tag in self._SKIPPED:
            self._skip_depth += 1
        self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIPPED and self._skip_depth:
            self._skip_depth -= 1
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.parts.append(data)


def _html(path: Path) -> tuple[str, tuple[str, ...]]:
    parser = _HtmlText()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    audiences = tuple(
        item.strip() for item in parser.meta.get("audiences", "").split(",") if item.strip()
    )
    return html.unescape("".join(parser.parts)), audiences


def _audiences_from_keywords(keywords: str | None) -> tuple[str, ...]:
    """Parse ``audiences=a,b; review_by=...`` as written by build_sample.py."""
    for field in (keywords or "").split(";"):
        key, _, value = field.partition("=")
        if key.strip() == "audiences":
            return tuple(item.strip() for item in value.split(",") if item.strip())
    return ()


def _pdf(path: Path) -> tuple[str, tuple[str, ...]]:
    reader = pypdf.PdfReader(path)
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    keywords = reader.metadata.get("/Keywords") if reader.metadata else None
    return text, _audiences_from_keywords(str(keywords) if keywords else None)


def _docx(path: Path) -> tuple[str, tuple[str, ...]]:
    document = docx.Document(str(path))
    parts = [paragraph.text for paragraph in document.paragraphs]
    for grid in document.tables:
        for row in grid.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts), _audiences_from_keywords(document.core_properties.keywords)


_EXTRACTORS = {".md": _markdown, ".html": _html, ".pdf": _pdf, ".docx": _docx}


def extract_document(path: Path) -> ExtractedDocument:
    """Return the plain text and audiences of one handbook file."""
    text, audiences = _EXTRACTORS[path.suffix.lower()](path)
    return ExtractedDocument(path.name, text, audiences)


def normalize(text: str) -> str:
    """Fold case, compatibility characters and whitespace for substring matching."""
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'")
    return re.sub(r"\s+", " ", text).strip().casefold()


def load_documents(folder: Path) -> dict[str, ExtractedDocument]:
    """Extract every supported file in a folder, keyed by file name."""
    return {
        path.name: extract_document(path)
        for path in sorted(folder.iterdir())
        if path.suffix.lower() in SUPPORTED_SUFFIXES
    }
