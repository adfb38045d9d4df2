"""PII scrubbing (pure): personal data in questions, answers and corrections becomes placeholders.

Removed: e-mail addresses, phone numbers, Slack user and channel mentions and ids, names from a
supplied directory, card numbers (12-19 digits passing Luhn's checksum; other runs that long
count as account numbers), bank account numbers (IBANs and numbers after "account"), and
street addresses. The result keeps only the scrubbed text and a count per kind;
the originals are never returned. Policy contacts such as people@northwind.example are e-mail
addresses too: a dataset keeps their placeholder unless the caller lists them in `keep`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

PLACEHOLDERS = {
    "slack_user": "[user]",
    "slack_channel": "[channel]",
    "email": "[email]",
    "card": "[card number]",
    "account": "[account number]",
    "phone": "[phone]",
    "address": "[address]",
    "name": "[name]",
}

_SLACK_USER = re.compile(r"<@[UW][A-Z0-9]{2,}(?:\|[^>]*)?>|\b[UW][A-Z0-9]{8,11}\b")
_SLACK_CHANNEL = re.compile(
    r"<#[CGD][A-Z0-9]{2,}(?:\|[^>]*)?>|<!subteam\^[A-Z0-9]+(?:\|[^>]*)?>|\b[CGD][A-Z0-9]{8,11}\b"
)
_EMAIL = re.compile(r"(?:mailto:)?\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_DIGIT_RUN = re.compile(r"(?<![\w.,+])\d(?:[ -]?\d){11,18}(?![\w]|[.,]\d)")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
_ACCOUNT = re.compile(
    r"(?i:\b(?:account|acct|a/c|sort code|routing)(?:\s+(?:number|no\.?|#))?\s*[:#]?\s*)"
    r"(\d[\d -]{4,20}\d)"
)
_PHONE = re.compile(
    r"(?<![\w/])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]\d{2,4}){1,4}(?![\w/])"
    r"|(?<![\w/])\+\d{9,14}\b"
)
_STREET_TYPES = (
    r"Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Way|Court|Ct|Place|Pl"
    r"|Square|Sq|Terrace|Close|Crescent|Rua|Avenida|Strasse|Straße"
)
_ADDRESS = re.compile(
    rf"\b\d{{1,5}}[A-Za-z]?,?\s+(?:[A-Z][\w'-]*\s+){{0,3}}(?:{_STREET_TYPES})\b\.?"
    rf"|\b(?:Rua|Avenida|Calle)\s+(?:[\w'-]+\s+){{0,4}}\d{{1,5}}\b"
)
_DATE_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}$|^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$")
_NAME_STOPWORDS = {"will", "may", "june", "april", "mark", "rose", "grace", "bill", "art", "sun"}


@dataclass(frozen=True)
class Scrubbed:
    """Scrubbed text and how many of each kind of personal data were replaced."""

    text: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def luhn_valid(digits: str) -> bool:
    """Whether a digit string passes the Luhn checksum (card numbers do)."""
    if not digits.isdigit() or len(digits) < 12:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def scrub(text: str, *, names: Iterable[str] = (), keep: Iterable[str] = ()) -> Scrubbed:
    """`text` with personal data replaced by placeholders, and counts per kind.

    `names` is the people directory (full names; their first and last names are matched too
    when capitalised); `keep` lists strings never scrubbed (shared mailboxes, help channels).
    """
    counts: Counter[str] = Counter()
    kept = {k.lower() for k in keep if k}

    def replace(kind: str, pattern: re.Pattern[str], value: str, group: int = 0) -> str:
        def one(match: re.Match[str]) -> str:
            found = match.group(group)
            if found.lower().removeprefix("mailto:") in kept:
                return match.group(0)
            counts[kind] += 1
            start, end = match.start(group) - match.start(0), match.end(group) - match.start(0)
            whole = match.group(0)
            return whole[:start] + PLACEHOLDERS[kind] + whole[end:]

        return pattern.sub(one, value)

    text = replace("slack_user", _SLACK_USER, text)
    text = replace("slack_channel", _SLACK_CHANNEL, text)
    text = replace("email", _EMAIL, text)
    text = _cards(text, counts, luhn=True)
    text = replace("account", _IBAN, text)
    text = replace("account", _ACCOUNT, text, group=1)
    text = _phones(text, counts)
    text = _cards(text, counts, luhn=False)
    text = replace("address", _ADDRESS, text)
    text = _names(text, names, counts)
    return Scrubbed(text, dict(counts))


_CONTACT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def passage_contacts(texts: Iterable[str]) -> list[str]:
    """The e-mail addresses the documents themselves publish (policy contacts such as
    people@northwind.example): a dataset example keeps them, as its passages show them."""
    return [contact for text in texts for contact in _CONTACT.findall(text)]


def scrub_example(
    question: str,
    target: str,
    passage_texts: Iterable[str],
    *,
    names: Iterable[str] = (),
    keep: Iterable[str] = (),
) -> tuple[Scrubbed, Scrubbed]:
    """A training example's question and target answer as a dataset holds them: scrubbed, with
    `keep` and the contacts its passages publish left as they are."""
    names = list(names)
    contacts = [*keep, *passage_contacts(passage_texts)]
    return scrub(question, names=names, keep=contacts), scrub(target, names=names, keep=contacts)


def read_names(path: Path | None) -> list[str]:
    """People's names, one per line ('#' comments and blank lines skipped)."""
    if path is None:
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _cards(text: str, counts: Counter[str], *, luhn: bool) -> str:
    """Card numbers (Luhn-valid runs) first; after phones, other runs as account numbers
    (a 12-19 digit number in a question is personal whatever it is)."""

    def one(match: re.Match[str]) -> str:
        if luhn_valid(re.sub(r"\D", "", match.group(0))) != luhn:
            return match.group(0)
        kind = "card" if luhn else "account"
        counts[kind] += 1
        return PLACEHOLDERS[kind]

    return _DIGIT_RUN.sub(one, text)


def _phones(text: str, counts: Counter[str]) -> str:
    def one(match: re.Match[str]) -> str:
        found = match.group(0)
        digits = re.sub(r"\D", "", found)
        # Not a phone: too few digits, a date, an amount with decimals, or a year range.
        if len(digits) < 9 or len(digits) > 15 or _DATE_LIKE.match(found.strip()):
            return found
        counts["phone"] += 1
        return PLACEHOLDERS["phone"]

    return _PHONE.sub(one, text)


def _names(text: str, names: Iterable[str], counts: Counter[str]) -> str:
    full: set[str] = set()
    parts: set[str] = set()
    for name in names:
        name = " ".join(name.split())
        if not name:
            continue
        full.add(name)
        parts.update(p for p in name.split(" ") if len(p) > 2 and p.lower() not in _NAME_STOPWORDS)
    for names_set, flags in ((full, re.I), (parts, 0)):
        if not names_set:
            continue
        ordered = sorted(names_set, key=len, reverse=True)
        pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, ordered)) + r")\b", flags)
        text, n = pattern.subn(PLACEHOLDERS["name"], text)
        counts["name"] += n
    if not counts["name"]:
        del counts["name"]
    return text
