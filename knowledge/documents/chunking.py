"""Cut a parsed document into heading-aware, token-bounded chunks (pure: no I/O, no models)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from langchain_text_splitters import RecursiveCharacterTextSplitter

from knowledge.documents.parsed import Chunk, ParsedDocument, Section

TokenCounter = Callable[[str], int]

# Paragraph, line, sentence, word: the splitter tries each in turn on a piece that is too long.
_SEPARATORS = [r"\n\n", r"\n", r"(?<=[.!?;:])\s+", r" "]
# Budget characters too: WordPiece reads a 5,000-character run without punctuation as one
# [UNK] token, which would let a URL or base64 blob through as a single "small" chunk.
# English prose averages ~4.5 characters a token, so this bound only bites on such runs.
_CHARS_PER_TOKEN_CAP = 8


def contextual_text(title: str, heading_path: Sequence[str], text: str) -> str:
    """The text embedded and keyword-indexed for a chunk: 'Title > Heading > Sub\\n\\ntext'.

    A heading that repeats the label before it (a top heading equal to the title) is
    written once, so it does not count twice in BM25 or in the embedding.
    """
    labels: list[str] = []
    for label in (title, *heading_path):
        label = " ".join(label.split())
        if label and (not labels or label.casefold() != labels[-1].casefold()):
            labels.append(label)
    prefix = " > ".join(labels)
    return f"{prefix}\n\n{text}" if prefix else text


def make_token_counter(tokenizer: Any) -> TokenCounter:
    """Count tokens as the embedding model sees them, without special tokens or truncation.

    Takes a transformers tokenizer (what sentence-transformers exposes) or a bare
    `tokenizers.Tokenizer` loaded from the model's tokenizer.json.
    """
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None and hasattr(tokenizer, "to_str"):
        backend = tokenizer  # already a tokenizers.Tokenizer
    if backend is not None:
        # A private copy: the shared tokenizer may be set to truncate/pad (MiniLM's pads to
        # 128), which would make every count 128; changing it in place would surprise its owner.
        fast = type(backend).from_str(backend.to_str())
        fast.no_truncation()
        fast.no_padding()
        return lambda text: len(fast.encode(text, add_special_tokens=False).ids)

    def count(text: str) -> int:
        encoded = tokenizer(text, add_special_tokens=False, truncation=False, verbose=False)
        return len(encoded["input_ids"])

    return count


def chunk_document(
    doc: ParsedDocument,
    *,
    count_tokens: TokenCounter,
    chunk_tokens: int = 160,
    overlap_tokens: int = 24,
) -> list[Chunk]:
    """Chunks of at most `chunk_tokens` tokens, none spanning two sections, in document order.

    Consecutive chunks of one section share up to `overlap_tokens` tokens (word-aligned);
    small neighbouring sections under one parent are merged into a single chunk when they fit.
    """
    if chunk_tokens <= 0 or not 0 <= overlap_tokens < chunk_tokens:
        raise ValueError("need chunk_tokens > 0 and 0 <= overlap_tokens < chunk_tokens")

    # Splitting asks for the size of the same text many times (a piece is measured to split
    # it, to pack it and to report it): remember each count for this document.
    counts: dict[str, int] = {}

    def counted(text: str) -> int:
        known = counts.get(text)
        if known is None:
            known = counts[text] = count_tokens(text)
        return known

    def size(text: str) -> int:
        bound = -(-len(text) // _CHARS_PER_TOKEN_CAP)
        if bound > chunk_tokens:
            # Over every limit compared against (all <= chunk_tokens) whatever the exact count:
            # tokenizing a long section only to learn it does not fit is most of the cost.
            return bound
        return max(counted(text), bound)

    sections = [s for s in doc.sections if s.text.strip()]
    pieces: list[tuple[tuple[str, ...], str]] = []
    for path, text in _merge_small_sections(sections, size, chunk_tokens):
        pieces.extend(
            (path, piece) for piece in _split_section(text, size, chunk_tokens, overlap_tokens)
        )
    return [
        Chunk(index=i, text=text, heading_path=path, token_count=counted(text))
        for i, (path, text) in enumerate(pieces)
    ]


# --- Merging small sections -----------------------------------------------------------------


def _merge_small_sections(
    sections: Sequence[Section], count_tokens: TokenCounter, limit: int
) -> list[tuple[tuple[str, ...], str]]:
    """(heading path, text) units to split: sections, with runs of small siblings joined.

    A group keeps the members' common parent as its path and writes each member's own
    heading inline, so 'Sick leave' and 'Carer's leave' (40 tokens each) become one chunk
    under 'Leave' that still says which rule is which.
    """
    units: list[tuple[tuple[str, ...], str]] = []
    group: list[Section] = []
    for section in sections:
        if group:
            candidate = [*group, section]
            if _one_parent(candidate):
                text = _group_text(candidate)
                if count_tokens(text) <= limit:
                    group = candidate
                    continue
            units.append(_group_unit(group))
        group = [section]
    if group:
        units.append(_group_unit(group))
    return [(path, text) for path, text in units if text.strip()]


def _common_path(paths: Sequence[tuple[str, ...]]) -> tuple[str, ...]:
    common = paths[0]
    for path in paths[1:]:
        n = 0
        while n < min(len(common), len(path)) and common[n] == path[n]:
            n += 1
        common = common[:n]
    return common


def _one_parent(group: Sequence[Section]) -> bool:
    """Members are the common parent itself or its direct children (never cousins)."""
    common = _common_path([s.heading_path for s in group])
    return all(len(s.heading_path) - len(common) <= 1 for s in group)


def _group_text(group: Sequence[Section]) -> str:
    common = _common_path([s.heading_path for s in group])
    parts = []
    for section in group:
        own = section.heading_path[len(common) :]
        parts.append(f"{' > '.join(own)}\n{section.text}" if own else section.text)
    return "\n\n".join(parts)


def _group_unit(group: Sequence[Section]) -> tuple[tuple[str, ...], str]:
    if len(group) == 1:
        return group[0].heading_path, group[0].text
    return _common_path([s.heading_path for s in group]), _group_text(group)


# --- Splitting one section ------------------------------------------------------------------


def _split_section(text: str, count_tokens: TokenCounter, limit: int, overlap: int) -> list[str]:
    """Pieces of one section's text, each within `limit` tokens."""
    text = text.strip()
    if count_tokens(text) <= limit:
        return [text] if text else []
    # Cores leave room for the overlap that is prepended from the previous core.
    cores = _split_cores(text, count_tokens, limit - overlap)
    spans = _pack(text, _locate(text, cores), count_tokens, limit - overlap)
    pieces: list[str] = []
    for i, (start, end) in enumerate(spans):
        begin = start
        if i and overlap:
            begin = _overlap_start(text, spans[i - 1][0], start, overlap, count_tokens)
        piece = text[begin:end].strip()
        if count_tokens(piece) > limit:  # counts are not exactly additive; drop the overlap then
            piece = text[start:end].strip()
        if piece:
            pieces.append(piece)
    return pieces


