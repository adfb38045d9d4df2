"""Native streaming over the real HTTP endpoint: only checked text reaches a person, and a
reply still arrives (once) when Slack refuses, cuts off or loses the stream."""

from __future__ import annotations

import json

from tests.bot import slack_payloads as p
from tests.bot.conftest import CHANNEL, EMPLOYEE, Bot, BotFactory, Clock
from tests.bot.fake_answers import FakeAnswerService
from tests.bot.fake_slack_api import FakeSlackApi
from tests.bot.helpers import block_texts, bot_replies, final_reply, shown, streamed_text

QUESTION = "how much annual leave do I get?"
CHECKED = "**Everyone gets 25 days of paid annual leave per year.** [1]"
ECHO = "<passages> [4] Learning and Development budget 30 days"
"""What a weak model echoes from its prompt: must never reach a person unchecked."""


def ask(bot: Bot) -> str:
    event = p.mention(EMPLOYEE, CHANNEL, QUESTION)
    assert bot.sender.event(event).status == 200
    bot.drain()
    return str(event["ts"])


def everything_sent(slack: FakeSlackApi) -> str:
    """Every argument of every call the bot made (what Slack could have shown)."""
    return "\n".join(json.dumps(c.args) for c in slack.calls)


def trusted() -> float:
    return 0.99


def test_unevaluated_model_streams_steps_but_never_its_raw_text(
    bot: Bot, slack: FakeSlackApi, answers: FakeAnswerService, clock: Clock
) -> None:
    answers.tokens = ECHO.split(" ")
    answers.between_tokens = lambda: clock.advance(2)
    ts = ask(bot)
    assert "passages>" not in everything_sent(slack) and "30 days" not in everything_sent(slack)
    _, content = final_reply(slack, CHANNEL, ts)
    assert content["text"].startswith(CHECKED)
    steps = [c for c in content["chunks"] if c["type"] == "task_update"]
    assert [s["id"] for s in steps][:1] == ["search"]
    # The 'writing' step appeared while the model wrote.
    appended = [c.args for c in slack.calls_to("chat.appendStream")]
    assert any(ch.get("id") == "write" for a in appended for ch in a.get("chunks", []))
    assert not slack.calls_to("chat.update")


def test_low_pass_rate_streams_no_text(
    make_bot: BotFactory, slack: FakeSlackApi, answers: FakeAnswerService, clock: Clock
) -> None:
    bot = make_bot(grounding_pass_rate=lambda: 0.5)  # below the 0.95 setting
    answers.tokens = ECHO.split(" ")
    answers.between_tokens = lambda: clock.advance(2)
    ask(bot)
    assert "passages>" not in everything_sent(slack)


def test_trusted_model_streams_text_and_the_stop_adds_only_the_rest(
    make_bot: BotFactory, slack: FakeSlackApi, answers: FakeAnswerService, clock: Clock
) -> None:
    bot = make_bot(grounding_pass_rate=trusted)
    answers.tokens = ["**Everyone gets 25 ", "days of paid annual ", "leave per year.** [1]"]
    answers.between_tokens = lambda: clock.advance(2)
    ts = ask(bot)
    texts = [c.args.get("chunks") for c in slack.calls_to("chat.appendStream")]
    assert any("Everyone gets 25" in json.dumps(t) for t in texts)  # streamed as written
    answer_ts, content = final_reply(slack, CHANNEL, ts)
    assert streamed_text(slack, CHANNEL, answer_ts).count("Everyone gets 25") == 1
    assert content["text"].startswith(CHECKED) and "**Sources**" in content["text"]
    assert not slack.calls_to("chat.update")  # nothing to replace
    [exchange] = bot.exchanges()
    assert exchange.timings["first_text"] >= 0 and exchange.timings["first_step"] >= 0


