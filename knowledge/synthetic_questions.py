"""Synthetic question/answer pairs from the knowledge base's own passages (pure, no I/O).

Answerable questions come from a passage's own facts: amounts, durations, dates, contacts,
eligibility conditions and rules. Each asks about one sentence with the fact replaced by a
question phrase ("You can carry over up to 5 days" -> "You can carry over up to how many
days?"), so the answer is the sentence itself: grounded by construction, with its figure as
the key fact. Unanswerable questions are everyday HR questions whose distinctive words occur in
no passage: their target is the abstention reply. An admin validates every item before it is
trained on (the items enter curation as `new`).
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from knowledge.answering.extractive import terms
from knowledge.retrieval import Passage

MAX_WORDS = 40
"""Longer sentences make poor questions (and poor answers)."""
KINDS = ("amount", "duration", "date", "contact", "eligibility", "rule", "unanswerable")


@dataclass(frozen=True)
class SyntheticItem:
    """One generated question with its target answer and where it comes from."""

    question: str
    answer: str
    """The passage sentence that answers it (no citation mark); empty when unanswerable."""
    kind: str
    """One of KINDS."""
    answerable: bool
    fact: str
    """The key fact the answer must contain ("25 working days"); empty when unanswerable."""
    document_id: str = ""
    version: int = 0
    chunk_index: int = -1
    title: str = ""

    @property
    def source(self) -> str:
        """'document@version#chunk' of the source passage ('' for an unanswerable item)."""
        return f"{self.document_id}@{self.version}#{self.chunk_index}" if self.answerable else ""


_NUMBER = r"(?:\d+(?:[.,]\d+)*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_UNIT = r"(?:(?:working|business|calendar|consecutive|paid|unpaid|full|half)[ -]){0,2}"
_MONTHS = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
)
# (kind, pattern of the fact span, question phrase replacing it: {unit} is the span's unit)
_FACTS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    (
        "amount",
        re.compile(
            r"(?:[$£€]\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:k|million))?"
            r"|\b(?:USD|EUR|GBP|CAD)\s?\d[\d,]*(?:\.\d+)?"
            r"|\b\d[\d,]*(?:\.\d+)?\s?(?:USD|EUR|GBP|CAD|dollars|euros|pounds)\b"
            r"|\b\d+(?:\.\d+)?\s?(?:%|per ?cent\b))"
        ),
        "how much",
    ),
    (
        "duration",
        re.compile(
            rf"\b{_NUMBER}\s+(?P<unit>{_UNIT}(?:hours?|days?|weeks?|months?|years?))\b",
            re.I,
        ),
        "how many {unit}",
    ),
    (
        "date",
        re.compile(
            rf"\b(?:\d{{1,2}}(?:st|nd|rd|th)? {_MONTHS}|{_MONTHS} \d{{1,2}}(?:st|nd|rd|th)?)"
            rf"(?:,? \d{{4}})?|\b\d{{4}}-\d{{2}}-\d{{2}}\b"
        ),
        "which date",
    ),
    (
        "contact",
        re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b|(?<![\w&])#[a-z0-9][a-z0-9_-]+"),
        "which contact",
    ),
)
_ELIGIBILITY = re.compile(
    r"\b(?:eligible|eligibility|qualif(?:y|ies)|entitled|only (?:employees|staff|people)"
    r"|after (?:completing |passing )?(?:your )?(?:probation|\d+ (?:months|years)))\b",
    re.I,
)
_RULE = re.compile(
    r"\b(?:must(?: not)?|cannot|can't|may not|not allowed|required to|prohibited|need to)\b", re.I
)
_KEY_VALUES = re.compile(r"^[\w ]{1,30}: [^;]*;")
_PRONOUN_START = re.compile(r"^(?:it|this|that|they|these|those|he|she)\b", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
_LIST_MARK = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")

# Everyday questions a policy handbook often does not cover: (question, its distinctive words).
# Kept only when none of the distinctive words appears in any passage.
UNANSWERABLE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Does the company pay for pet insurance?", ("pet", "pets")),
    ("Can I bring my dog to the office?", ("dog", "dogs", "pet")),
    ("How many stock options do new hires get?", ("stock", "option", "equity")),
    ("When do my stock options vest?", ("vest", "vesting", "stock")),
    ("Do we get a company car?", ("car", "cars", "vehicle")),
    ("Is there a gym membership allowance?", ("gym", "fitness")),
    ("How long is the paid sabbatical?", ("sabbatical",)),
    ("Does the company cover relocation costs?", ("relocation", "relocate")),
    ("Can I take my laptop to a cruise ship?", ("cruise", "ship")),
    ("What is the dress code for client visits?", ("dress", "clothing", "attire")),
    ("Is there free parking at the office?", ("parking", "car park")),
    ("Do we get a Christmas bonus?", ("bonus", "bonuses")),
    ("What is the referral bonus for recommending a candidate?", ("referral", "refer")),
    ("Can I bring my child to work?", ("child", "children", "childcare")),
    ("How do I book a meeting room?", ("meeting room", "room booking")),
    ("Does the company match pension contributions?", ("pension", "retirement", "401")),
    ("Is there a cycle-to-work scheme?", ("cycle", "bike", "bicycle")),
    ("What is the policy on tattoos and piercings?", ("tattoo", "piercing")),
    ("Can I smoke on the office balcony?", ("smoke", "smoking", "vape")),
    ("How much is the lunch allowance in the canteen?", ("canteen", "lunch")),
    ("Do we get free language lessons?", ("language lesson", "languages")),
    ("Is there a moving-house day off?", ("moving house", "move house")),
    ("Can I sell my unused laptop to a colleague?", ("sell", "resale")),
    ("What is the wifi password for guests?", ("wifi", "wi-fi", "password")),
    ("Do interns get paid overtime?", ("intern", "interns", "overtime")),
    ("Is there a shuttle bus to the office?", ("shuttle", "bus")),
    ("Can I keep airline miles from business trips?", ("miles", "frequent flyer", "loyalty")),
    ("How many days of jury duty leave do we get?", ("jury",)),
    ("Does the company offer a mortgage subsidy?", ("mortgage",)),
    ("What is the policy on dating a coworker?", ("dating", "relationship", "romantic")),
    ("Does the company pay for my home internet?", ("internet", "broadband")),
    ("Can I get an advance on my salary?", ("advance", "loan")),
    ("Is there a company credit union?", ("credit union",)),
    ("How do I request a standing desk for the office?", ("standing desk",)),
    ("Can I volunteer on company time?", ("volunteer", "volunteering")),
    ("Do we get a day off for voting?", ("voting", "vote", "election")),
    ("Is there a policy on bringing guests to the office party?", ("party", "guest")),
    ("Does the company pay for eye tests?", ("eye", "glasses", "optician")),
    ("Can I work from a café?", ("cafe", "café", "coffee shop")),
    ("Are there discounts on company products for employees?", ("discount",)),
    ("What is the policy on side projects and second jobs?", ("side project", "second job")),
    ("Is there an employee stock purchase plan?", ("stock", "espp", "share")),
    ("Can I donate my unused leave to a colleague?", ("donate", "donation")),
    ("Does the company reimburse taxis home after late work?", ("taxi", "late work")),
    ("What is the noise policy in open-plan areas?", ("noise", "quiet")),
    ("Is there a nap room?", ("nap",)),
    ("Can I get a company mobile phone?", ("mobile phone", "company phone")),
    ("Does the company sponsor work visas for family members?", ("family visa",)),
    ("How many days of leave do I get for my wedding?", ("wedding", "marriage")),
    ("Can I take unpaid leave to travel the world?", ("travel the world", "career break")),
)


def synthesize(
    passages: Sequence[Passage], *, seed: int = 0, per_passage: int = 3
) -> list[SyntheticItem]:
    """Answerable items from each passage's facts (at most `per_passage` each, one per kind)
    and unanswerable ones the passages do not cover (about one for every four answerable).

    Deterministic for a given `seed`; identical questions are produced once.
    """
    rng = random.Random(seed)
    items: list[SyntheticItem] = []
    seen: set[str] = set()
    for passage in passages:
        found = 0
        kinds_done: set[str] = set()
        for sentence in passage_sentences(passage.text):
            if found >= per_passage:
                break
            made = _question_for(sentence, passage, kinds_done, rng)
            if made is None or made.question.lower() in seen:
                continue
            seen.add(made.question.lower())
            kinds_done.add(made.kind)
            items.append(made)
            found += 1
    wanted = max(2, len(items) // 4) if passages else 0
    items.extend(uncovered_questions(passages, limit=wanted, rng=rng))
    return items


def uncovered_questions(
    passages: Sequence[Passage], *, limit: int, rng: random.Random | None = None
) -> list[SyntheticItem]:
    """Up to `limit` questions none of whose distinctive words occur in the passages."""
    corpus = "\n".join(f"{p.title}\n{p.section}\n{p.text}" for p in passages).lower()
    vocabulary = terms(corpus)
    candidates = [
        question
        for question, words in UNANSWERABLE
        if not any(_mentioned(word, corpus, vocabulary) for word in words)
    ]
    (rng or random.Random(0)).shuffle(candidates)
    return [
        SyntheticItem(question=q, answer="", kind="unanswerable", answerable=False, fact="")
        for q in candidates[:limit]
    ]


def _mentioned(word: str, corpus: str, vocabulary: set[str]) -> bool:
    if " " in word or "-" in word:
        return word in corpus
    return bool(terms(word) & vocabulary) or re.search(rf"\b{re.escape(word)}", corpus) is not None


def passage_sentences(text: str) -> list[str]:
    """The prose sentences of a passage: list markers stripped, headings and table rows out."""
    out: list[str] = []
    for line in text.splitlines():
        line = _LIST_MARK.sub("", line).strip()
        if not line or line.startswith(("#", "|")) or len(line.split()) < 5:
            continue
        for sentence in _SENTENCE_END.split(line):
            sentence = sentence.strip()
            if 5 <= len(sentence.split()) <= MAX_WORDS:
                out.append(sentence.rstrip(":;"))
    return out


def _question_for(
    sentence: str, passage: Passage, kinds_done: set[str], rng: random.Random
) -> SyntheticItem | None:
    if _PRONOUN_START.match(sentence) or not sentence[0].isupper() or _KEY_VALUES.search(sentence):
        return None  # needs its paragraph, starts mid-sentence, or is a table row
    topic, title = _topic(passage), _plain(passage.title)
    for kind, pattern, phrase in _FACTS:
        match = pattern.search(sentence)
        if kind in kinds_done or match is None:
            continue
        if kind == "contact" and len(pattern.findall(sentence)) == 1:
            where = "which channel" if match.group(0).startswith("#") else "which address"
            question = _cloze(sentence, match.start(), match.end(), where)
            return _item(question, sentence, kind, match.group(0), passage)
        if kind == "contact":
            question = rng.choice(
                (f"Who do I contact about {topic}?", f"Where do I send questions about {topic}?")
            )
            return _item(question, sentence, kind, match.group(0), passage)
        unit = (match.groupdict().get("unit") or "").lower()
        unit = unit if unit.endswith("s") or not unit else unit + "s"
        question = _cloze(sentence, match.start(), match.end(), phrase.format(unit=unit))
        return _item(question, sentence, kind, match.group(0), passage)
    if sentence[-1] not in ".!?":
        return None
    eligibility = _ELIGIBILITY.search(sentence)
    if "eligibility" not in kinds_done and eligibility is not None:
        question = rng.choice(
            (f"Who is eligible for {topic}?", f"What are the conditions for {topic}?")
        )
        return _item(question, sentence, "eligibility", eligibility.group(0), passage)
    rule = _RULE.search(sentence)
    if "rule" not in kinds_done and rule is not None:
        question = rng.choice(
            (f"What does the {title} policy say about {topic}?", f"What are the rules on {topic}?")
        )
        return _item(question, sentence, "rule", rule.group(0), passage)
    return None


def _item(question: str, answer: str, kind: str, fact: str, passage: Passage) -> SyntheticItem:
    return SyntheticItem(
        question=question,
        answer=answer,
        kind=kind,
        answerable=True,
        fact=fact.strip(),
        document_id=passage.document_id,
        version=passage.version,
        chunk_index=passage.chunk_index,
        title=passage.title,
    )


def _cloze(sentence: str, start: int, end: int, phrase: str) -> str:
    """The sentence as a question, the fact replaced by `phrase`."""
    body = (sentence[:start] + phrase + sentence[end:]).strip().rstrip(".!?").strip()
    body = re.sub(r"\b(?:the|a|an) (which|how)\b", r"\1", body)  # "on the which date"
    body = body[0].upper() + body[1:] if body else body
    return f"{body}?"


def _plain(title: str) -> str:
    """A title without its parenthesised aside: 'Annual Leave (Paid Time Off)' -> 'Annual Leave'."""
    return re.sub(r"\s*\(.*?\)\s*", " ", title).strip() or title


def _topic(passage: Passage) -> str:
    """What a passage is about, for a question: its last heading, else its title."""
    heading = _plain(passage.section.split(" > ")[-1] if passage.section else passage.title)
    # "Your Allowance" -> "your allowance"; acronyms stay ("IT security").
    return " ".join(w.lower() if w[1:].islower() else w for w in heading.split(" "))