def _split_cores(text: str, count_tokens: TokenCounter, limit: int) -> list[str]:
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=limit,
        chunk_overlap=0,
        length_function=count_tokens,
        separators=_SEPARATORS,
        is_separator_regex=True,
        keep_separator=True,
        strip_whitespace=True,
    )
    cores: list[str] = []
    for core in splitter.split_text(text):
        # A single 'word' longer than the limit (a long URL) survives every separator.
        cores.extend(_hard_split(core, count_tokens, limit))
    return cores


def _pack(
    text: str, spans: list[tuple[int, int]], count_tokens: TokenCounter, limit: int
) -> list[tuple[int, int]]:
    """Join neighbouring cores that fit together.

    The recursive splitter emits a short paragraph alone when the next block is too long to
    join it whole; packing gives that paragraph the first lines of the block instead of a
    20-token chunk of its own.
    """
    packed: list[tuple[int, int]] = []
    for start, end in spans:
        if packed and count_tokens(text[packed[-1][0] : end]) <= limit:
            packed[-1] = (packed[-1][0], end)
        else:
            packed.append((start, end))
    return packed


def _hard_split(text: str, count_tokens: TokenCounter, limit: int) -> list[str]:
    """Cut text at character positions into the longest prefixes that fit the limit."""
    pieces: list[str] = []
    rest = text
    while rest:
        if count_tokens(rest) <= limit:
            pieces.append(rest)
            break
        low, high = 1, min(len(rest), limit * _CHARS_PER_TOKEN_CAP)
        while low < high:
            middle = (low + high + 1) // 2
            if count_tokens(rest[:middle]) <= limit:
                low = middle
            else:
                high = middle - 1
        pieces.append(rest[:low])
        rest = rest[low:]
    return [piece for piece in (p.strip() for p in pieces) if piece]


def _locate(text: str, cores: Sequence[str]) -> list[tuple[int, int]]:
    """Where each core lies in the text (they come in order and do not overlap)."""
    spans: list[tuple[int, int]] = []
    position = 0
    for core in cores:
        start = text.find(core, position)
        if start < 0:  # cannot happen with keep_separator; fail loudly rather than misplace
            raise ValueError("chunk not found in its section text")
        spans.append((start, start + len(core)))
        position = start + len(core)
    return spans


_WORD_START = re.compile(r"(?<=\s)\S")
_CLAUSE_START = re.compile(r"(?:[.!?;:]\s+|\n)$")


def _overlap_start(
    text: str, previous_start: int, start: int, overlap: int, count_tokens: TokenCounter
) -> int:
    """The earliest word start in the previous core whose tail up to `start` fits `overlap`."""
    words = [m.start() for m in _WORD_START.finditer(text, previous_start + 1, start)]
    if not words:
        return start
    # Tails shrink as the start moves right; find the first that fits by bisection.
    low, high = 0, len(words)
    while low < high:
        middle = (low + high) // 2
        if count_tokens(text[words[middle] : start]) <= overlap:
            high = middle
        else:
            low = middle + 1
    fitting = words[low:]
    if not fitting:
        return start
    # Starting at a sentence, clause or line reads better than starting mid-phrase.
    window = max(0, fitting[0] - 3)
    clean = [p for p in fitting if _CLAUSE_START.search(text, window, p)]
    return clean[0] if clean else fitting[0]
