"""The grounding check: numbers, amounts, dates and durations in an answer must be in its sources.

Pure functions. Facts are extracted into normalised keys so that "EUR 1,200", "€1200" and
"1,200 euros" compare equal, as do "2027-03-31", "31 March 2027" and "March 31, 2027", or
"three days" and "3 working days". Spelled numbers are turned into digits by text2num first
("sixteen weeks" -> "16 weeks", "twenty-five days" -> "25 days").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from text_to_num import alpha2digit

FactKind = Literal["money", "percent", "time", "date", "duration", "number"]

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
WORD_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "a": 1,
    "an": 1,
}
CURRENCIES = {
    "eur": "EUR",
    "€": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "cad": "CAD",
    "c$": "CAD",
    "usd": "USD",
    "us$": "USD",
    "$": "USD",
    "dollars": "USD",
    "gbp": "GBP",
    "£": "GBP",
    "pounds": "GBP",
    "chf": "CHF",
}
UNITS = {
    "minute": "minute",
    "min": "minute",
    "hour": "hour",
    "hr": "hour",
    "day": "day",
    "week": "week",
    "month": "month",
    "year": "year",
}

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_WORD_NUM = "|".join(sorted((w for w in WORD_NUMBERS if len(w) > 2), key=len, reverse=True))
_CUR_BEFORE = r"EUR|CAD|USD|GBP|CHF|C\$|US\$|€|\$|£"
_CUR_AFTER = r"EUR|CAD|USD|GBP|CHF|euros?|dollars|pounds"
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_UNIT = r"(?:minute|min|hour|hr|day|week|month|year)s?\b"
# Up to two words may sit between a number and its unit: "3 consecutive calendar days".
_FILLER = r"(?:(?:working|calendar|business|consecutive|full|paid|unpaid|extra|more|"
_FILLER += r"additional|school|learning|weeks'|days')[\s-]+){0,2}"

PATTERNS: list[tuple[FactKind, re.Pattern[str]]] = [
    ("money", re.compile(rf"(?P<cur>{_CUR_BEFORE})\s?(?P<num>{_NUM})", re.I)),
    ("money", re.compile(rf"(?P<num>{_NUM})\s?(?P<cur>{_CUR_AFTER})\b", re.I)),
    ("percent", re.compile(rf"(?P<num>{_NUM})\s?(?:%|per\s?cent\b|percent\b)", re.I)),
    ("date", re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b")),
    (
        "date",
        re.compile(
            rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>{_MONTH})\b\.?"
            rf"(?:,?\s+(?P<y>\d{{4}}))?",
            re.I,
        ),
    ),
    (
        "date",
        re.compile(
            rf"\b(?P<mon>{_MONTH})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b"
            rf"(?:,?\s+(?P<y>\d{{4}}))?",
            re.I,
        ),
    ),
    ("time", re.compile(r"\b(?P<h>\d{1,2}):(?P<mi>\d{2})\s?(?P<ap>[ap]\.?m\.?)?", re.I)),
    ("time", re.compile(r"\b(?P<h>\d{1,2})\s?(?P<ap>[ap]\.?m\.?)(?!\w)", re.I)),
    ("duration", re.compile(rf"(?<![\w.,])(?P<num>{_NUM})[\s-]+{_FILLER}(?P<unit>{_UNIT})", re.I)),
    ("duration", re.compile(rf"\b(?P<num>{_WORD_NUM})[\s-]+{_FILLER}(?P<unit>{_UNIT})", re.I)),
    ("number", re.compile(rf"(?<![\w.,:-])(?P<num>{_NUM})(?:st|nd|rd|th)?(?![\w]|[.,]\d)")),
]
_SPELLED = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety|hundred|thousand|million)\b",
    re.I,
)
CITATION = re.compile(r"\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]")
# "1." or "2)" opening a line numbers a list item; it states nothing.
LIST_NUMBER = re.compile(r"^([ \t]*)\d{1,2}[.)](?=[ \t])", re.M)


@dataclass(frozen=True)
class Fact:
    """One checkable statement of quantity: its kind, a normalised key and the text it came from."""

    kind: FactKind
    key: str
    text: str


@dataclass(frozen=True)
class GroundingResult:
    """What the check found: the facts stated and those no source supports."""

    facts: tuple[Fact, ...]
    unsupported: tuple[Fact, ...]

    @property
    def ok(self) -> bool:
        return not self.unsupported


def number_value(text: str) -> str:
    """'1,200' -> '1200', '3.50' -> '3.5', 'three' -> '3': one spelling per value."""
    lowered = text.lower()
    if lowered in WORD_NUMBERS:
        return str(WORD_NUMBERS[lowered])
    value = float(lowered.replace(",", ""))
    return str(int(value)) if value.is_integer() else str(value)


def _key(kind: FactKind, match: re.Match[str]) -> str:
    groups = match.groupdict()
    if kind == "money":
        currency = CURRENCIES[groups["cur"].lower()]
        return f"{currency} {number_value(groups['num'])}"
    if kind == "date":
        month = int(groups["m"]) if groups.get("m") else MONTHS[groups["mon"].lower()]
        year = groups.get("y") or ""
        return f"{year}-{month:02d}-{int(groups['d']):02d}".lstrip("-")
    if kind == "time":
        hour, minute = int(groups["h"]), int(groups.get("mi") or 0)
        meridiem = (groups.get("ap") or "").lower().replace(".", "")
        if meridiem == "pm" and hour < 12:
            hour += 12
        elif meridiem == "am" and hour == 12:
            hour = 0
        return f"{hour:02d}:{minute:02d}"
    if kind == "duration":
        unit = UNITS[groups["unit"].lower().rstrip("s")]
        return f"{number_value(groups['num'])} {unit}"
    return number_value(groups["num"])


def digits(text: str) -> str:
    """`text` with its spelled numbers written in digits ("twenty-five days" -> "25 days");
    the small ones standing alone ("one of the rules") are left as words."""
    if not _SPELLED.search(text):
        return text
    return str(alpha2digit(text, "en"))


def extract_facts(text: str) -> list[Fact]:
    """The numbers, amounts, percentages, dates, times and durations stated in `text`.

    Citation markers like [2] and list item numbers ("1. Report it ...") are not facts. Each
    character belongs to at most one fact: the most specific pattern wins ("EUR 1,200" is
    money, not also the number 1200).
    """
    text = LIST_NUMBER.sub(r"\1", CITATION.sub(" ", digits(text)))
    taken = [False] * len(text)
    facts: list[tuple[int, Fact]] = []
    for kind, pattern in PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(taken[start:end]):
                continue
            if kind == "date" and not _valid_date(match):
                continue
            taken[start:end] = [True] * (end - start)
            facts.append((start, Fact(kind, _key(kind, match), match.group(0).strip())))
    return [fact for _, fact in sorted(facts, key=lambda pair: pair[0])]


def _valid_date(match: re.Match[str]) -> bool:
    groups = match.groupdict()
    month_ok = not groups.get("m") or 1 <= int(groups["m"]) <= 12
    return month_ok and 1 <= int(groups["d"]) <= 31


def _numbers(facts: Iterable[Fact]) -> set[str]:
    """Every numeric value the facts mention (a bare number may restate any of them)."""
    values: set[str] = set()
    for fact in facts:
        if fact.kind in ("money", "duration"):
            values.add(fact.key.split(" ")[-1] if fact.kind == "money" else fact.key.split(" ")[0])
        elif fact.kind == "date":
            parts = fact.key.split("-")
            values.update(str(int(p)) for p in parts)
        elif fact.kind == "time":
            values.add(str(int(fact.key.split(":")[0])))
        else:
            values.add(fact.key)
    return values


def supported(fact: Fact, sources: list[Fact]) -> bool:
    """Whether the source facts back up one answer fact (formats already normalised)."""
    if fact.kind == "date":
        month_day = fact.key[-5:]
        year = fact.key[:-6]
        return any(
            s.kind == "date" and s.key[-5:] == month_day and (not year or s.key[:-6] in ("", year))
            for s in sources
        )
    if fact.kind == "number":
        return fact.key in _numbers(sources)
    return any(s.kind == fact.kind and s.key == fact.key for s in sources)


def check_grounding(answer: str, sources: Iterable[str]) -> GroundingResult:
    """Check every fact of `answer` against the facts of `sources` (cited passages, question)."""
    source_facts = [fact for text in sources for fact in extract_facts(text)]
    facts = extract_facts(answer)
    unsupported = [fact for fact in facts if not supported(fact, source_facts)]
    return GroundingResult(tuple(facts), tuple(unsupported))