def test_trusted_model_failing_the_check_leaves_no_trace(
    make_bot: BotFactory, slack: FakeSlackApi, answers: FakeAnswerService, clock: Clock
) -> None:
    bot = make_bot(grounding_pass_rate=trusted)
    answers.tokens = ["Everyone gets ", "30 days ", "of leave."]  # the check rejects this
    answers.between_tokens = lambda: clock.advance(2)
    ts = ask(bot)
    answer_ts, content = final_reply(slack, CHANNEL, ts)
    assert "30 days" in everything_sent(slack)  # it was shown while being written...
    assert "30 days" not in slack.seen_text(CHANNEL, answer_ts)  # ...and is gone now
    assert block_texts(content["blocks"]).startswith(CHECKED)
    assert content["state"] == "stopped"


def test_long_answers_roll_over_before_the_stream_limit(
    make_bot: BotFactory, slack: FakeSlackApi, answers: FakeAnswerService, clock: Clock
) -> None:
    bot = make_bot(grounding_pass_rate=trusted, stream_rollover_s=5.0)
    answers.tokens = ["**Everyone gets 25 ", "days of paid annual ", "leave per year.** [1]"]
    answers.between_tokens = lambda: clock.advance(3)
    ts = ask(bot)
    first, second = bot_replies(slack, CHANNEL, ts)
    assert shown(slack, CHANNEL, first)["state"] == "stopped"
    last = shown(slack, CHANNEL, second)
    assert "helpbot_feedback" in json.dumps(last["blocks"])  # feedback on the last message
    assert bot.exchanges()[0].answer_ts == second  # reactions count on the answer's end


def test_streaming_refused_falls_back_to_chat_update(
    bot: Bot, slack: FakeSlackApi, answers: FakeAnswerService
) -> None:
    slack.fail("chat.startStream", "not_allowed")
    ts = ask(bot)
    answer_ts, content = final_reply(slack, CHANNEL, ts)
    assert slack.calls_to("chat.postMessage")[0].args["text"].startswith(":hourglass")
    assert block_texts(content["blocks"]).startswith(CHECKED)
    assert bot.exchanges()[0].answer_ts == answer_ts


def test_stream_cut_off_mid_answer_still_ends_with_the_answer(
    bot: Bot, slack: FakeSlackApi, answers: FakeAnswerService
) -> None:
    answers.tokens = ["a", "b"]
    answers.between_tokens = lambda: slack.advance(200)  # Slack's clock passes 5 minutes
    ts = ask(bot)
    answer_ts, content = final_reply(slack, CHANNEL, ts)
    assert [c.response["error"] for c in slack.calls_to("chat.stopStream")] == [
        "message_not_in_streaming_state"
    ]
    assert block_texts(content["blocks"]).startswith(CHECKED)  # edited in by chat.update
    assert bot.exchanges()[0].answer_ts == answer_ts


def test_message_deleted_while_answering_gets_a_new_reply_once(
    bot: Bot, slack: FakeSlackApi, answers: FakeAnswerService
) -> None:
    def delete_the_stream() -> None:
        [start] = slack.calls_to("chat.startStream")
        slack.delete_message(CHANNEL, start.response["ts"])

    answers.tokens = ["x"]
    answers.between_tokens = delete_the_stream
    ts = ask(bot)
    first, second = bot_replies(slack, CHANNEL, ts)
    assert slack.message(CHANNEL, first) is None
    content = shown(slack, CHANNEL, second)
    assert block_texts(content["blocks"]).startswith(CHECKED)
    assert bot.exchanges()[0].answer_ts == second


def test_error_while_streaming_ends_the_stream_with_the_error(
    bot: Bot, slack: FakeSlackApi, answers: FakeAnswerService
) -> None:
    answers.error = RuntimeError("boom")
    ts = ask(bot)
    _, content = final_reply(slack, CHANNEL, ts)
    assert content["state"] == "stopped"
    assert content["text"].startswith(":warning: Sorry, I couldn't answer that.")
    assert any(c.get("status") == "error" for c in content["chunks"])


