"""The real bot (real answer engine, extractive, the whole sample handbook) answers a signed
@mention on the fake Web API; the reply is checked, then drawn as a Slack thread and
photographed by Chromium into docs/slack-thread.png, from this same run."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_runtime
from bot.deps import Deps
from bot.http_server import BackgroundServer
from knowledge.answering import build_answer_service
from tests.bot import slack_payloads as p
from tests.bot.conftest import CHANNEL, EMPLOYEE, make_config
from tests.bot.fake_slack_api import BOT_USER_ID, FakeSlackApi
from tests.bot.helpers import block_texts, bot_replies, buttons, shown
from tests.bot.thread_picture import Post, block, render_thread
from tests.chromium import CHROMIUM, FLAGS
from tests.sample_knowledge import handbook_services

QUESTION = "How much parental leave do I get?"
FOLLOW_UP = "And the non-birthing parent?"
PICTURE = Path(__file__).resolve().parents[2] / "docs" / "slack-thread.png"
NAMES = {BOT_USER_ID: "helpbot", EMPLOYEE: "Sam"}
AT = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Exchange:
    """A question as Slack delivered it and the bot's reply as Slack holds it, with the times
    (this run's clock) when each was sent and finished."""

    question: dict[str, Any]
    asked_at: datetime
    reply_ts: str
    reply: dict[str, Any]
    answered_at: datetime


@pytest.fixture(scope="module")
def thread(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[list[Exchange]]:
    """A question in a channel and a follow-up in its thread (no new mention), answered by the
    real bot over HTTP."""
    base = tmp_path_factory.getbasetemp()
    services = handbook_services(base, tmp_path_factory.mktemp("picture") / "data", embedder)
    with FakeSlackApi() as slack:
        slack.add_channel(CHANNEL, [EMPLOYEE])
        answers = build_answer_service(services, backend="extractive")
        config = replace(make_config(slack), answer_timeout_s=600.0)
        runtime = build_runtime(Deps(config=config, db=services.db, answers=answers))
        server = BackgroundServer(runtime.app).start()
        sender = p.SlackSender(server.url)
        try:
            root = p.mention(EMPLOYEE, CHANNEL, QUESTION)
            follow_up = p.message(EMPLOYEE, CHANNEL, FOLLOW_UP, thread_ts=root["ts"])
            exchanges = []
            for event in (root, follow_up):
                asked_at = datetime.now(UTC)
                assert sender.event(event).status == 200
                assert runtime.drain(600)
                ts = bot_replies(slack, CHANNEL, root["ts"])[-1]
                exchanges.append(
                    Exchange(event, asked_at, ts, shown(slack, CHANNEL, ts), datetime.now(UTC))
                )
            assert len(bot_replies(slack, CHANNEL, root["ts"])) == 2
            yield exchanges
        finally:
            sender.close()
            server.stop()
            runtime.close()
            services.close()


def test_the_reply_cites_the_parental_leave_policy_and_asks_for_feedback(
    thread: list[Exchange],
) -> None:
    reply = thread[0].reply
    text = block_texts(reply["blocks"])
    assert "20 weeks" in text
    assert "**Sources**" in text and "`parental-leave.md`" in text
    assert set(buttons(reply["blocks"])) == {"helpbot_feedback:up", "helpbot_feedback:down"}
    assert reply["state"] == "stopped"
    steps = {c["id"]: c for c in reply["chunks"] if c["type"] == "task_update"}
    assert all(step["status"] == "complete" for step in steps.values())
    assert steps["check"]["output"] == "Every fact is backed by a cited source"


def test_the_follow_up_is_answered_from_the_thread_without_a_mention(
    thread: list[Exchange],
) -> None:
    text = block_texts(thread[1].reply["blocks"])
    assert "Non-birthing parent" in text and "16 weeks" in text
    assert "`parental-leave.md`" in text


def _page(thread: list[Exchange]) -> str:
    posts: list[Post] = []
    for exchange in thread:
        reply = exchange.reply
        posts += [
            Post("Sam", exchange.asked_at, text=exchange.question["text"]),
            Post(
                "helpbot",
                exchange.answered_at,
                blocks=reply["blocks"],
                chunks=reply["chunks"],
                bot=True,
            ),
        ]
    return render_thread("people-questions", posts, NAMES)


def test_the_page_draws_the_bots_own_blocks(thread: list[Exchange]) -> None:
    page = _page(thread)
    for exchange in thread:
        for b in exchange.reply["blocks"]:
            assert block(b) in page
    assert "<span class='mention'>@helpbot</span> " + QUESTION in page
    assert FOLLOW_UP in page
    assert "Every fact is backed by a cited source" in page


@pytest.mark.browser
def test_slack_thread_picture(thread: list[Exchange]) -> None:
    if not shutil.which(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            tab = browser.new_page(viewport={"width": 800, "height": 600}, device_scale_factor=2)
            tab.set_content(_page(thread))
            assert tab.get_by_role("button", name="Helpful", exact=True).count() == 2
            assert tab.get_by_text("parental-leave.md").first.is_visible()
            PICTURE.parent.mkdir(exist_ok=True)
            tab.locator(".pane").screenshot(path=str(PICTURE))
        finally:
            browser.close()
    assert PICTURE.stat().st_size > 10_000


def test_a_block_the_page_cannot_draw_is_refused() -> None:
    with pytest.raises(ValueError, match="'image' block"):
        block({"type": "image", "image_url": "https://example.com/x.png", "alt_text": "x"})
    with pytest.raises(ValueError, match="'rich_text' chunk"):
        render_thread("c", [Post("helpbot", AT, chunks=[{"type": "rich_text"}], bot=True)], {})


def test_a_persons_text_is_escaped_and_mentions_named() -> None:
    page = render_thread("c", [Post("Sam", AT, text="<@UBOT> is <b>1 < 2</b>?")], NAMES)
    assert "<span class='mention'>@helpbot</span> is &lt;b&gt;1 &lt; 2&lt;/b&gt;?" in page
