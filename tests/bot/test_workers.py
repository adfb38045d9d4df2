"""Fix 4: stopping the bot answers the questions already queued instead of cancelling them
(their askers would keep a "Looking through our policies..." placeholder forever)."""

from __future__ import annotations

import threading
import time

from bot.workers import CountingExecutor
from tests.bot import slack_payloads as p
from tests.bot.conftest import CHANNEL, EMPLOYEE, BotFactory
from tests.bot.fake_answers import FakeAnswerService
from tests.bot.fake_slack_api import FakeSlackApi
from tests.bot.helpers import final_reply


def test_shutdown_runs_queued_work_even_when_asked_to_cancel_it() -> None:
    pool = CountingExecutor(1, "test")
    gate, done = threading.Event(), []
    pool.submit(gate.wait, 10)
    futures = [pool.submit(done.append, n) for n in range(3)]
    threading.Timer(0.2, gate.set).start()
    pool.shutdown(wait=True, cancel_futures=True)
    assert done == [0, 1, 2]
    assert not any(f.cancelled() for f in futures)
    assert pool.busy == 0


def test_stopping_the_bot_answers_its_queued_questions(
    make_bot: BotFactory, answers: FakeAnswerService, slack: FakeSlackApi
) -> None:
    bot = make_bot(answer_workers=1)
    answers.gate = threading.Event()
    asked = []
    for n in range(3):
        event = p.mention(EMPLOYEE, CHANNEL, f"how much annual leave do I get? ({n})")
        assert bot.sender.event(event).status == 200
        asked.append(str(event["ts"]))
    deadline = time.monotonic() + 10
    while bot.runtime.answer_pool.busy < 3 and time.monotonic() < deadline:
        time.sleep(0.01)  # all three acknowledged and queued behind the slow model
    threading.Timer(0.3, answers.gate.set).start()

    bot.runtime.close()  # what stopping the process does

    for ts in asked:
        _answer_ts, content = final_reply(slack, CHANNEL, ts)
        assert "25 days" in str(content)
    assert [e.status for e in bot.exchanges()] == ["answered"] * 3
