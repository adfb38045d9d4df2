"""Fixtures for the Slack bot: a fake Web API, a migrated database, the app over real HTTP."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select

from bot.app import Runtime, build_outbox, build_runtime
from bot.deps import BotConfig, Deps
from bot.http_server import BackgroundServer
from bot.outbox import OutboxDeliverer
from knowledge.db.connection import Database
from knowledge.db.conversation_models import Exchange, SlackEvent, Vote
from knowledge.db.document_models import Document
from knowledge.settings import Settings
from tests.bot.fake_answers import DOCS, FakeAnswerService
from tests.bot.fake_slack_api import FakeSlackApi
from tests.bot.slack_payloads import SIGNING_SECRET, SlackSender

MANAGERS_GROUP = "S0MANAGERS"
MANAGER = "U0MANAGER"
EMPLOYEE = "U0EMPLOYEE"
CHANNEL = "C0GENERAL"
DM = "D0MANAGER"
KNOWN_CHANNELS = (CHANNEL, DM, "D0ASSIST", "D0HOME", "D0OWNER", "D0OTHER", "C0123ABCD", "G0PRIVATE")
"""The channels that exist in the fake workspace (any other id: channel_not_found)."""


class Clock:
    """A settable UTC clock (rate limits and streaming pace without sleeping)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def default_emoji() -> dict[str, int]:
    factory = Settings.model_fields["feedback_emoji"].default_factory
    assert factory is not None
    return dict(factory())  # type: ignore[call-arg]


def make_config(slack: FakeSlackApi, **overrides: Any) -> BotConfig:
    config = BotConfig(
        bot_token="xoxb-test-token",
        signing_secret=SIGNING_SECRET,
        app_token="xapp-test",
        api_url=slack.api_url,
        audience_map={MANAGERS_GROUP: ("managers",)},
        feedback_emoji=default_emoji(),
        rate_limit_per_minute=5,
        help_contact="#ask-people",
        answer_workers=2,
        listener_workers=4,
        answer_timeout_s=60.0,
        instance_id="replica-1",
    )
    return replace(config, **overrides)


def seed_documents(db: Database) -> None:
    with db.session() as session:
        for doc in DOCS:
            session.add(
                Document(
                    id=doc.document_id,
                    source_uri=doc.source_uri,
                    title=doc.title,
                    audiences=list(doc.audiences),
                    review_by=doc.review_by,
                    status="stale" if doc.stale else "active",
                    live_version=1,
                    chunk_count=1,
                )
            )


@pytest.fixture
def slack() -> Iterator[FakeSlackApi]:
    fake = FakeSlackApi()
    fake.usergroups[MANAGERS_GROUP] = [MANAGER]
    for channel in KNOWN_CHANNELS:
        fake.add_channel(channel, [EMPLOYEE, MANAGER])
    fake.add_channel("C0OWNERS", name="policy-owners")
    with fake:
        yield fake


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database migrated once per session (Alembic takes about a second) and seeded."""
    path = tmp_path_factory.mktemp("template") / "helpbot.db"
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    seed_documents(db)
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


@pytest.fixture
def database(tmp_path: Path, migrated_template: Path) -> Iterator[Database]:
    path = tmp_path / "helpbot.db"
    shutil.copyfile(migrated_template, path)
    db = Database(f"sqlite:///{path}")
    yield db
    db.dispose()


@pytest.fixture
def postgres_database() -> Iterator[Database]:
    """A throw-away PostgreSQL database, migrated; skipped unless HELPBOT_TEST_POSTGRES_URL
    names a server (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres)."""
    url = os.environ.get("HELPBOT_TEST_POSTGRES_URL", "")
    if not url:
        pytest.skip("HELPBOT_TEST_POSTGRES_URL is not set")
    name = f"helpbot_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    db = Database(url.rsplit("/", 1)[0] + f"/{name}")
    try:
        db.upgrade()
        seed_documents(db)
        yield db
    finally:
        db.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


@pytest.fixture
def answers() -> FakeAnswerService:
    return FakeAnswerService()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@dataclass
class Bot:
    """One running replica: the app behind a real HTTP server, and a Slack-side sender."""

    runtime: Runtime
    server: BackgroundServer
    sender: SlackSender
    db: Database
    sleeps: list[float] = field(default_factory=list)

    def drain(self) -> None:
        assert self.runtime.drain(30), "the bot did not finish its work"

    def exchanges(self) -> list[Exchange]:
        with self.db.session() as session:
            return list(session.scalars(select(Exchange).order_by(Exchange.id)))

    def votes(self) -> list[Vote]:
        with self.db.session() as session:
            return list(session.scalars(select(Vote).order_by(Vote.id)))

    def claims(self) -> list[SlackEvent]:
        with self.db.session() as session:
            return list(session.scalars(select(SlackEvent)))

    def close(self) -> None:
        self.sender.close()
        self.server.stop()
        self.runtime.drain(10)
        self.runtime.close()


BotFactory = Callable[..., Bot]


@pytest.fixture
def make_bot(
    slack: FakeSlackApi, database: Database, answers: FakeAnswerService, clock: Clock
) -> Iterator[BotFactory]:
    """Builds replicas (all on the same database unless told otherwise)."""
    bots: list[Bot] = []

    def build(
        db: Database | None = None,
        grounding_pass_rate: Callable[[], float | None] | None = None,
        **overrides: Any,
    ) -> Bot:
        sleeps: list[float] = []
        db = db or database
        deps = Deps(
            config=make_config(slack, **overrides),
            db=db,
            answers=answers,
            clock=clock,
            sleep=sleeps.append,
            grounding_pass_rate=grounding_pass_rate or (lambda: None),
        )
        runtime = build_runtime(deps)
        server = BackgroundServer(runtime.app).start()
        bot = Bot(runtime, server, SlackSender(server.url), db, sleeps)
        bots.append(bot)
        return bot

    yield build
    for bot in bots:
        bot.close()


@pytest.fixture
def bot(make_bot: BotFactory) -> Bot:
    return make_bot()


@pytest.fixture
def deliverer(
    slack: FakeSlackApi, database: Database, answers: FakeAnswerService, clock: Clock
) -> Callable[..., OutboxDeliverer]:
    """Builds deliverers the way the bot does (build_outbox), on the fake Web API."""

    def make(db: Database | None = None, **overrides: Any) -> OutboxDeliverer:
        config = make_config(slack, **overrides)
        return build_outbox(Deps(config=config, db=db or database, answers=answers, clock=clock))

    return make
