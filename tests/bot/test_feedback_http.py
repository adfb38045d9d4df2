"""Feedback over the real HTTP endpoint: reactions, buttons, the correction modal."""

from __future__ import annotations

import json

from tests.bot import slack_payloads as p
from tests.bot.conftest import CHANNEL, EMPLOYEE, MANAGER, Bot
from tests.bot.fake_slack_api import FakeSlackApi
from tests.bot.helpers import final_reply

VOTER = "U0VOTER"


def answered(bot: Bot, slack: FakeSlackApi) -> tuple[str, str]:
    """Ask one question; return (question ts, answer ts)."""
    event = p.mention(EMPLOYEE, CHANNEL, "how much annual leave do I get?")
    bot.sender.event(event)
    bot.drain()
    answer_ts, _ = final_reply(slack, CHANNEL, event["ts"])
    return str(event["ts"]), answer_ts


def react(bot: Bot, kind: str, user: str, name: str, ts: str) -> None:
    event = p.reaction(kind, user, name, CHANNEL, ts)
    assert bot.sender.event(p.event_body(event)).status == 200
    bot.drain()


def test_reactions_vote_change_and_retract(bot: Bot, slack: FakeSlackApi) -> None:
    _, answer_ts = answered(bot, slack)

    react(bot, "reaction_added", VOTER, "+1::skin-tone-3", answer_ts)
    assert [(v.user_id, v.value, v.source) for v in bot.votes()] == [(VOTER, 1, "reaction")]

    react(bot, "reaction_added", VOTER, "x", answer_ts)  # changed their mind: one vote, now -1
    assert [(v.value, v.reactions) for v in bot.votes()] == [(-1, ["+1", "x"])]

    react(bot, "reaction_removed", VOTER, "x", answer_ts)  # back to the reaction still there
    assert [(v.value, v.reactions) for v in bot.votes()] == [(1, ["+1"])]

    react(bot, "reaction_removed", VOTER, "+1", answer_ts)  # retracted
    assert bot.votes() == []


def test_each_person_has_one_vote(bot: Bot, slack: FakeSlackApi) -> None:
    _, answer_ts = answered(bot, slack)
    react(bot, "reaction_added", VOTER, "thumbsup", answer_ts)
    react(bot, "reaction_added", MANAGER, "thumbsdown", answer_ts)
    react(bot, "reaction_added", VOTER, "tada", answer_ts)
    assert sorted((v.user_id, v.value) for v in bot.votes()) == [(MANAGER, -1), (VOTER, 1)]


def test_retried_reaction_event_counts_once(bot: Bot, slack: FakeSlackApi) -> None:
    _, answer_ts = answered(bot, slack)
    added = p.event_body(p.reaction("reaction_added", VOTER, "+1", CHANNEL, answer_ts))
    removed = p.event_body(p.reaction("reaction_removed", VOTER, "+1", CHANNEL, answer_ts))
    bot.sender.event(added)
    bot.drain()
    bot.sender.event(removed)
    bot.drain()
    bot.sender.event(added, retry_num=1)  # a late redelivery must not resurrect the vote
    bot.drain()
    assert bot.votes() == []


def test_reactions_elsewhere_are_ignored(bot: Bot, slack: FakeSlackApi) -> None:
    question_ts, answer_ts = answered(bot, slack)
    claims_before = len(bot.claims())
    react(bot, "reaction_added", VOTER, "+1", question_ts)  # on the question, not the answer
    react(bot, "reaction_added", VOTER, "+1", "1699999999.000001")  # some other message
    react(bot, "reaction_added", VOTER, "eyes", answer_ts)  # not a feedback emoji
    assert bot.votes() == []
    assert len(bot.claims()) == claims_before


def click(
    bot: Bot,
    slack: FakeSlackApi,
    action: str,
    reference: str,
    answer_ts: str,
    question_ts: str,
    user: str = VOTER,
) -> None:
    payload = p.block_action(
        user,
        CHANNEL,
        action,
        reference,
        message_ts=answer_ts,
        thread_ts=question_ts,
        response_url=slack.response_url(),
    )
    assert bot.sender.interaction(payload).status == 200
    bot.drain()


def test_buttons_vote_and_toggle(bot: Bot, slack: FakeSlackApi) -> None:
    question_ts, answer_ts = answered(bot, slack)
    reference = bot.exchanges()[0].reference

    click(bot, slack, "helpbot_vote_up", reference, answer_ts, question_ts)
    assert [(v.value, v.source) for v in bot.votes()] == [(1, "button")]
    [note] = slack.calls_to("chat.postEphemeral")
    assert note.args["user"] == VOTER and note.args["thread_ts"] == question_ts
    assert "glad it helped" in note.args["text"]

    click(bot, slack, "helpbot_vote_up", reference, answer_ts, question_ts)  # again: undone
    assert bot.votes() == []
    assert "removed" in slack.calls_to("chat.postEphemeral")[-1].args["text"]


def test_not_helpful_opens_a_modal_whose_correction_is_stored(
    bot: Bot, slack: FakeSlackApi
) -> None:
    question_ts, answer_ts = answered(bot, slack)
    reference = bot.exchanges()[0].reference

    click(bot, slack, "helpbot_vote_down", reference, answer_ts, question_ts)
    assert [(v.value, v.correction) for v in bot.votes()] == [(-1, None)]
    [opened] = slack.calls_to("views.open")
    view = opened.args["view"]
    assert view["callback_id"] == "helpbot_correction"
    assert json.loads(view["private_metadata"]) == {
        "ref": reference,
        "channel": CHANNEL,
        "thread_ts": question_ts,
    }
    assert "how much annual leave do I get?" in view["blocks"][0]["elements"][0]["text"]

    submitted = p.view_submission(VOTER, view, "It is 28 days since 2025, see the HR wiki.")
    response = bot.sender.interaction(submitted)
    bot.drain()
    assert response.status == 200 and response.body == ""  # an empty ack closes the modal
    [vote] = bot.votes()
    assert (vote.value, vote.source) == (-1, "correction")
    assert vote.correction == "It is 28 days since 2025, see the HR wiki."
    assert "correction was saved" in slack.calls_to("chat.postEphemeral")[-1].args["text"]

    react(bot, "reaction_added", VOTER, "+1", answer_ts)
    react(bot, "reaction_removed", VOTER, "+1", answer_ts)
    [vote] = bot.votes()  # the correction outlives a passing reaction
    assert (vote.value, vote.correction) == (-1, "It is 28 days since 2025, see the HR wiki.")
