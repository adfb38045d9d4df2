"""Other ways in: /ask with a share button, the assistant panel, App Home, and bad requests."""

from __future__ import annotations

import json
import time

from knowledge.db.opt_outs import is_opted_out
from tests.bot import slack_payloads as p
from tests.bot.conftest import CHANNEL, DM, EMPLOYEE, MANAGER, Bot
from tests.bot.fake_answers import FakeAnswerService
from tests.bot.fake_slack_api import FakeSlackApi
from tests.bot.helpers import (
    block_texts,
    bot_replies,
    buttons,
    final_reply,
    posts_in_thread,
    response_url_calls,
    shown,
)

ASSISTANT_DM = "D0ASSIST"


def slash(bot: Bot, slack: FakeSlackApi, user: str, text: str) -> list[dict[str, object]]:
    delivery = bot.sender.form(p.command(user, CHANNEL, text, slack.response_url("cmd")))
    assert delivery.status == 200 and delivery.body == ""
    bot.drain()
    return response_url_calls(slack)


def test_slash_command_answers_privately_and_can_be_shared(bot: Bot, slack: FakeSlackApi) -> None:
    thinking, answer = slash(bot, slack, EMPLOYEE, "how much annual leave do I get?")
    assert "Looking through our policies" in str(thinking["text"])
    assert answer["replace_original"] is True and answer["response_type"] == "ephemeral"
    assert not slack.calls_to("chat.postMessage")  # nothing public yet
    reference = bot.exchanges()[0].reference
    assert buttons(answer["blocks"])["helpbot_share"] == reference  # type: ignore[arg-type]
    assert bot.exchanges()[0].visibility == "private"

    share = p.block_action(
        EMPLOYEE,
        CHANNEL,
        "helpbot_share",
        reference,
        message_ts=None,
        response_url=slack.response_url("cmd"),
        ephemeral=True,
    )
    assert bot.sender.interaction(share).status == 200
    bot.drain()

    [shared] = slack.calls_to("chat.postMessage")
    assert shared.args["channel"] == CHANNEL and "thread_ts" not in shared.args
    text = block_texts(shared.args["blocks"])
    assert f"Shared by <@{EMPLOYEE}>" in text and "25 days" in text
    assert "helpbot_share" not in buttons(shared.args["blocks"])
    assert response_url_calls(slack)[-1]["delete_original"] is True
    [exchange] = bot.exchanges()
    assert (exchange.visibility, exchange.answer_ts) == ("shared", shared.response["ts"])

    # Reactions on the shared message are feedback on the same answer.
    event = p.reaction("reaction_added", MANAGER, "+1", CHANNEL, str(shared.response["ts"]))
    bot.sender.event(event)
    bot.drain()
    assert [(v.user_id, v.value) for v in bot.votes()] == [(MANAGER, 1)]


def test_private_answer_from_restricted_documents_cannot_be_shared(
    bot: Bot, slack: FakeSlackApi, answers: FakeAnswerService
) -> None:
    *_, answer = slash(bot, slack, MANAGER, "what are the salary bands?")
    assert answers.calls[0].asker.audiences == ("everyone", "managers")
    assert "Salary bands are reviewed every April." in block_texts(answer["blocks"])  # type: ignore[arg-type]
    assert "helpbot_share" not in buttons(answer["blocks"])  # type: ignore[arg-type]
    assert "can't be shared" in block_texts(answer["blocks"])  # type: ignore[arg-type]

    reference = bot.exchanges()[0].reference
    forced = p.block_action(
        MANAGER,
        CHANNEL,
        "helpbot_share",
        reference,
        message_ts=None,
        response_url=slack.response_url("cmd"),
        ephemeral=True,
    )
    bot.sender.interaction(forced)
    bot.drain()
    assert not slack.calls_to("chat.postMessage")
    assert "can't be shared here" in str(response_url_calls(slack)[-1]["text"])


def test_empty_slash_command_explains_itself(bot: Bot, slack: FakeSlackApi) -> None:
    [usage] = slash(bot, slack, EMPLOYEE, "   ")
    assert "/ask how much leave do I get?" in str(usage["text"])
    assert bot.exchanges() == []


