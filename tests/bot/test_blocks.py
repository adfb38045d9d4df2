"""Block Kit builders and the Markdown converter, tested as plain data."""

from __future__ import annotations

import json
from datetime import date

from bot import answer_markdown, blocks
from bot.mrkdwn import to_mrkdwn
from knowledge.answering.answer_types import Citation
from tests.bot.block_kit_rules import check_blocks
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
    assert [b["type"] for b in built] == ["markdown", "context_actions", "context"]
    assert built[0]["text"] == (
        "You can carry over **5 days** [1].\n\n**Sources**\n"
        "- [1] [Annual leave](https://hr.example.com/leave) · Annual leave > Carry-over"
        " · review due 2026-09-01"
    )
    assert buttons(built) == {
        "helpbot_feedback:up": "up:abc123",
        "helpbot_feedback:down": "down:abc123",
    }
    assert built[-1]["elements"][0]["text"] == "ref `abc123`"
    check_blocks(built)  # within Block Kit's limits
    json.dumps(built)  # plain data all the way down


def test_citation_links_survive_parentheses_and_brackets() -> None:
    odd = citation(title="Leave [UK]", source_uri="https://wiki.example.com/Leave_(UK) policy")
    line = answer_markdown.source_item(odd)
    assert line.startswith("[1] [Leave \\[UK\\]](https://wiki.example.com/Leave_%28UK%29%20policy)")


def test_a_model_cannot_ping_the_channel() -> None:
    built = blocks.answer_blocks(view(text="Ask <!channel> or <@U123> [1]."))
    assert "<!channel>" not in built[0]["text"] and "<@U123>" not in built[0]["text"]


def test_sources_without_web_link_and_stale_sources() -> None:
    line = blocks.source_line(
        citation(source_uri="file:///srv/a.md", stale=True, section="Annual leave")
    )
    assert line == (
        "*[1]* *Annual leave* · annual-leave.md · "
        ":warning: review overdue (due 2026-09-01), may be out of date"
    )


def test_both_renderings_flag_a_source_with_the_same_sentence() -> None:
    cases = [
        (citation(stale=True), "review overdue (due 2026-09-01), may be out of date"),
        (citation(stale=True, review_by=None), "review overdue, may be out of date"),
        (citation(), "review due 2026-09-01"),
    ]
    for cited, sentence in cases:
        mrkdwn_flag = blocks.source_line(cited).split(" · ")[-1]
        markdown_flag = answer_markdown.source_item(cited).split(" · ")[-1]
        assert mrkdwn_flag.removeprefix(":warning: ") == sentence
        assert markdown_flag.removeprefix("⚠️ ") == sentence
    fresh = citation(review_by=None)
    assert "review" not in blocks.source_line(fresh) + answer_markdown.source_item(fresh)


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
    assert "_ℹ️ The model is unavailable; quoting sources._" in text
    assert "**Sources**" not in text


def test_private_answers_offer_sharing_only_when_shareable() -> None:
    shareable = blocks.answer_blocks(view(private=True, shareable=True))
    assert buttons(shareable)["helpbot_share"] == "abc123"
    restricted = blocks.answer_blocks(view(private=True, shareable=False))
    assert "helpbot_share" not in buttons(restricted)
    assert "can't be shared" in block_texts(restricted)
    shared = blocks.answer_blocks(view(shared_by="U1"))
    assert "Shared by <@U1>" in block_texts(shared)


def test_a_very_long_answer_with_40_citations_fits_one_message() -> None:
    text = "\n\n".join(f"Paragraph {n}: " + "word " * 150 for n in range(40))
    many = tuple(citation(n, title=f"Policy {n}") for n in range(1, 41))
    built = blocks.answer_blocks(view(text=text, citations=many))
    check_blocks(built)  # Slack would accept it
    markdown = built[0]["text"]
    assert len(markdown) <= answer_markdown.MARKDOWN_LIMIT
    assert "cut to fit in one Slack message" in markdown
    assert markdown.count("- [") == answer_markdown.MAX_SOURCES
    assert "…and 35 more" in markdown
    assert len(blocks.answer_fallback(view(text=text))) <= blocks.FALLBACK_LIMIT


def test_mrkdwn_source_lines_list_five_sources_at_most() -> None:
    many = tuple(citation(n) for n in range(1, 9))
    lines = [blocks.source_line(c) for c in many[: blocks.MAX_SOURCES]]
    assert len(lines) == 5 and lines[0].startswith("*[1]* <https://hr.example.com/leave|")


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


def test_mrkdwn_keeps_urls_with_parentheses_and_python_names() -> None:
    source = "See [Leave (UK)](https://en.wikipedia.org/wiki/Leave_(UK)) for __init__ and __x__."
    assert to_mrkdwn(source) == (
        "See <https://en.wikipedia.org/wiki/Leave_(UK)|Leave (UK)> for __init__ and __x__."
    )
    assert to_mrkdwn("__two words__ and <https://a.example/b?c=1&d=2>") == (
        "*two words* and <https://a.example/b?c=1&amp;d=2>"
    )


def test_home_view_offers_the_training_opt_out() -> None:
    home = blocks.home_view([], {}, "#help", privacy=blocks.Privacy(False, False))
    assert "Training on Slack conversations is currently off." in block_texts(home["blocks"])
    assert blocks.OPT_OUT in buttons(home["blocks"])
    out = blocks.home_view([], {}, "#help", privacy=blocks.Privacy(True, True))
    assert "You opted out" in block_texts(out["blocks"])
    assert blocks.OPT_IN in buttons(out["blocks"])
    check_blocks(out["blocks"], limit=100)
