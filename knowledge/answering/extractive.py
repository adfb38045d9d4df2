"""The no-model answer: the one or two sentences of the top passages that best answer the question.

Pure functions. Sentences (and table rows, which chunking renders as "Column: value; ..." lines)
are scored by the question words they contain, weighted by rarity, with a bonus for the
question's phrases ("birthing parent"), one for stating a quantity when the question asks for
one, and a small prior for the passage's rank. A question of two parts ("How much ..., and by
when ...?") gets a sentence for each. The answer quotes them with their citation numbers:
short, never whole passages.

The words (`terms`: Snowball stems without stop words, from knowledge.answering.analysis) are
shared with abstention's term coverage.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from knowledge.answering.analysis import STOPWORDS, stem, terms, tokens, word_pairs
from knowledge.answering.grounding import extract_facts
from knowledge.retrieval import Passage

QUANTITY_QUESTION = re.compile(
    r"\b(how (?:many|much|long|quickly|soon|often|early|big|far|old)|when|what time|"
    r"by when|up to what|what value|deadline|until|minimum|maximum|limit|budget|cap|allowance|"
    r"rate|percentage|amount)\b",
    re.I,
)
_LIST_NUMBER = re.compile(r"^\d{1,2}[.)]\s+")  # "1. Tell your manager ..." states no "1."
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(€£$])")
# "..., and by when must it be taken?": a second question in the same message.
_QUESTION_PARTS = re.compile(
    r"\?\s+|[,;]?\s+(?:and|or|but|also|plus)\s+(?=(?:what|when|how|where|which|who|why|do|does|"
    r"did|is|are|can|could|will|would|must|should|may|by)\b)",
    re.I,
)
# Capitalised: "you may keep it" names no month.
_WHEN = re.compile(
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
)
MAX_WORDS = 70
SHORT_SENTENCE = 7
SECOND_SENTENCE_SHARE = 0.4
CONTEXT_WEIGHT = 0.5
"""A question word found only in the sentence's title or headings weighs this share."""
PAIR_WEIGHT = 0.5
"""Two question words side by side in a sentence ("birthing parent") add this share of the
rarer one's weight again: the phrase, not just its words."""


@dataclass(frozen=True)
class Sentence:
    """A candidate sentence: its text, the passage number it comes from (1-based), its rank."""

    text: str
    number: int
    position: int
    partial: bool
    context: frozenset[str] = frozenset()
    """Content words of the passage's title and section headings: what the sentence is under."""
    order: tuple[int, int] = (0, 0)
    """(rank of its document among the passages', passages of that document before it)."""


@dataclass(frozen=True)
class ExtractiveAnswer:
    """The quoted answer and the passage numbers it cites."""

    text: str
    numbers: tuple[int, ...]
    score: float


__all__ = ["STOPWORDS", "stem", "terms", "tokens", "word_pairs"]


@dataclass(frozen=True)
class Query:
    """What sentences are scored against: a question's (or one part's) content words, its
    side-by-side word pairs, and whether it asks for a quantity."""

    terms: frozenset[str]
    pairs: frozenset[tuple[str, str]]
    wants_quantity: bool
    kinds: frozenset[str] = frozenset()
    """The kinds of quantity asked for ("what time" -> time); empty: any kind."""

    @classmethod
    def of(cls, text: str) -> Query:
        """The query of a question (or of one part of it)."""
        return cls(
            frozenset(terms(text)),
            frozenset(word_pairs(text)),
            asks_for_quantity(text),
            wanted_kinds(text),
        )


# Which kinds of figure answer which question words (knowledge.answering.grounding's kinds).
_KIND_CUES: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = (
    (re.compile(r"\bwhat time\b|\buntil what\b|\bby what time\b|\bo'?clock\b", re.I),
     frozenset({"time"})),
    (re.compile(r"\bhow long\b|\bhow soon\b|\bin advance\b|\bhow many (?:days|weeks|months|"
                r"years|hours|minutes)\b", re.I), frozenset({"duration"})),
    (re.compile(r"\bwhen\b|\bwhat date\b|\bdeadline\b", re.I),
     frozenset({"date", "time", "duration"})),
    (re.compile(r"\bhow much\b.*\b(?:cost|costs|pay|paid|reimburs\w*|money|dollars?|fee|fees|"
                r"price|budget|allowance|spend)\b|\bpercent(?:age)?\b", re.I),
     frozenset({"money", "percent"})),
)  # fmt: skip
# A sentence stating an exception or a special case, not the main rule.
_EXCEPTION = re.compile(
    r"\b(except|unless|however|exceptions?|second|otherwise|instead|alternatively)\b", re.I
)
# A sentence leaning on the one before it ("These breaks do not extend the work day").
_LEANS_BACK = re.compile(r"^(?:This|These|That|Those|It|They|Such)\b")
EXCEPTION_FACTOR = 0.85
"""A sentence stating an exception the question does not mention ranks below the main rule."""


