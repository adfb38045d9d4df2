"""The bot's questions and answers reach Prometheus: /metrics on the bot's own HTTP server."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.bot import slack_payloads as p
from tests.bot.conftest import CHANNEL, EMPLOYEE, Bot
from tests.bot.fake_answers import FakeAnswerService

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(bot: Bot) -> Samples:
    """Every sample of the bot's /metrics, by name and labels."""
    response = httpx.get(f"http://{bot.server.host}:{bot.server.port}/metrics", timeout=10)
    assert response.status_code == 200
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


def ask(bot: Bot, text: str) -> None:
    assert bot.sender.event(p.mention(EMPLOYEE, CHANNEL, text)).status == 200
    bot.drain()


def test_an_answered_question_moves_the_question_and_answer_counters(bot: Bot) -> None:
    before = scrape(bot)
    ask(bot, "how much annual leave do I get?")
    after = scrape(bot)

    assert moved(before, after, "helpbot_questions_total", surface="mention") == 1
    assert moved(before, after, "helpbot_answers_total", outcome="answered") == 1
    assert moved(before, after, "helpbot_abstentions_total") == 0
    assert moved(before, after, "helpbot_stage_seconds_count", stage="retrieve") == 1
    assert moved(before, after, "helpbot_stage_seconds_count", stage="total") == 1


def test_an_abstention_and_a_failure_are_counted_by_outcome(
    bot: Bot, answers: FakeAnswerService
) -> None:
    before = scrape(bot)
    ask(bot, "can I bring my dog to work?")
    answers.error = RuntimeError("the model crashed")
    ask(bot, "how much annual leave do I get?")
    after = scrape(bot)

    assert moved(before, after, "helpbot_questions_total", surface="mention") == 2
    assert moved(before, after, "helpbot_answers_total", outcome="abstained") == 1
    assert moved(before, after, "helpbot_abstentions_total") == 1
    assert moved(before, after, "helpbot_answers_total", outcome="error") == 1
    assert moved(before, after, "helpbot_answers_total", outcome="answered") == 0
