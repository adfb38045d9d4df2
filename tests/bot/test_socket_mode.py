"""The Socket Mode path: envelopes through Bolt's SocketModeHandler (no WebSocket needed)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.app import Runtime, build_runtime
from bot.deps import Deps
from knowledge.db.connection import Database
from tests.bot import slack_payloads as p
from tests.bot.conftest import CHANNEL, EMPLOYEE, Clock, make_config
from tests.bot.fake_answers import FakeAnswerService
from tests.bot.fake_slack_api import FakeSlackApi
from tests.bot.helpers import final_reply


class RecordingSocketClient:
    """Stands in for the WebSocket client: collects the acknowledgements sent back."""

    def __init__(self) -> None:
        self.logger = logging.getLogger("tests.socket_mode")
        self.responses: list[SocketModeResponse] = []

    def send_socket_mode_response(self, response: SocketModeResponse) -> None:
        self.responses.append(response)


@pytest.fixture
def runtime(
    slack: FakeSlackApi, database: Database, answers: FakeAnswerService, clock: Clock
) -> Iterator[Runtime]:
    # Socket Mode needs no signing secret: requests arrive over an authenticated socket.
    config = make_config(slack, signing_secret="")
    built = build_runtime(Deps(config=config, db=database, answers=answers, clock=clock))
    yield built
    built.drain(10)
    built.close()


def test_redelivered_envelope_gets_one_answer(
    runtime: Runtime, slack: FakeSlackApi, answers: FakeAnswerService
) -> None:
    handler = SocketModeHandler(runtime.app, app_token="xapp-test")
    socket = RecordingSocketClient()
    body = p.event_body(p.mention(EMPLOYEE, CHANNEL, "how much annual leave do I get?"))
    try:
        for attempt, envelope in ((None, "env-1"), (1, "env-2"), (2, "env-3")):
            request = SocketModeRequest(
                type="events_api",
                envelope_id=envelope,
                payload=body,
                retry_attempt=attempt,
                retry_reason="timeout" if attempt else None,
            )
            handler.handle(socket, request)  # type: ignore[arg-type]
        assert runtime.drain(30)
    finally:
        handler.client.message_workers.shutdown(wait=False)

    assert [r.envelope_id for r in socket.responses] == ["env-1", "env-2", "env-3"]
    assert len(answers.calls) == 1
    _, content = final_reply(slack, CHANNEL, body["event"]["ts"])
    assert "25 days" in content["text"]