def test_assistant_thread_greets_sets_status_title_and_answers(
    bot: Bot, slack: FakeSlackApi, answers: FakeAnswerService
) -> None:
    thread_ts = p.next_ts()
    bot.sender.event(p.assistant_thread_started(MANAGER, ASSISTANT_DM, thread_ts))
    bot.drain()
    [greeting] = posts_in_thread(slack, ASSISTANT_DM, thread_ts)
    assert "Ask me anything" in greeting.args["text"]
    [prompts] = slack.calls_to("assistant.threads.setSuggestedPrompts")
    assert prompts.args["thread_ts"] == thread_ts and len(prompts.args["prompts"]) == 3

    question = p.message(
        MANAGER, ASSISTANT_DM, "what are the salary bands?", channel_type="im", thread_ts=thread_ts
    )
    bot.sender.event(question)
    bot.drain()

    [status] = slack.calls_to("assistant.threads.setStatus")
    assert status.args["status"] == "is looking through our policies…"
    assert len(status.args["loading_messages"]) == 3  # Slack rotates them
    [title] = slack.calls_to("assistant.threads.setTitle")
    assert title.args["title"] == "what are the salary bands?"
    greeting, answer = bot_replies(slack, ASSISTANT_DM, thread_ts)  # the answer streamed
    assert "Salary bands" in block_texts(shown(slack, ASSISTANT_DM, answer)["blocks"])
    assert answers.calls[0].asker.audiences == ("everyone", "managers")
    assert bot.exchanges()[0].source == "assistant"
    assert not slack.calls_to("conversations.replies")  # history comes from our database


def test_app_home_lists_what_everyone_may_ask_about(bot: Bot, slack: FakeSlackApi) -> None:
    bot.sender.event(p.app_home_opened(EMPLOYEE))
    bot.drain()
    [published] = slack.calls_to("views.publish")
    assert published.args["user_id"] == EMPLOYEE
    text = block_texts(published.args["view"]["blocks"])
    assert "• Annual leave · review due 2030-01-01" in text
    assert "• Expenses · :warning: review overdue" in text
    assert "Manager guide" not in text  # restricted documents are not listed
    assert ":+1:" in text and ":-1:" in text


def test_messages_tab_greets_once_and_suggests_prompts_without_a_thread(
    bot: Bot, slack: FakeSlackApi
) -> None:
    for _ in range(2):
        bot.sender.event(p.app_home_opened(EMPLOYEE, tab="messages", channel=DM))
        bot.drain()
    [greeting] = slack.calls_to("chat.postMessage")
    assert greeting.args["channel"] == DM and "thread_ts" not in greeting.args
    assert "Ask me anything" in greeting.args["text"]
    prompts = slack.calls_to("assistant.threads.setSuggestedPrompts")
    assert len(prompts) == 2 and all("thread_ts" not in c.args for c in prompts)
    assert [c.response["ok"] for c in prompts] == [True, True]
    assert not slack.calls_to("views.publish")


def test_messages_tab_question_is_answered_in_the_dm(
    bot: Bot, slack: FakeSlackApi, answers: FakeAnswerService
) -> None:
    event = p.message(MANAGER, DM, "what are the salary bands?", channel_type="im")
    bot.sender.event(event)
    bot.drain()
    _, content = final_reply(slack, DM, event["ts"])
    assert "Salary bands" in block_texts(content["blocks"])
    [start] = slack.calls_to("chat.startStream")
    assert start.args["channel"] == DM and start.args["thread_ts"] == event["ts"]
    [status] = slack.calls_to("assistant.threads.setStatus")
    assert status.response["ok"]


def test_app_home_switch_opts_out_of_training(bot: Bot, slack: FakeSlackApi) -> None:
    payload = p.block_action(EMPLOYEE, "D0HOME", "helpbot_opt_out", "out", message_ts=None)
    payload["container"] = {"type": "view", "view_id": "V00001"}
    assert bot.sender.interaction(payload).status == 200
    bot.drain()
    assert is_opted_out(bot.db, EMPLOYEE)
    home = slack.calls_to("views.publish")[-1].args["view"]
    assert "You opted out" in block_texts(home["blocks"])

    payload = p.block_action(EMPLOYEE, "D0HOME", "helpbot_opt_in", "in", message_ts=None)
    assert bot.sender.interaction(payload).status == 200
    bot.drain()
    assert not is_opted_out(bot.db, EMPLOYEE)


def test_bad_signature_and_stale_timestamp_are_refused(
    bot: Bot, slack: FakeSlackApi, answers: FakeAnswerService
) -> None:
    event = p.mention(EMPLOYEE, CHANNEL, "how much annual leave do I get?")
    forged = bot.sender.event(event, signature="v0=" + "0" * 64)
    stale = bot.sender.event(event, timestamp=int(time.time()) - 10 * 60)
    wrong_secret = p.SlackSender(bot.server.url, secret="not-the-secret")
    try:
        other = wrong_secret.event(event)
    finally:
        wrong_secret.close()
    bot.drain()

    assert (forged.status, stale.status, other.status) == (401, 401, 401)
    assert [c.method for c in slack.calls] == ["auth.test"]  # nothing but start-up
    assert not answers.calls and bot.exchanges() == [] and bot.claims() == []


def test_url_verification_and_health(bot: Bot) -> None:
    challenge = {"type": "url_verification", "token": "legacy", "challenge": "abc123"}
    response = bot.sender._post(json.dumps(challenge), "application/json")
    assert response.status == 200 and json.loads(response.body)["challenge"] == "abc123"
    health = bot.sender.client.get(bot.server.url.replace("/slack/events", "/healthz"))
    assert health.status_code == 200
