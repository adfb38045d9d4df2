"""Bad input: the PostgreSQL database goes away while the bot runs. Questions still get a
reply with a reference id (and the log line with the same reference), never silence."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import create_engine

from knowledge.db.connection import Database
from tests.bot import slack_payloads as p
from tests.bot.conftest import CHANNEL, EMPLOYEE, BotFactory
from tests.bot.fake_slack_api import FakeSlackApi
from tests.bot.helpers import final_reply, posts_in_thread
from tests.conftest import postgres_server_url


def cut_off(db: Database) -> None:
    """No new connections, and every open one terminated: the server is gone for this db."""
    name = db.engine.url.database
    admin = create_engine(postgres_server_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
        connection.exec_driver_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        )
    admin.dispose()


def test_a_question_after_the_database_went_away_gets_a_reference(
    make_bot: BotFactory,
    postgres_database: Database,
    slack: FakeSlackApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot = make_bot(db=postgres_database)
    first = p.mention(EMPLOYEE, CHANNEL, "how much annual leave do I get?")
    assert bot.sender.event(first).status == 200
    bot.drain()
    assert "25 days" in str(final_reply(slack, CHANNEL, str(first["ts"]))[1])

    cut_off(postgres_database)
    with caplog.at_level(logging.ERROR):
        second = p.mention(EMPLOYEE, CHANNEL, "how much annual leave do I get now?")
        assert bot.sender.event(second).status == 200  # acknowledged all the same
        bot.drain()

    [reply] = posts_in_thread(slack, CHANNEL, str(second["ts"]))
    assert reply.args["text"].startswith(":warning: Sorry")
    [record] = [r for r in caplog.records if "could not be accepted" in r.getMessage()]
    reference = str(record.args[0])  # type: ignore[index]
    assert reference and reference in reply.args["text"]
