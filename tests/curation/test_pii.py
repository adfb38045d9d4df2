"""PII scrubbing as a table of real examples: what goes, what stays, and the counts."""

from __future__ import annotations

import pytest

from pipelines.curation.pii import luhn_valid, scrub

DIRECTORY = ["Priya Shah", "Tomás Ferreira", "Will Turner"]

CASES = [
    # (text, scrubbed, counts)
    (
        "Hi <@U024BE7LH>, ask <@U0G9QF9C6|bob> in <#C024BE7LH|general>",
        "Hi [user], ask [user] in [channel]",
        {"slack_user": 2, "slack_channel": 1},
    ),
    ("cc <!subteam^S0614TZR7|people-team> please", "cc [channel] please", {"slack_channel": 1}),
    ("my id is U024BE7LH", "my id is [user]", {"slack_user": 1}),
    (
        "Email me at jane.doe+hr@example.com or mailto:jd@corp.example.org",
        "Email me at [email] or [email]",
        {"email": 2},
    ),
    ("Call me on +44 20 7946 0958 tonight", "Call me on [phone] tonight", {"phone": 1}),
    ("US cell (555) 123-4567 or 555.867.5309", "US cell [phone] or [phone]", {"phone": 2}),
    ("Portugal: +351912345678", "Portugal: [phone]", {"phone": 1}),
    (
        "Refund to card 4111 1111 1111 1111 please",
        "Refund to card [card number] please",
        {"card": 1},
    ),
    ("card 5500-0000-0000-0004 expired", "card [card number] expired", {"card": 1}),
    (
        "IBAN GB82 WEST 1234 5698 7654 32 for the refund",
        "IBAN [account number] for the refund",
        {"account": 1},
    ),
    (
        "Account number: 12345678 at my bank",
        "Account number: [account number] at my bank",
        {"account": 1},
    ),
    (
        "Send it to 221B Baker Street, London NW1",
        "Send it to [address], London NW1",
        {"address": 1},
    ),
    ("I moved to Rua Augusta 100, Lisbon", "I moved to [address], Lisbon", {"address": 1}),
    (
        "Priya Shah approved it; Priya told Tomás Ferreira",
        "[name] approved it; [name] told [name]",
        {"name": 3},
    ),
    # Policy facts stay exactly as written.
    (
        "Every employee receives 25 working days; EUR 2,000 within 12 months; 3.5% of payroll.",
        "Every employee receives 25 working days; EUR 2,000 within 12 months; 3.5% of payroll.",
        {},
    ),
    (
        "Take it before 31 March 2028 or 2027-01-31; 1,500.00 per year; sick days 1 to 7.",
        "Take it before 31 March 2028 or 2027-01-31; 1,500.00 per year; sick days 1 to 7.",
        {},
    ),
    ("Will it be paid? Ask in #ask-people.", "Will it be paid? Ask in #ask-people.", {}),
    ("Office hours 09:00-17:30, room 4.12", "Office hours 09:00-17:30, room 4.12", {}),
]


@pytest.mark.parametrize(("text", "expected", "counts"), CASES)
def test_scrub(text: str, expected: str, counts: dict[str, int]) -> None:
    result = scrub(text, names=DIRECTORY)
    assert result.text == expected
    assert result.counts == counts
    assert result.total == sum(counts.values())


def test_kept_contacts_are_not_scrubbed() -> None:
    result = scrub(
        "Email people@northwind.example, not me at ana@gmail.com",
        keep=["people@northwind.example"],
    )
    assert result.text == "Email people@northwind.example, not me at [email]"
    assert result.counts == {"email": 1}


def test_luhn() -> None:
    assert luhn_valid("4111111111111111")
    assert luhn_valid("5500000000000004")
    assert not luhn_valid("4111111111111112")
    assert not luhn_valid("1234")
    assert not luhn_valid("41111111111a1111")


def test_a_long_number_that_is_no_card_is_an_account_number() -> None:
    result = scrub("not a card: 1234 5678 9012 3456")
    assert result.text == "not a card: [account number]"
    assert result.counts == {"account": 1}