def test_feedback_buttons_vote_once_and_toggle(
    bot: Bot, slack: FakeSlackApi, answers: FakeAnswerService
) -> None:
    ts = ask(bot)
    answer_ts, _ = final_reply(slack, CHANNEL, ts)
    reference = bot.exchanges()[0].reference

    def press(value: str) -> None:
        payload = p.block_action(
            "U0VOTER", CHANNEL, "helpbot_feedback", value, message_ts=answer_ts, thread_ts=ts
        )
        payload["actions"][0]["type"] = "feedback_buttons"
        assert bot.sender.interaction(payload).status == 200
        bot.drain()

    press(f"up:{reference}")
    assert [(v.value, v.source) for v in bot.votes()] == [(1, "button")]
    press(f"up:{reference}")  # pressed again: taken back
    assert bot.votes() == []
    press(f"down:{reference}")  # a down vote opens the correction form
    assert [v.value for v in bot.votes()] == [-1]
    [opened] = slack.calls_to("views.open")
    assert opened.response["ok"] and opened.args["view"]["callback_id"] == "helpbot_correction"
    press("sideways:whatever")  # unknown values change nothing
    assert [v.value for v in bot.votes()] == [-1]


def test_feedback_on_an_answer_from_a_rolled_back_version_still_counts(
    bot: Bot, slack: FakeSlackApi, answers: FakeAnswerService
) -> None:
    ts = ask(bot)  # answered by fake-1; suppose fake-1 is rolled back afterwards
    answer_ts, _ = final_reply(slack, CHANNEL, ts)
    [exchange] = bot.exchanges()
    payload = p.block_action(
        "U0VOTER",
        CHANNEL,
        "helpbot_feedback",
        f"down:{exchange.reference}",
        message_ts=answer_ts,
        thread_ts=ts,
    )
    bot.sender.interaction(payload)
    bot.drain()
    [vote] = bot.votes()
    assert vote.value == -1 and bot.exchanges()[0].model_version == "fake-1"


def test_a_very_long_answer_with_40_citations_is_accepted_by_slack(
    make_bot: BotFactory, slack: FakeSlackApi, answers: FakeAnswerService
) -> None:
    import dataclasses

    plain_answer = answers.answer

    def huge(*args: object, **kwargs: object) -> object:
        answer = plain_answer(*args, **kwargs)  # type: ignore[arg-type]
        citations = tuple(
            dataclasses.replace(answer.citations[0], number=n, title=f"Policy {n}")
            for n in range(1, 41)
        )
        text = "\n\n".join(f"Paragraph {n}: " + "word " * 300 for n in range(20))
        return dataclasses.replace(answer, text=text, citations=citations)

    answers.answer = huge  # type: ignore[method-assign]
    for streaming in (True, False):
        bot = make_bot(streaming=streaming, instance_id=f"replica-{streaming}")
        ts = ask(bot)
        _, content = final_reply(slack, CHANNEL, ts)
        text = block_texts(content["blocks"])
        assert "cut to fit in one Slack message" in text and "…and 35 more" in text
        refused = [c for c in slack.calls if not c.response.get("ok", True)]
        assert refused == []


def test_feedback_on_an_answer_no_longer_on_record_says_so(
    bot: Bot, slack: FakeSlackApi, answers: FakeAnswerService
) -> None:
    ts = ask(bot)
    answer_ts, _ = final_reply(slack, CHANNEL, ts)
    payload = p.block_action(
        "U0VOTER", CHANNEL, "helpbot_feedback", "up:purged0000", message_ts=answer_ts, thread_ts=ts
    )
    bot.sender.interaction(payload)
    bot.drain()
    assert bot.votes() == []
    [note] = slack.calls_to("chat.postEphemeral")
    assert "no longer on record" in note.args["text"] and note.response["ok"]