def wanted_kinds(question: str) -> frozenset[str]:
    """The kinds of figure the question asks for (empty when it names none in particular)."""
    wanted: set[str] = set()
    for cue, kinds in _KIND_CUES:
        if cue.search(question):
            wanted |= kinds
    return frozenset(wanted)


def stated_kinds(text: str) -> set[str]:
    """The kinds of figure `text` states; a named month or weekday counts as a date."""
    return {fact.kind for fact in extract_facts(text)} | ({"date"} if _WHEN.search(text) else set())


def sentences(passages: Sequence[Passage]) -> list[Sentence]:
    """Every sentence or table row of the passages, in order, numbered by passage.

    A short sentence ("We call this the phased return.") is kept with the one before it on
    the same line: alone it would quote a name without the facts it names. One that opens a
    line ("Accidental damage is covered by the company.") is kept with the one after it: alone
    it would pass for a heading.
    """
    found: list[Sentence] = []
    documents = list(dict.fromkeys(p.document_id for p in passages))
    for number, passage in enumerate(passages, start=1):
        context = frozenset(terms(f"{passage.title}\n{passage.section}"))
        earlier = sum(
            p.document_id == passage.document_id and p.chunk_index < passage.chunk_index
            for p in passages
        )
        order = (documents.index(passage.document_id), earlier)
        for line_index, line in enumerate(passage.text.splitlines()):
            pieces: list[str] = []
            for piece in _SENTENCE_END.split(_LIST_NUMBER.sub("", line.strip())):
                text = piece.strip(" -*•\t")
                short_opener = len(pieces) == 1 and len(pieces[0].split()) < SHORT_SENTENCE
                leans = bool(_LEANS_BACK.match(text))
                if (
                    text
                    and pieces
                    and (len(text.split()) < SHORT_SENTENCE or short_opener or leans)
                ):
                    pieces[-1] = f"{pieces[-1]} {text}"
                elif text:
                    pieces.append(text)
            for index, text in enumerate(pieces):
                if len(text.split()) < SHORT_SENTENCE and not extract_facts(text):
                    continue  # a heading or a label, not an answer
                # A chunk may start mid-sentence (overlap with the previous chunk).
                partial = line_index == 0 and index == 0 and text[:1].islower()
                found.append(Sentence(text, number, len(found), partial, context, order))
    return found


def rarity(candidates: Sequence[Sentence]) -> dict[str, float]:
    """Each term's weight among the candidates: log(1 + n / sentences saying it)."""
    counts: dict[str, int] = {}
    for sentence in candidates:
        for term in terms(sentence.text):
            counts[term] = counts.get(term, 0) + 1
    total = len(candidates) or 1
    return {term: math.log(1 + total / count) for term, count in counts.items()}


def asks_for_quantity(question: str) -> bool:
    """Whether the question asks for an amount, a date, a time or a duration."""
    return bool(QUANTITY_QUESTION.search(question))


def states_quantity(text: str) -> bool:
    """Whether `text` states an amount, a date, a time or a duration, or names a month or a
    weekday ("in April and October" answers "when ...?" without a number)."""
    return bool(extract_facts(text)) or bool(_WHEN.search(text))


def score_sentence(sentence: Sentence, query: Query, idf: dict[str, float]) -> float:
    """How well `sentence` answers `query`: the rarity of the question words it says, plus its
    phrases, times the quantity and passage-rank priors."""
    overlap = query.terms & terms(sentence.text)
    if not overlap:
        return 0.0
    score = sum(idf.get(term, 1.0) for term in overlap)
    # Question words only its headings say ("Military leave" over "15 days each year") count
    # for less: the heading places the sentence, the sentence must still say something.
    under = (query.terms & sentence.context) - overlap
    score += CONTEXT_WEIGHT * sum(idf.get(term, 1.0) for term in under)
    phrases = query.pairs & word_pairs(sentence.text)
    score += PAIR_WEIGHT * sum(min(idf.get(a, 1.0), idf.get(b, 1.0)) for a, b in phrases)
    if query.wants_quantity:
        # The question asks for an amount, a date or a duration: a sentence without one
        # is rarely the answer, one with the kind asked for ("what time" -> 4:30 PM) most often.
        stated = stated_kinds(sentence.text)
        if not stated:
            score *= 0.6
        else:
            score *= 1.1 if query.kinds and not stated & query.kinds else 1.5
    exception = _EXCEPTION.search(sentence.text)
    if exception and stem(exception.group(1).lower()) not in query.terms:
        score *= EXCEPTION_FACTOR  # the main rule before its exceptions
    # Earlier documents rank higher; within a document, earlier passages (the main rule first).
    document, before = sentence.order
    score *= 1.0 - 0.05 * min(document, 6) - 0.02 * min(before, 3)
    if sentence.partial:
        score *= 0.7
    return score


