"""The outbox thread: it polls while the bot runs (Socket Mode or HTTP) and stops with it."""

from __future__ import annotations

import threading
from typing import ClassVar

import pytest

from bot.app import run_http, run_socket_mode
from bot.deps import Deps
from knowledge.db.connection import Database
from tests.bot.conftest import Clock, make_config
from tests.bot.fake_answers import FakeAnswerService
from tests.bot.fake_slack_api import FakeSlackApi
from tests.bot.outbox_rows import OWNER, Deliverers, queue, rows


def outbox_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "helpbot-outbox" and t.is_alive()]


def test_the_thread_polls_until_stopped(
    slack: FakeSlackApi, database: Database, deliverer: Deliverers
) -> None:
    switched_off = deliverer(outbox_poll_s=0)
    switched_off.start()
    assert not switched_off.running and outbox_threads() == []

    outbox = deliverer(outbox_poll_s=0.05)
    outbox.start()
    try:
        queue(database, OWNER)
        slack.wait_for_calls("chat.postMessage")
        queue(database, "U0LATER")  # queued while the thread runs: the next poll sends it
        slack.wait_for_calls("chat.postMessage", 2)
    finally:
        assert outbox.stop(10)
    assert not outbox.running and outbox_threads() == []
    assert [r.status for r in rows(database)] == ["sent", "sent"]


class FakeSocketModeHandler:
    """Stands in for Bolt's handler: no WebSocket, but connect and close are recorded."""

    instances: ClassVar[list[FakeSocketModeHandler]] = []

    def __init__(self, app: object, app_token: str) -> None:
        self.app_token, self.connected, self.closed = app_token, False, False
        FakeSocketModeHandler.instances.append(self)

    def connect(self) -> None:
        self.connected = True

    def close(self) -> None:
        self.closed = True


def test_socket_mode_delivers_nudges_and_stopping_the_bot_stops_the_thread(
    slack: FakeSlackApi,
    database: Database,
    answers: FakeAnswerService,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("slack_bolt.adapter.socket_mode.SocketModeHandler", FakeSocketModeHandler)
    FakeSocketModeHandler.instances.clear()
    queue(database, OWNER)
    deps = Deps(
        config=make_config(slack, outbox_poll_s=0.05), db=database, answers=answers, clock=clock
    )
    stop = threading.Event()
    bot = threading.Thread(target=run_socket_mode, args=(deps, stop))
    bot.start()
    try:
        slack.wait_for_calls("chat.postMessage")
        assert len(outbox_threads()) == 1
    finally:
        stop.set()
        bot.join(30)
    assert not bot.is_alive() and outbox_threads() == []
    [handler] = FakeSocketModeHandler.instances
    assert handler.connected and handler.closed and handler.app_token == "xapp-test"
    assert [r.status for r in rows(database)] == ["sent"]


def test_http_mode_delivers_nudges_while_serving_and_stops_with_the_server(
    slack: FakeSlackApi,
    database: Database,
    answers: FakeAnswerService,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def serve_until_delivered(app: object, host: str, port: int, checks: object) -> None:
        slack.wait_for_calls("chat.postMessage")  # uvicorn would serve until interrupted
        assert len(outbox_threads()) == 1

    monkeypatch.setattr("bot.http_server.serve", serve_until_delivered)
    queue(database, OWNER)
    deps = Deps(
        config=make_config(slack, outbox_poll_s=0.05), db=database, answers=answers, clock=clock
    )
    run_http(deps, "127.0.0.1", 0)
    assert outbox_threads() == []
    assert [r.status for r in rows(database)] == ["sent"]
