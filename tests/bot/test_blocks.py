"""Block Kit builders and the Markdown converter, tested as plain data."""

from __future__ import annotations

import json
from datetime import date

from bot import blocks
from bot.mrkdwn import to_mrkdwn
from knowledge.answering.models import Citation
from tests.bot.helpers import block_texts, buttons


def citation(number: int = 1, **overrides: object) -> Citation:
    values: dict[str, object] = {
        "number": number,
        "source": "annual-leave.md",
        "title": "Annual leave",
        "section": "Annual leave > Carry-over",
        "source_uri": "https://hr.example.com/leave",
        "document_id": "annual-leave",
        "version": 3,
        "review_by": date(2026, 9, 1),
        "stale": False,
        "quote": "Up to 5 days carry over.",
    }
    values.update(overrides)
    return Citation(**values)  # type: ignore[arg-type]


def view(**overrides: object) -> blocks.AnswerView:
    values: dict[str, object] = {
        "reference": "abc123",
        "text": "You can carry over **5 days** [1].",
        "citations": (citation(),),
    }
    values.update(overrides)
    return blocks.AnswerView(**values)  # type: ignore[arg-type]


def test_answer_layout() -> None:
    built = blocks.answer_blocks(view())
    assert [b["type"] for b in built] == ["section", "context", "context", "actions", "context"]
    assert built[0]["text"] == {"type": "mrkdwn", "text": "You can carry over *5 days* [1]."}
    assert built[2]["elements"][0]["text"] == (
        "*[1]* <https://hr.example.com/leave|Annual leave> · Annual leave &gt; Carry-over"
        " · review due 2026-09-01"
    )
    assert buttons(built) == {"helpbot_vote_up": "abc123", "helpbot_vote_down": "abc123"}
    assert built[-1]["elements"][0]["text"] == "ref `abc123`"
    json.dumps(built)  # plain data all the way down


def test_sources_without_web_link_and_stale_sources() -> None:
    line = blocks.source_line(
        citation(source_uri="file:///srv/a.md", stale=True, section="Annual leave")
    )
    assert line == (
        "*[1]* *Annual leave* · annual-leave.md · "
        ":warning: review overdue (due 2026-09-01), may be out of date"
    )


def test_abstained_answer_points_to_the_help_contact() -> None:
    built = blocks.answer_blocks(
        view(
            abstained=True,
            citations=(),
            help_contact="#people-ops",
            note="The model is unavailable; quoting sources.",
        )
    )
    text = block_texts(built)
    assert "Please ask in #people-ops." in text
    assert ":information_source: The model is unavailable; quoting sources." in text
    assert "*Sources*" not in text


def test_private_answers_offer_sharing_only_when_shareable() -> None:
    shareable = blocks.answer_blocks(view(private=True, shareable=True))
    assert buttons(shareable)["helpbot_share"] == "abc123"
    restricted = blocks.answer_blocks(view(private=True, shareable=False))
    assert "helpbot_share" not in buttons(restricted)
    assert "can't be shared" in block_texts(restricted)
    shared = blocks.answer_blocks(view(shared_by="U1"))
    assert "Shared by <@U1>" in block_texts(shared)


def test_long_answers_are_split_under_slacks_section_limit() -> None:
    text = "\n\n".join(f"Paragraph {n}: " + "word " * 150 for n in range(12))
    built = blocks.answer_blocks(view(text=text))
    sections = [b["text"]["text"] for b in built if b["type"] == "section"]
    assert len(sections) > 1
    assert all(len(s) <= blocks.SECTION_LIMIT for s in sections)
    assert " ".join(" ".join(s.split()) for s in sections) == " ".join(text.split())
    assert len(blocks.answer_fallback(view(text=text))) <= blocks.FALLBACK_LIMIT


def test_only_five_sources_are_listed() -> None:
    many = tuple(citation(n) for n in range(1, 9))
    built = blocks.answer_blocks(view(citations=many))
    assert sum("*[" in block_texts([b]) for b in built if b["type"] == "context") == 5


def test_notices_carry_the_reference() -> None:
    assert "(reference `r1`)" in blocks.error_text("store", "r1", "#help")
    assert "can't reach the knowledge base" in blocks.error_text("store", "r1", "#help")
    assert "(reference `r2`)" in blocks.late_text("r2")
    assert "3 questions ahead" in blocks.thinking_text(3)
    assert "ahead" not in blocks.thinking_text(0)
    assert "ask in #help" in blocks.rate_limited_text(10, "#help")


def test_correction_modal() -> None:
    modal = blocks.correction_modal("abc123", "How much <leave>?", {"channel": "C1"})
    assert modal["callback_id"] == blocks.CORRECTION_VIEW
    assert json.loads(modal["private_metadata"]) == {"ref": "abc123", "channel": "C1"}
    assert len(modal["title"]["text"]) <= 24  # Slack's limit
    [field] = [b for b in modal["blocks"] if b["type"] == "input"]
    assert field["block_id"] == "correction" and field["element"]["action_id"] == "text"
    assert "&lt;leave&gt;" in modal["blocks"][0]["elements"][0]["text"]


def test_home_view() -> None:
    docs = [
        blocks.HomeDocument("Annual leave", date(2026, 9, 1), False),
        blocks.HomeDocument("Expenses", None, True),
    ]
    home = blocks.home_view(docs, {"+1": 1, "x": -1}, "#help")
    assert home["type"] == "home"
    text = block_texts(home["blocks"])
    assert "• Annual leave · review due 2026-09-01\n• Expenses · :warning: review overdue" in text
    assert "React to an answer with :+1:" in text and ":x:" in text
    assert "(2 documents everyone may see)" in text
    empty = block_texts(blocks.home_view([], {}, "#help")["blocks"])
    assert "No documents are loaded yet." in empty


def test_markdown_to_mrkdwn() -> None:
    source = (
        "## Carry-over\n"
        "You may carry **5 days** into *next* year ([policy](https://hr.example.com/x?a=1&b=2)).\n"
        "- first\n"
        "* second with `code *stays*`\n"
        "> a quote with <html>\n"
        "~~old rule~~ 3 * 4 * 5 keeps snake_case_names\n"
        "```python\nx = 1 < 2\n```"
    )
    assert to_mrkdwn(source) == (
        "*Carry-over*\n"
        "You may carry *5 days* into _next_ year "
        "(<https://hr.example.com/x?a=1&amp;b=2|policy>).\n"
        "• first\n"
        "• second with `code *stays*`\n"
        "> a quote with &lt;html&gt;\n"
        "~old rule~ 3 * 4 * 5 keeps snake_case_names\n"
        "```x = 1 &lt; 2\n```"
    )
