"""Every file of the sample handbook parses and chunks into sensible, labelled passages."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from knowledge.documents.chunking import chunk_document, contextual_text
from knowledge.documents.parsed import ParsedDocument
from knowledge.documents.parsing import parse_document

HANDBOOK = Path(__file__).resolve().parents[2] / "knowledge" / "sample" / "handbook"
FILES = sorted(p for p in HANDBOOK.glob("*") if p.is_file()) if HANDBOOK.is_dir() else []
MINILM_MAX_TOKENS = 256  # sentence-transformers truncates longer inputs


def _parse(path: Path) -> ParsedDocument:
    return parse_document(path.read_bytes(), path.name)


def _flat(text: str) -> str:
    return " ".join(text.split())


pytestmark = pytest.mark.skipif(not FILES, reason="the sample handbook is not written yet")


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_parses_with_title_meta_and_headings(path: Path) -> None:
    doc = _parse(path)
    assert doc.title and doc.title == doc.meta.title
    assert doc.meta.audiences and doc.meta.review_by is not None
    headed = [s.heading_path for s in doc.sections if s.heading_path]
    assert len(headed) >= 3
    assert all(all(h.strip() and len(h) < 120 for h in p) for p in headed)
    assert all(p[0] != doc.title for p in headed)  # the title is not a section of itself
    assert all(s.text.strip() for s in doc.sections)


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_chunks_fit_the_embedding_model(path: Path, count_tokens: Callable[[str], int]) -> None:
    doc = _parse(path)
    chunks = chunk_document(doc, count_tokens=count_tokens)
    assert chunks and [c.index for c in chunks] == list(range(len(chunks)))
    section_paths = {s.heading_path for s in doc.sections}
    for chunk in chunks:
        assert 0 < chunk.token_count <= 160
        # A merged chunk carries its members' common parent, itself a prefix of a real path.
        assert any(p[: len(chunk.heading_path)] == chunk.heading_path for p in section_paths)
        embedded = contextual_text(doc.title, chunk.heading_path, chunk.text)
        assert count_tokens(embedded) + 2 <= MINILM_MAX_TOKENS  # + [CLS] and [SEP]


def _generated() -> list[object]:
    try:
        from tools.sample.build_sample import DOCUMENTS
    except ImportError:  # the generator moved: these checks cannot run
        return []
    return [d for d in DOCUMENTS if (HANDBOOK / d.filename).is_file()]


@pytest.mark.parametrize("source", _generated(), ids=lambda d: d.filename)
def test_generated_files_keep_every_heading_and_paragraph_in_order(source: object) -> None:
    """PDF/DOCX are built from a content model: everything in it must come back out."""
    from tools.sample.build_sample import Bullets, Heading, Para, Table

    doc = _parse(HANDBOOK / source.filename)  # type: ignore[attr-defined]
    blocks = source.blocks  # type: ignore[attr-defined]
    headings = {h for s in doc.sections for h in s.heading_path}
    assert {b.text for b in blocks if isinstance(b, Heading)} <= headings
    text = _flat(doc.text)
    paragraphs = [_flat(b.text) for b in blocks if isinstance(b, Para)]
    positions = [text.index(p) for p in paragraphs]
    assert positions == sorted(positions)
    for block in blocks:
        if isinstance(block, Bullets):
            assert all(_flat(item) in text for item in block.items)
        if isinstance(block, Table):
            cells = [cell for row in block.rows for cell in row]
            assert all(_flat(cell) in text for cell in cells)


def test_pdf_tables_read_as_labelled_rows() -> None:
    path = HANDBOOK / "business-travel.pdf"
    if not path.is_file():
        pytest.skip("business-travel.pdf is not in the handbook")
    assert re.search(r"Destination: Lisbon; Nightly hotel cap: EUR \d+", _parse(path).text)
