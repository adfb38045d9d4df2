"""Questions over the real HTTP endpoint: threaded answers, exactly once, never silent."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from knowledge.answering.answer_types import Turn
from knowledge.stores.base import StoreUnavailableError
from tests.bot import slack_payloads as p
from tests.bot.conftest import CHANNEL, DM, EMPLOYEE, MANAGER, Bot, BotFactory, Clock
from tests.bot.fake_answers import FakeAnswerService
from tests.bot.fake_slack_api import BOT_ID, FakeSlackApi
from tests.bot.helpers import block_texts, bot_replies, buttons, final_reply, posts_in_thread


def ask(bot: Bot, user: str, channel: str, text: str, **kwargs: object) -> str:
    event = p.mention(user, channel, text, **kwargs)  # type: ignore[arg-type]
    assert bot.sender.event(event).status == 200
    return str(event["ts"])


def test_mention_gets_one_threaded_answer_with_sources(bot: Bot, slack: FakeSlackApi) -> None:
    ts = ask(bot, EMPLOYEE, CHANNEL, "how much annual leave do I get?")
    bot.drain()

    answer_ts, content = final_reply(slack, CHANNEL, ts)
    text = block_texts(content["blocks"])
    assert "**Everyone gets 25 days of paid annual leave per year.** [1]" in text
    assert "[Annual leave](https://intranet.example.com/policies/annual-leave)" in text
    assert "Annual leave > Entitlement · review due 2030-01-01" in text
    [exchange] = bot.exchanges()
    assert buttons(content["blocks"]) == {
        "helpbot_feedback:up": f"up:{exchange.reference}",
        "helpbot_feedback:down": f"down:{exchange.reference}",
    }
    # Natively streamed: the steps a person can follow, with the source links, then stopped.
    assert content["state"] == "stopped"
    steps = {c["id"]: c for c in content["chunks"] if c["type"] == "task_update"}
    assert steps["search"]["status"] == "complete"
    assert steps["search"]["title"] == "Found 1 passage in Annual leave"
    assert steps["search"]["sources"] == [
        {
            "type": "url",
            "url": "https://intranet.example.com/policies/annual-leave",
            "text": "Annual leave",
        }
    ]
    assert steps["check"]["output"] == "Every fact is backed by a cited source"
    [start] = slack.calls_to("chat.startStream")
    assert start.args["recipient_user_id"] == EMPLOYEE and start.args["recipient_team_id"]
    # Everything about the question is stored, the asker as an id.
    assert exchange.asker_id == EMPLOYEE and exchange.question_ts == ts
    assert exchange.question == "how much annual leave do I get?"
    assert exchange.status == "answered" and exchange.model_version == "fake-1"
    assert exchange.answer_ts == answer_ts
    assert exchange.citations[0]["document_id"] == "annual-leave"
    assert exchange.passages[0]["bm25_score"] == 3.2
    assert exchange.audiences == ["everyone"]
    assert {"queued", "retrieve", "generate", "bot_total"} <= set(exchange.timings)


def test_stale_source_is_flagged(bot: Bot, slack: FakeSlackApi) -> None:
    ts = ask(bot, EMPLOYEE, CHANNEL, "how do I file an expense?")
    bot.drain()
    _, content = final_reply(slack, CHANNEL, ts)
    text = block_texts(content["blocks"])
    assert "*Expenses*" in text and "expenses.md" in text
    assert "⚠️ review overdue (due 2020-01-01), may be out of date" in text


def test_direct_message_is_answered_in_its_thread_with_the_askers_groups(
    bot: Bot, slack: FakeSlackApi, answers: FakeAnswerService
) -> None:
    event = p.message(MANAGER, DM, "what are the salary bands?", channel_type="im")
    assert bot.sender.event(event).status == 200
    bot.drain()

    _, content = final_reply(slack, DM, event["ts"])
    assert "Salary bands are reviewed every April." in block_texts(content["blocks"])
    assert answers.calls[0].asker.audiences == ("everyone", "managers")
    assert slack.calls_to("usergroups.users.list")[0].args["usergroup"] == "S0MANAGERS"
    assert bot.exchanges()[0].audiences == ["everyone", "managers"]


def test_channel_answers_only_from_documents_everyone_may_see(
    bot: Bot, slack: FakeSlackApi, answers: FakeAnswerService
) -> None:
    ts = ask(bot, MANAGER, CHANNEL, "what are the salary bands?")
    bot.drain()

    _, content = final_reply(slack, CHANNEL, ts)
    text = block_texts(content["blocks"])
    assert "Salary bands" not in text
    assert "Please ask in #ask-people" in text
    assert answers.calls[0].asker.audiences == ("everyone",)
    assert not slack.calls_to("usergroups.users.list")  # no lookup needed in channels
    assert bot.exchanges()[0].status == "abstained"


def test_follow_up_in_thread_carries_history_without_a_new_mention(
    bot: Bot, slack: FakeSlackApi, answers: FakeAnswerService
) -> None:
    root = ask(bot, EMPLOYEE, CHANNEL, "how much annual leave do I get?")
    bot.drain()
    follow_up = p.message(EMPLOYEE, CHANNEL, "and can I carry leave over?", thread_ts=root)
    assert bot.sender.event(follow_up).status == 200
    bot.drain()

    assert len(answers.calls) == 2
    first_answer = bot.exchanges()[0].answer
    assert answers.calls[1].history == (
        Turn("user", "how much annual leave do I get?"),
        Turn("assistant", first_answer),
    )
    assert len(bot_replies(slack, CHANNEL, root)) == 2
    assert [e.source for e in bot.exchanges()] == ["mention", "thread"]
    assert bot.exchanges()[0].conversation_id == bot.exchanges()[1].conversation_id


def test_thread_replies_not_meant_for_the_bot_are_left_alone(
    bot: Bot, slack: FakeSlackApi, answers: FakeAnswerService
) -> None:
    root = ask(bot, EMPLOYEE, CHANNEL, "how much annual leave do I get?")
    bot.drain()
    elsewhere = p.message(EMPLOYEE, CHANNEL, "leave question", thread_ts=p.next_ts())
    to_a_colleague = p.message(EMPLOYEE, CHANNEL, f"<@{MANAGER}> see above", thread_ts=root)
    top_level = p.message(EMPLOYEE, CHANNEL, "anyone know about leave?")
    for event in (elsewhere, to_a_colleague, top_level):
        assert bot.sender.event(event).status == 200
    bot.drain()
    assert len(answers.calls) == 1
    assert len(bot.exchanges()) == 1


def test_retried_delivery_gets_one_answer(
    bot: Bot, slack: FakeSlackApi, answers: FakeAnswerService
) -> None:
    body = p.event_body(p.mention(EMPLOYEE, CHANNEL, "how much annual leave do I get?"))
    statuses = [bot.sender.event(body).status]
    statuses += [bot.sender.event(body, retry_num=n).status for n in (1, 2)]
    bot.drain()

    assert statuses == [200, 200, 200]
    assert len(answers.calls) == 1
    assert len(bot_replies(slack, CHANNEL, body["event"]["ts"])) == 1
    assert len(bot.exchanges()) == 1


def test_mention_and_message_events_of_one_message_get_one_answer(
    bot: Bot, slack: FakeSlackApi, answers: FakeAnswerService
) -> None:
    root = ask(bot, EMPLOYEE, CHANNEL, "how much annual leave do I get?")
    bot.drain()
    ts = p.next_ts()
    text = "what about expense claims?"
    as_mention = p.mention(EMPLOYEE, CHANNEL, text, ts=ts, thread_ts=root)
    as_message = p.message(EMPLOYEE, CHANNEL, text, ts=ts, thread_ts=root)
    as_message["text"] = as_mention["text"]
    bot.sender.event(as_message)
    bot.sender.event(as_mention)
    bot.drain()
    assert len(answers.calls) == 2
    assert len(bot_replies(slack, CHANNEL, root)) == 2


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_replicas_on_one_database_answer_once(
    make_bot: BotFactory,
    slack: FakeSlackApi,
    answers: FakeAnswerService,
    backend: str,
    request: pytest.FixtureRequest,
) -> None:
    db = request.getfixturevalue("postgres_database" if backend == "postgresql" else "database")
    first = make_bot(db=db, instance_id="replica-a")
    second = make_bot(db=db, instance_id="replica-b")
    bodies = [p.event_body(p.mention(EMPLOYEE, CHANNEL, f"leave question {n}")) for n in range(5)]
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def deliver(bot: Bot) -> None:
        barrier.wait()
        statuses.extend(bot.sender.event(body).status for body in bodies)

    threads = [threading.Thread(target=deliver, args=(b,)) for b in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first.drain()
    second.drain()

    assert statuses == [200] * 10
    assert len(answers.calls) == 5
    for body in bodies:
        assert len(bot_replies(slack, CHANNEL, body["event"]["ts"])) == 1
    assert {c.handled_by for c in first.claims()} <= {"replica-a", "replica-b"}
    assert len(first.claims()) == 5


def test_generator_failure_still_gets_a_reply_with_a_reference(
    bot: Bot, slack: FakeSlackApi, answers: FakeAnswerService, caplog: pytest.LogCaptureFixture
) -> None:
    answers.error = RuntimeError("CUDA out of memory")
    with caplog.at_level(logging.INFO):
        ts = ask(bot, EMPLOYEE, CHANNEL, "how much annual leave do I get?")
        bot.drain()

    [exchange] = bot.exchanges()
    _, content = final_reply(slack, CHANNEL, ts)
    assert content["text"].startswith(":warning: Sorry, I couldn't answer that.")
    assert f"(reference `{exchange.reference}`)" in content["text"]
    assert exchange.status == "failed" and "CUDA out of memory" in (exchange.error or "")
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert any(exchange.reference in r.getMessage() for r in errors)
    # No question text at INFO: only ids and the reference.
    info = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert not any("annual leave" in line for line in info)


def test_knowledge_store_down_says_so(
    bot: Bot, slack: FakeSlackApi, answers: FakeAnswerService
) -> None:
    answers.error = StoreUnavailableError("weaviate: connection refused")
    ts = ask(bot, EMPLOYEE, CHANNEL, "how much annual leave do I get?")
    bot.drain()
    _, content = final_reply(slack, CHANNEL, ts)
    assert "I can't reach the knowledge base right now." in content["text"]


class BrokenDatabase:
    def session(self) -> Iterator[Any]:
        raise OperationalError("SELECT 1", {}, Exception("database is locked"))


def test_database_failure_before_accepting_still_replies(
    bot: Bot, slack: FakeSlackApi, answers: FakeAnswerService, caplog: pytest.LogCaptureFixture
) -> None:
    bot.runtime.questions.deps = replace(bot.runtime.questions.deps, db=BrokenDatabase())  # type: ignore[arg-type]
    with caplog.at_level(logging.ERROR):
        ts = ask(bot, EMPLOYEE, CHANNEL, "how much annual leave do I get?")
        bot.drain()
    [reply] = posts_in_thread(slack, CHANNEL, ts)
    assert reply.args["text"].startswith(":warning: Sorry")
    assert not answers.calls
    assert any("could not be accepted" in r.getMessage() for r in caplog.records)


def test_per_person_rate_limit_replies_kindly(
    make_bot: BotFactory, slack: FakeSlackApi, answers: FakeAnswerService, clock: Clock
) -> None:
    bot = make_bot(rate_limit_per_minute=2)

    def ask_and_wait(user: str, text: str) -> str:
        ts = ask(bot, user, CHANNEL, text)
        bot.drain()
        return ts

    first = [ask_and_wait(EMPLOYEE, f"leave question {n}") for n in range(2)]
    refused = ask_and_wait(EMPLOYEE, "leave question 3")
    other_person = ask_and_wait(MANAGER, "leave question from someone else")
    clock.advance(61)
    later = ask_and_wait(EMPLOYEE, "leave question 4")

    assert len(answers.calls) == 4
    [reply] = posts_in_thread(slack, CHANNEL, refused)
    assert "You've asked 2 questions in the last minute" in reply.args["text"]
    for ts in (*first, other_person, later):
        _, content = final_reply(slack, CHANNEL, ts)
        assert "25 days" in content["text"]
    assert [e.status for e in bot.exchanges()].count("rate_limited") == 1


def test_slack_rate_limits_are_waited_out(bot: Bot, slack: FakeSlackApi) -> None:
    slack.rate_limit("chat.startStream", retry_after=7)
    ts = ask(bot, EMPLOYEE, CHANNEL, "how much annual leave do I get?")
    bot.drain()
    assert [c.status for c in slack.calls_to("chat.startStream")] == [429, 200]
    assert bot.sleeps == [7.0]
    _, content = final_reply(slack, CHANNEL, ts)
    assert "25 days" in content["text"]


def test_slack_rate_limits_are_waited_out_without_streaming(
    make_bot: BotFactory, slack: FakeSlackApi
) -> None:
    bot = make_bot(streaming=False)
    slack.rate_limit("chat.postMessage", retry_after=7)
    ts = ask(bot, EMPLOYEE, CHANNEL, "how much annual leave do I get?")
    bot.drain()
    posts = posts_in_thread(slack, CHANNEL, ts)
    assert [c.status for c in posts] == [429, 200]
    assert bot.sleeps == [7.0]
    assert "25 days" in slack.calls_to("chat.update")[-1].args["text"]


def test_own_and_other_bots_messages_are_ignored(
    make_bot: BotFactory, slack: FakeSlackApi, answers: FakeAnswerService
) -> None:
    bot = make_bot()
    own = p.message("UBOT", DM, "leave?", channel_type="im", bot_id=BOT_ID)
    other = p.message("U0OTHERBOT", DM, "leave?", channel_type="im", bot_id="B0OTHER")
    edited = p.message(EMPLOYEE, DM, "leave?", channel_type="im", subtype="message_changed")
    for event in (own, other, edited):
        assert bot.sender.event(event).status == 200
    bot.drain()
    assert not answers.calls

    allowing = make_bot(answer_bots=True, instance_id="replica-2")
    other_again = p.message("U0OTHERBOT", DM, "leave?", channel_type="im", bot_id="B0OTHER")
    allowing.sender.event(other_again)
    allowing.drain()
    assert len(answers.calls) == 1


def test_slow_answer_never_holds_the_acknowledgement(
    make_bot: BotFactory, slack: FakeSlackApi, answers: FakeAnswerService
) -> None:
    bot = make_bot(answer_timeout_s=0.05)
    answers.gate = threading.Event()
    ts = ask(bot, EMPLOYEE, CHANNEL, "how much annual leave do I get?")
    # Acknowledged while the model is still working: the first step is there, no answer yet.
    assert answers.started.wait(10)
    [start] = slack.calls_to("chat.startStream")
    assert start.args["chunks"][0]["title"] == "Searching the policies"
    slack.wait_for(
        lambda calls: any(
            "taking longer than usual" in json.dumps(c.args)
            for c in calls
            if c.method == "chat.appendStream"
        )
    )
    answers.gate.set()
    bot.drain()

    _, content = final_reply(slack, CHANNEL, ts)
    assert "25 days" in content["text"]
    assert bot.exchanges()[0].status == "answered"


def test_slow_answer_without_streaming_gets_a_placeholder_and_a_notice(
    make_bot: BotFactory, slack: FakeSlackApi, answers: FakeAnswerService
) -> None:
    bot = make_bot(answer_timeout_s=0.05, streaming=False)
    answers.gate = threading.Event()
    ts = ask(bot, EMPLOYEE, CHANNEL, "how much annual leave do I get?")
    assert answers.started.wait(10)
    [placeholder] = posts_in_thread(slack, CHANNEL, ts)
    assert "Looking through our policies" in placeholder.args["text"]
    slack.wait_for(
        lambda calls: any(
            "taking longer than usual" in c.args.get("text", "")
            for c in calls
            if c.method == "chat.update"
        )
    )
    answers.gate.set()
    bot.drain()
    _, content = final_reply(slack, CHANNEL, ts)
    assert "25 days" in content["text"]  # the late answer replaced the notice


def test_answer_that_slack_refuses_becomes_an_error_reply(
    make_bot: BotFactory, slack: FakeSlackApi, answers: FakeAnswerService
) -> None:
    bot = make_bot(streaming=False)
    slack.fail("chat.update", "msg_too_long")
    ts = ask(bot, EMPLOYEE, CHANNEL, "how much annual leave do I get?")
    bot.drain()
    [exchange] = bot.exchanges()
    _, content = final_reply(slack, CHANNEL, ts)
    assert f"(reference `{exchange.reference}`)" in content["text"]
    assert exchange.status == "failed" and "msg_too_long" in (exchange.error or "")
