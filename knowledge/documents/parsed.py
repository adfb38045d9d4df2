"""Plain data for documents on their way in: parsed sections and the chunks cut from them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class DocType(StrEnum):
    """The formats helpbot reads, detected from content (the extension is only a hint)."""

    PDF = "pdf"
    DOCX = "docx"
    HTML = "html"
    MARKDOWN = "markdown"
    TEXT = "text"


class ParseError(ValueError):
    """A file could not be read as a document; the message is shown to whoever uploaded it."""


@dataclass(frozen=True)
class Section:
    """A run of body text under one heading path (outermost heading first)."""

    heading_path: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class DocumentMeta:
    """What the file itself says about the document (front matter, meta tags, properties)."""

    title: str | None = None
    owner: str | None = None
    audiences: tuple[str, ...] | None = None
    review_by: date | None = None


@dataclass(frozen=True)
class ParsedDocument:
    """A document reduced to its title, metadata and sections, whatever its format."""

    doc_type: DocType
    title: str
    sections: tuple[Section, ...]
    meta: DocumentMeta = field(default_factory=DocumentMeta)

    @property
    def text(self) -> str:
        return "\n\n".join(section.text for section in self.sections)


@dataclass(frozen=True)
class Chunk:
    """One passage cut from a document, before it is embedded."""

    index: int
    text: str
    heading_path: tuple[str, ...]
    token_count: int