def extractive_answer(
    question: str, passages: Sequence[Passage], *, max_sentences: int = 2
) -> ExtractiveAnswer | None:
    """The best one or two (`max_sentences`) sentences for `question` with [n] citations, or
    None when no sentence of the passages shares a content word with the question.

    A question of two parts ("..., and by when must it be taken?") gets the best sentence for
    the part the first one answers worst; otherwise a second sentence must add another
    question word (or a second amount) and score at least SECOND_SENTENCE_SHARE of the first.
    """
    query = Query.of(question)
    candidates = sentences(passages)
    idf = rarity(candidates)
    scored = _ranked(query, candidates, idf)
    if not scored:
        return None
    best_score, best = scored[0]
    chosen = [best]
    if max_sentences > 1:
        second = answer_to_another_part(question, best, candidates, idf)
        chosen += [second] if second is not None else _more_sentences(question, scored)
    chosen = chosen[:max_sentences]
    chosen.sort(key=lambda s: s.position)
    text = " ".join(f"{_clip(s.text)} [{s.number}]" for s in chosen)
    numbers = tuple(sorted({s.number for s in chosen}))
    return ExtractiveAnswer(text=text, numbers=numbers, score=round(best_score, 4))


def _ranked(
    query: Query, candidates: Sequence[Sentence], idf: dict[str, float]
) -> list[tuple[float, Sentence]]:
    """The sentences sharing a word with the query, best first (earlier first on ties)."""
    scored = [(score_sentence(s, query, idf), s) for s in candidates]
    scored.sort(key=lambda pair: (-pair[0], pair[1].position))
    return [(score, s) for score, s in scored if score > 0]


def question_parts(question: str) -> list[str]:
    """The questions asked in one message: "How much ..., and by when ...?" asks two."""
    return [part for part in _QUESTION_PARTS.split(question) if terms(part)]


def answer_to_another_part(
    question: str, best: Sentence, candidates: Sequence[Sentence], idf: dict[str, float]
) -> Sentence | None:
    """For a question of two parts, the sentence answering the part `best` answers worst.

    Each part's sentences are ranked by that part's words alone; another sentence answers a
    part better than `best` when it scores higher on it and says more of its words ("When are
    the promotion windows, and when are nomination packets due?": the packets sentence says
    "window" but not "promotion"). The part where `best` falls furthest short wins; None when
    `best` answers every part as well as any sentence does.
    """
    parts = question_parts(question)
    if len(parts) < 2:
        return None
    room = MAX_WORDS - len(best.text.split())
    said = terms(best.text)
    found: list[tuple[float, Sentence]] = []
    for part in parts:
        query = Query.of(part)
        own = score_sentence(best, query, idf)
        for score, candidate in _ranked(query, candidates, idf):
            if score <= own:
                break
            # It must say more of the part's words than `best`, not just rank higher.
            says_more = len(query.terms & terms(candidate.text)) > len(query.terms & said)
            if says_more and len(candidate.text.split()) <= room:
                found.append((1.0 - own / score, candidate))
                break
    return max(found, key=lambda pair: pair[0])[1] if found else None


def _more_sentences(question: str, scored: list[tuple[float, Sentence]]) -> list[Sentence]:
    """A second sentence that answers another part of the question, not repeats the first."""
    question_terms = terms(question)
    best_score, best = scored[0]
    covered = question_terms & terms(best.text)
    facts = {f.key for f in extract_facts(best.text)}
    room = MAX_WORDS - len(best.text.split())
    for score, candidate in scored[1:]:
        adds = (question_terms & terms(candidate.text)) - covered
        new_facts = {f.key for f in extract_facts(candidate.text)} - facts
        two_amounts = asks_for_quantity(question) and bool(new_facts) and _asks_two(question)
        fits = len(candidate.text.split()) <= room
        if score >= SECOND_SENTENCE_SHARE * best_score and (adds or two_amounts) and fits:
            return [candidate]
    return []


def _asks_two(question: str) -> bool:
    """A question with two parts ("how much ..., and how many ...?")."""
    return bool(re.search(r"\b(and|also|plus)\b", question, re.I))


def _clip(text: str) -> str:
    """A sentence cut to MAX_WORDS words (a very long one would be a whole passage)."""
    words = text.split()
    if len(words) <= MAX_WORDS:
        return text.rstrip()
    return " ".join(words[:MAX_WORDS]) + " …"
