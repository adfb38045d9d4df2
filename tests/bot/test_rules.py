"""Pure rules: reading Slack payloads into questions, and feedback into votes."""

from __future__ import annotations

from typing import Any

from bot import events, vote_rules
from bot.vote_rules import VoteState
from tests.bot import slack_payloads as p

EMOJI = {"+1": 1, "thumbsup": 1, "white_check_mark": 1, "-1": -1, "x": -1, "meh": 0}


# --- reading payloads ---------------------------------------------------------------------------
def test_mention_is_stripped_and_answered_in_its_thread() -> None:
    body = p.event_body(p.mention("U1", "C1", "  how much   leave?", ts="5.0"))
    question = events.question_from_mention(body, "UBOT")
    assert question is not None
    assert (question.text, question.thread_ts, question.source) == (
        "how much leave?",
        "5.0",
        "mention",
    )
    assert question.dedup_key == "msg:T0001:C1:5.0" and not question.private
    in_thread = p.event_body(p.mention("U1", "C1", "and?", ts="6.0", thread_ts="5.0"))
    assert events.question_from_mention(in_thread, "UBOT").thread_ts == "5.0"  # type: ignore[union-attr]


def test_other_mentions_are_kept_in_the_question() -> None:
    assert events.strip_mentions("<@UBOT> ask <@U2|ann> about <@UBOT|bot> leave", "UBOT") == (
        "ask <@U2|ann> about leave"
    )


def test_direct_messages_are_private_and_threaded() -> None:
    body = p.event_body(p.message("U1", "D1", "leave?", channel_type="im", ts="7.0"))
    question = events.question_from_message(body, "UBOT")
    assert question is not None
    assert (question.source, question.thread_ts, question.private) == ("dm", "7.0", True)


def test_channel_messages_are_only_thread_follow_up_candidates() -> None:
    def parse(**kwargs: Any) -> events.Question | None:
        event = p.message("U1", "C1", str(kwargs.pop("text", "more?")), **kwargs)
        return events.question_from_message(p.event_body(event), "UBOT")

    assert parse() is None  # top level: needs a mention
    assert parse(ts="9.0", thread_ts="9.0") is None  # the thread root itself
    assert parse(thread_ts="8.0", text="<@UBOT> more?") is None  # app_mention handles it
    assert parse(thread_ts="8.0", text="<@U2> what do you think?") is None  # for a colleague
    follow_up = parse(thread_ts="8.0")
    assert follow_up is not None and follow_up.source == "thread"


def test_bots_edits_and_empty_messages_are_not_questions() -> None:
    def parse(answer_bots: bool = False, **kwargs: Any) -> events.Question | None:
        text = str(kwargs.pop("text", "leave?"))
        event = p.message("U1", "D1", text, channel_type="im", **kwargs)
        return events.question_from_message(p.event_body(event), "UBOT", answer_bots=answer_bots)

    assert parse(bot_id="B2") is None
    assert parse(bot_id="B2", answer_bots=True) is not None
    assert parse(subtype="message_changed") is None
    assert parse(subtype="channel_join") is None
    assert parse(subtype="file_share") is not None
    assert parse(text="   ") is None


def test_slash_command() -> None:
    body = p.command("U1", "C1", " leave  days ", "http://r")
    question = events.question_from_command(body)
    assert (question.text, question.source, question.thread_ts) == ("leave days", "command", None)
    assert question.private and question.response_url == "http://r"
    assert question.dedup_key == f"cmd:T0001:C1:{body['trigger_id']}"


def test_reactions() -> None:
    body = p.event_body(p.reaction("reaction_added", "U1", "+1::skin-tone-4", "C1", "3.0"))
    reaction = events.reaction_from_event(body)
    assert reaction is not None
    assert (reaction.name, reaction.added, reaction.ts) == ("+1", True, "3.0")
    on_file = p.event_body(
        {
            "type": "reaction_added",
            "user": "U1",
            "reaction": "+1",
            "item": {"type": "file", "file": "F1"},
        }
    )
    assert events.reaction_from_event(on_file) is None


# --- votes --------------------------------------------------------------------------------------
def test_reaction_values() -> None:
    assert vote_rules.reaction_value(EMOJI, "+1::skin-tone-2") == 1
    assert vote_rules.reaction_value(EMOJI, "x") == -1
    assert vote_rules.reaction_value(EMOJI, "eyes") is None
    assert vote_rules.reaction_value(EMOJI, "meh") is None


def test_reactions_set_change_and_retract() -> None:
    up = vote_rules.reaction_added(None, "+1", EMOJI)
    assert up == VoteState(1, "reaction", ("+1",))
    down = vote_rules.reaction_added(up, "x", EMOJI)
    assert down == VoteState(-1, "reaction", ("+1", "x"))
    assert vote_rules.reaction_removed(down, "x", EMOJI) == up
    assert vote_rules.reaction_removed(up, "+1", EMOJI) is None
    assert vote_rules.reaction_removed(up, "x", EMOJI) == up  # never added: nothing changes
    assert vote_rules.reaction_added(up, "eyes", EMOJI) == up
    assert vote_rules.reaction_added(up, "+1", EMOJI) == up  # a redelivery changes nothing


def test_buttons_toggle_and_fall_back_to_reactions() -> None:
    up = vote_rules.button_pressed(None, 1, EMOJI)
    assert up == VoteState(1, "button")
    assert vote_rules.button_pressed(up, 1, EMOJI) is None
    assert vote_rules.button_pressed(up, -1, EMOJI) == VoteState(-1, "button")
    reacted = vote_rules.reaction_added(None, "x", EMOJI)
    pressed = vote_rules.button_pressed(reacted, 1, EMOJI)
    assert pressed == VoteState(1, "button", ("x",))
    assert vote_rules.button_pressed(pressed, 1, EMOJI) == reacted
    # Removing a reaction does not undo the later button vote.
    assert vote_rules.reaction_removed(pressed, "x", EMOJI) == VoteState(1, "button", ())


def test_corrections_are_negative_votes_that_stay() -> None:
    corrected = vote_rules.correction_sent(
        vote_rules.reaction_added(None, "+1", EMOJI), " 28 days "
    )
    assert corrected == VoteState(-1, "correction", ("+1",), "28 days")
    again = vote_rules.reaction_added(corrected, "thumbsup", EMOJI)
    assert again.value == 1 and again.correction == "28 days"  # type: ignore[union-attr]
    back = vote_rules.reaction_removed(again, "thumbsup", EMOJI)
    assert back == VoteState(1, "reaction", ("+1",), "28 days")
    assert vote_rules.reaction_removed(back, "+1", EMOJI) == VoteState(
        -1, "correction", (), "28 days"
    )
