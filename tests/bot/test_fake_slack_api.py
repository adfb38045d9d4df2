"""The fake Web API says no where Slack says no (through the real slack_sdk WebClient)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.bot.fake_slack_api import BOT_TOKEN, FakeSlackApi, issue_trigger_id

CHANNEL = "C0GENERAL"
DM = "D0ME"


@pytest.fixture
def fake() -> Iterator[FakeSlackApi]:
    with FakeSlackApi() as slack:
        slack.add_channel(CHANNEL, [f"U{n:04d}" for n in range(250)])
        slack.add_channel(DM)
        yield slack


def client(fake: FakeSlackApi, token: str | None = BOT_TOKEN) -> WebClient:
    return WebClient(token=token, base_url=fake.api_url, retry_handlers=[])


def refused(call: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as caught:
        call()
    return dict(caught.value.response.data)


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def test_token_and_scopes_are_checked(fake: FakeSlackApi) -> None:
    post = {"channel": CHANNEL, "text": "hi"}
    assert refused(lambda: client(fake, None).chat_postMessage(**post))["error"] == "not_authed"
    assert refused(lambda: client(fake, "xoxb-forged").chat_postMessage(**post))["error"] == (
        "invalid_auth"
    )
    # The bot token holds exactly the scopes manifest.yml asks for: no reactions:write.
    answer = refused(lambda: client(fake).reactions_add(channel=CHANNEL, name="x", timestamp="1"))
    assert answer["error"] == "missing_scope" and answer["needed"] == "reactions:write"
    assert client(fake).chat_postMessage(**post)["ok"]


def test_unknown_channels_and_messages_are_refused(fake: FakeSlackApi) -> None:
    web = client(fake)
    assert refused(lambda: web.chat_postMessage(channel="C0NOPE", text="hi"))["error"] == (
        "channel_not_found"
    )
    assert refused(lambda: web.chat_update(channel=CHANNEL, ts="1.2", text="x"))["error"] == (
        "message_not_found"
    )
    ts = web.chat_postMessage(channel=CHANNEL, text="hi")["ts"]
    fake.delete_message(CHANNEL, ts)
    assert refused(lambda: web.chat_update(channel=CHANNEL, ts=ts, text="x"))["error"] == (
        "message_not_found"
    )
    assert refused(lambda: web.chat_postMessage(channel=CHANNEL, text=""))["error"] == "no_text"


@pytest.mark.parametrize(
    "blocks",
    [
        [section("x")] * 51,
        [section("x" * 3001)],
        [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}],
        [{"type": "section"}],
        [{"type": "markdown", "text": "x" * 6001}, {"type": "markdown", "text": "y" * 6000}],
        [{"type": "context", "elements": [{"type": "mrkdwn", "text": "x"}] * 11}],
        [{"type": "actions", "elements": [{"type": "button", "action_id": "a", "value": "v"}]}],
        [{"type": "context_actions", "elements": [{"type": "feedback_buttons"}]}],
        [{"type": "mystery"}],
        [section("a") | {"block_id": "same"}, section("b") | {"block_id": "same"}],
    ],
)
def test_blocks_over_block_kits_limits_are_refused(
    fake: FakeSlackApi, blocks: list[dict[str, Any]]
) -> None:
    answer = refused(
        lambda: client(fake).chat_postMessage(channel=CHANNEL, text="t", blocks=blocks)
    )
    assert answer["error"] == "invalid_blocks" and answer["errors"]


def test_trigger_ids_expire_after_three_seconds(fake: FakeSlackApi) -> None:
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Hi"}, "blocks": []}
    web = client(fake)
    assert refused(lambda: web.views_open(trigger_id="bogus", view=modal))["error"] == (
        "invalid_trigger_id"
    )
    fresh, old = issue_trigger_id(), issue_trigger_id()
    assert web.views_open(trigger_id=fresh, view=modal)["ok"]
    fake.advance(3.5)
    assert refused(lambda: web.views_open(trigger_id=old, view=modal))["error"] == (
        "expired_trigger_id"
    )


def test_members_come_in_pages_with_cursors(fake: FakeSlackApi) -> None:
    web = client(fake)
    members: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = web.conversations_members(channel=CHANNEL, limit=100, cursor=cursor)
        members += page["members"]
        pages += 1
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert pages == 3 and len(set(members)) == 250
    assert (
        refused(lambda: web.conversations_members(channel=CHANNEL, cursor="junk"))["error"]
        == "invalid_cursor"
    )


def test_streams_have_states(fake: FakeSlackApi) -> None:
    web = client(fake)
    # In a channel a stream needs its recipient; in a DM it does not.
    assert refused(lambda: web.chat_startStream(channel=CHANNEL, thread_ts="1.1"))["error"] == (
        "invalid_arguments"
    )
    task = {"type": "task_update", "id": "search", "title": "Searching", "status": "in_progress"}
    ts = web.chat_startStream(channel=DM, thread_ts="1.1", chunks=[task])["ts"]
    assert fake.message(DM, ts).state == "streaming"
    bad = {**task, "status": "almost"}
    assert refused(lambda: web.chat_appendStream(channel=DM, ts=ts, chunks=[bad]))["error"] == (
        "invalid_chunks"
    )
    # A streaming message cannot be edited before it is stopped.
    assert refused(lambda: web.chat_update(channel=DM, ts=ts, text="x"))["error"] == (
        "cant_update_message"
    )
    web.chat_appendStream(channel=DM, ts=ts, markdown_text="Hello")
    web.chat_stopStream(channel=DM, ts=ts, blocks=[section("done")])
    assert (
        refused(lambda: web.chat_appendStream(channel=DM, ts=ts, markdown_text="more"))["error"]
        == "message_not_in_streaming_state"
    )
    assert refused(lambda: web.chat_stopStream(channel=DM, ts=ts))["error"] == (
        "message_not_in_streaming_state"
    )
    assert web.chat_update(channel=DM, ts=ts, text="edited after the stop")["ok"]


def test_streams_time_out_after_about_five_minutes(fake: FakeSlackApi) -> None:
    web = client(fake)
    ts = web.chat_startStream(channel=DM, thread_ts="1.1", markdown_text="a")["ts"]
    fake.advance(301)
    assert (
        refused(lambda: web.chat_appendStream(channel=DM, ts=ts, markdown_text="b"))["error"]
        == "message_not_in_streaming_state"
    )


def test_response_urls_work_five_times(fake: FakeSlackApi) -> None:
    from slack_sdk.webhook import WebhookClient

    hook = WebhookClient(fake.response_url("once"))
    statuses = [hook.send(text="hi").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [404]


def test_the_bot_pages_through_a_large_channel_for_audiences(fake: FakeSlackApi) -> None:
    from datetime import UTC, datetime

    from bot.audiences import AudienceResolver
    from bot.slack_api import SlackApi

    fake.add_channel("C0HR", [f"U{n:05d}" for n in range(2500)])
    api = SlackApi(client(fake), lambda _: None)
    resolver = AudienceResolver(
        api, {"C0HR": ("hr",)}, ttl_s=300, clock=lambda: datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert resolver.audiences_for("U02499") == ("everyone", "hr")  # on the third page
    assert len(fake.calls_to("conversations.members")) == 3
    assert resolver.audiences_for("U99999") == ("everyone",)
