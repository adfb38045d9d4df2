"""Turn an uploaded file (PDF, DOCX, HTML, Markdown, text) into a titled, sectioned document."""

from __future__ import annotations

import logging
from collections.abc import Callable

from knowledge.documents.detect import detect_type
from knowledge.documents.formats.docx import parse_docx
from knowledge.documents.formats.html import parse_html
from knowledge.documents.formats.markdown import parse_markdown
from knowledge.documents.formats.pdf import parse_pdf
from knowledge.documents.formats.sections import normalize_text
from knowledge.documents.formats.text import parse_text
from knowledge.documents.parsed import DocType, ParsedDocument, ParseError

__all__ = ["normalize_text", "parse_document"]

logger = logging.getLogger(__name__)

_PARSERS: dict[DocType, Callable[[bytes, str], ParsedDocument]] = {
    DocType.MARKDOWN: parse_markdown,
    DocType.HTML: parse_html,
    DocType.PDF: parse_pdf,
    DocType.DOCX: parse_docx,
    DocType.TEXT: parse_text,
}


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
