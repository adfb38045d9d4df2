"""Owner nudges as plain data: reading an owner into a Slack address, and the message."""

from __future__ import annotations

from datetime import date

import pytest

from bot.nudges import Nudge, Recipient, UnknownRecipient, nudge_blocks, nudge_text, parse_recipient
from tests.bot.helpers import block_texts

TODAY = date(2027, 3, 1)


@pytest.mark.parametrize(
    ("owner", "recipient"),
    [
        ("people@northwind.example", Recipient("email", "people@northwind.example")),
        (" Jane.Doe@Northwind.Example ", Recipient("email", "jane.doe@northwind.example")),
        ("mailto:it@northwind.example", Recipient("email", "it@northwind.example")),
        ("U012AB3CD", Recipient("user", "U012AB3CD")),
        ("W0ENTERPRISE", Recipient("user", "W0ENTERPRISE")),
        ("<@U012AB3CD>", Recipient("user", "U012AB3CD")),
        ("<@U012AB3CD|jane>", Recipient("user", "U012AB3CD")),
        ("#policy-owners", Recipient("channel", "#policy-owners")),
        ("C0123ABCD", Recipient("channel", "C0123ABCD")),
        ("<#C0123ABCD|policies>", Recipient("channel", "C0123ABCD")),
        ("G0PRIVATE", Recipient("channel", "G0PRIVATE")),
    ],
)
def test_owners_are_read_as_emails_users_or_channels(owner: str, recipient: Recipient) -> None:
    assert parse_recipient(owner) == recipient


@pytest.mark.parametrize("owner", ["", "Jane Doe", "people team", "jane@", "#Not A Channel"])
def test_anything_else_is_refused_with_a_reason(owner: str) -> None:
    with pytest.raises(UnknownRecipient, match="fix `owner` in the document"):
        parse_recipient(owner)


def due(**changes: object) -> Nudge:
    fields: dict[str, object] = {
        "kind": "review_due",
        "text": "Reminder: *Remote work* is due for review in 10 days.",
        "document_id": "remote-work",
        "title": "Remote <work> & you",
        "source_uri": "file:///srv/policies/remote-work.md",
        "review_by": date(2027, 3, 11),
    }
    return Nudge(**(fields | changes))  # type: ignore[arg-type]


def fields_of(blocks: list[dict[str, object]]) -> list[str]:
    return [f["text"] for b in blocks for f in b.get("fields", [])]  # type: ignore[attr-defined]


def test_a_due_nudge_names_the_document_its_date_its_source_and_what_to_do() -> None:
    blocks = nudge_blocks(due(), today=TODAY)
    assert blocks[0] == {
        "type": "header",
        "text": {
            "type": "plain_text",
            "text": ":date: Review due: Remote <work> & you",
            "emoji": True,
        },
    }
    text = block_texts(blocks)
    assert "You own *Remote &lt;work&gt; &amp; you*" in text  # mrkdwn escaped, header plain
    assert "due for review in 10 days, on *2027-03-11*" in text
    assert "*Still correct?*" in text and "`review_by:`" in text and "*Out of date?*" in text
    assert "`helpbot docs review remote-work --until YYYY-MM-DD`" in text
    assert fields_of(blocks) == [
        "*Document*\n`remote-work`",
        "*Review by*\n2027-03-11",
        "*Source*\n`remote-work.md`",
    ]


def test_an_expired_nudge_says_answers_are_flagged_and_links_web_sources() -> None:
    nudge = due(
        kind="review_expired",
        review_by=date(2027, 2, 1),
        source_uri="https://intranet.example.com/policies/remote",
    )
    blocks = nudge_blocks(nudge, today=TODAY)
    assert blocks[0]["text"]["text"] == ":warning: Review overdue: Remote <work> & you"
    assert "Its review date, *2027-02-01*, has passed" in block_texts(blocks)
    assert "*Source*\n<https://intranet.example.com/policies/remote|remote>" in fields_of(blocks)


def test_due_today_and_in_one_day() -> None:
    assert "due for review today" in block_texts(nudge_blocks(due(review_by=TODAY), today=TODAY))
    assert "in 1 day," in block_texts(nudge_blocks(due(review_by=date(2027, 3, 2)), today=TODAY))


def test_a_long_title_fits_the_header_and_a_gone_document_keeps_the_schedulers_words() -> None:
    header = nudge_blocks(due(title="x" * 400), today=TODAY)[0]["text"]["text"]
    assert len(header) == 150
    gone = nudge_blocks(due(title=None, review_by=None), today=TODAY)
    assert gone == [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "Reminder: *Remote work* is due for review in 10 days.",
            },
        }
    ]
    assert nudge_text(due(text="y" * 5000)).endswith("…")
    assert len(nudge_text(due(text="y" * 5000))) == 3000
