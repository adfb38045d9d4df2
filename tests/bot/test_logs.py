"""Logs of a full bot run: one JSON object per line, and neither the question text nor any
secret (bot token, signing secret) at INFO or above."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from knowledge.observability import JsonFormatter
from knowledge.stores.base import StoreUnavailableError
from tests.bot import slack_payloads as p
from tests.bot.conftest import CHANNEL, DM, EMPLOYEE, MANAGER, BotFactory
from tests.bot.fake_answers import FakeAnswerService
from tests.bot.fake_slack_api import BOT_TOKEN, FakeSlackApi
from tests.bot.slack_payloads import SIGNING_SECRET

PLANTED = "is my colleague Zebulon allowed to expense his divorce lawyer"


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def test_a_full_run_logs_events_but_no_question_text_or_secret(
    make_bot: BotFactory,
    answers: FakeAnswerService,
    slack: FakeSlackApi,
    json_log: io.StringIO,
) -> None:
    bot = make_bot()
    bot.sender.event(p.mention(EMPLOYEE, CHANNEL, f"{PLANTED} (annual leave?)"))
    bot.sender.event(p.message(MANAGER, DM, f"{PLANTED} - salary bands?", channel_type="im"))
    bot.drain()
    answers.error = StoreUnavailableError("weaviate down")
    bot.sender.event(p.mention(EMPLOYEE, CHANNEL, f"{PLANTED} again"))
    bot.drain()
    bot.close()

    assert len(answers.calls) == 3  # every question reached the engine
    lines = json_log.getvalue().splitlines()
    assert len(lines) >= 3  # questions accepted, the failure with its reference
    events = [json.loads(line) for line in lines]  # one JSON object per line
    assert {"time", "level", "logger", "event"} <= set(events[0])
    assert any(e["level"] == "ERROR" or e["level"] == "WARNING" for e in events)
    text = json_log.getvalue()
    for secret in (PLANTED, "Zebulon", BOT_TOKEN, SIGNING_SECRET):
        assert secret not in text
