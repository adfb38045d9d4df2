"""Words of questions and passages: tokens, Snowball stems and stop words, shared by every scorer.

Pure functions. Stemming is the Snowball English stemmer (Porter2) of tantivy's text analyzer,
a dependency already: "travelling"/"travel", "cancelled"/"cancel", "hiring"/"hire",
"approval"/"approve" meet. Stop words are tantivy's English list plus the English function
words a question is made of ("how", "much", "need", "get"): grammar, never a company's words.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from functools import lru_cache

import tantivy

_STEMMER = (
    tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.raw()).filter(tantivy.Filter.stemmer("english"))
).build()
_ANALYZER_STOPWORDS = (
    tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace())
    .filter(tantivy.Filter.stopword("english"))
    .build()
)
_QUESTION_WORDS = """
a about above after again against all am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further
get gets got getting had has have having he her here hers him his how i if in into is it its
itself just me more most my myself no nor not now of off on once only or other our ours out
over own same she should so some such than that the their theirs them then there these they
this those through to too under until up very was we were what when where which while who whom
why will with would you your yours yourself much many quickly soon often need needs want
wants please know also i'm i've i'd it's what's let us am yes hi hello hey thanks thank ok
okay anyone someone somebody anything something big long early time far old every
each either whether another
"""


def _analyzer_stopwords(candidates: set[str]) -> set[str]:
    """Which of `candidates` the analyzer's English stop-word filter removes."""
    kept = set(_ANALYZER_STOPWORDS.analyze(" ".join(sorted(candidates))))
    return candidates - kept


_PROBE = set(_QUESTION_WORDS.split()) | {
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is",
    "it", "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there",
    "these", "they", "this", "to", "was", "will", "with",
}  # fmt: skip
STOPWORDS = frozenset(set(_QUESTION_WORDS.split()) | _analyzer_stopwords(_PROBE))
"""Words that say nothing about a question's topic."""
_POSSESSIVE = re.compile(r"(?<=\w)'s\b|(?<=s)'(?=\W|$)")
_IRREGULAR = {"paid": "pay", "took": "take", "taken": "take", "gave": "give", "given": "give"}


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The Snowball stem of one lower-case word ("travelling" -> "travel", "yearly" -> "year");
    a few irregular verbs meet their base ("paid"/"pay")."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    stemmed = _STEMMER.analyze(word)
    return stemmed[0] if stemmed else word


def tokens(text: str) -> list[str]:
    """The lower-case words of `text`, accents folded ("António" -> "antonio"), possessives
    dropped ("the company's", "employees'") and hyphenated words split ("on-call")."""
    folded = unicodedata.normalize("NFKD", text.replace("\u2019", "'"))
    plain = _POSSESSIVE.sub("", folded.encode("ascii", "ignore").decode()).lower()
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", plain)


def is_content(word: str) -> bool:
    return word not in STOPWORDS and len(word) > 1


def terms(text: str) -> set[str]:
    """Content-word stems of `text`."""
    return {stem(w) for w in tokens(text) if is_content(w)}


def word_pairs(text: str) -> set[tuple[str, str]]:
    """Stems of content words that stand side by side in `text` ("birthing parent")."""
    stems = [stem(w) if is_content(w) else "" for w in tokens(text)]
    return {(a, b) for a, b in itertools.pairwise(stems) if a and b}
