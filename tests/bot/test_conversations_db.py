"""The conversation tables and their queries, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateTable

from knowledge.db import conversations as store
from knowledge.db.connection import Database, upgrade_database
from knowledge.db.conversation_models import Conversation, Exchange, SlackEvent, Vote
from knowledge.db.document_models import Base

OURS = {"conversations", "exchanges", "votes", "slack_events"}
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "postgresql":
        yield request.getfixturevalue("postgres_database")
        return
    database = Database(f"sqlite:///{tmp_path / 'helpbot.db'}")
    database.upgrade()
    yield database
    database.dispose()


def test_migration_matches_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    ours = [d for d in diffs if OURS & set(str(d).split("'"))]
    assert ours == []
    assert set(inspect(db.engine).get_table_names()) >= OURS


def test_migration_downgrades_and_upgrades_again(db: Database) -> None:
    upgrade_database(db.engine, "0002")
    from alembic import command

    from knowledge.db.connection import alembic_config

    command.downgrade(alembic_config(db.engine), "0001")
    assert not OURS & set(inspect(db.engine).get_table_names())
    upgrade_database(db.engine, "0002")
    assert set(inspect(db.engine).get_table_names()) >= OURS


def test_postgresql_ddl_compiles() -> None:
    dialect = postgresql.dialect()
    for model in (Conversation, Exchange, Vote, SlackEvent):
        table = Base.metadata.tables[model.__tablename__]
        assert "CREATE TABLE" in str(CreateTable(table).compile(dialect=dialect))


def claim(db: Database, key: str, replica: str = "r1") -> bool:
    with db.session() as session:
        return store.claim_event(
            session, key=key, kind="mention", event_id="Ev1", handled_by=replica, now=NOW
        )


def test_an_event_is_claimed_once_even_when_racing(db: Database) -> None:
    assert claim(db, "msg:T:C:1.0")
    assert not claim(db, "msg:T:C:1.0", "r2")
    results: list[bool] = []
    barrier = threading.Barrier(12)

    def race(n: int) -> None:
        barrier.wait()
        results.append(claim(db, "msg:T:C:2.0", f"replica-{n}"))

    threads = [threading.Thread(target=race, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 11 + [True]


def test_old_claims_are_pruned(db: Database) -> None:
    claim(db, "old")
    with db.session() as session:
        assert store.prune_events(session, before=NOW + timedelta(seconds=1)) == 1
    assert claim(db, "old")


def test_conversations_and_their_history(db: Database) -> None:
    with db.session() as session:
        thread = store.open_conversation(
            session,
            team_id="T",
            channel_id="C",
            thread_ts="1.0",
            kind="channel",
            started_by="U1",
            now=NOW,
        )
        same = store.open_conversation(
            session,
            team_id="T",
            channel_id="C",
            thread_ts="1.0",
            kind="channel",
            started_by="U2",
            now=NOW,
        )
        assert same.id == thread.id and same.started_by == "U1"
        private = [
            store.open_conversation(
                session,
                team_id="T",
                channel_id="C",
                thread_ts=None,
                kind="command",
                started_by="U1",
                now=NOW,
            )
            for _ in range(2)
        ]
        assert private[0].id != private[1].id
        ids = []
        for n in range(4):
            exchange = store.add_exchange(
                session,
                conversation_id=thread.id,
                reference=f"ref{n}",
                source="mention",
                asker_id="U1",
                question=f"q{n}",
                question_ts=f"1.{n}",
                visibility="thread",
                now=NOW,
            )
            ids.append(exchange.id)
            if n != 1:
                store.record_answer(
                    session,
                    exchange.id,
                    status="answered",
                    audiences=["everyone"],
                    answer=f"a{n}",
                    standalone_question=f"q{n}",
                    citations=[],
                    passages=[],
                    confidence=0.9,
                    abstained=False,
                    grounding_failed=False,
                    note=None,
                    model_version="m",
                    timings={},
                    now=NOW,
                )
        history = store.thread_history(session, thread.id, before_id=ids[3], limit=5)
        assert history == [("q0", "a0"), ("q2", "a2")]  # q1 was never answered
        assert store.thread_history(session, thread.id, before_id=ids[3], limit=1) == [("q2", "a2")]


def test_rate_limit_counts_recent_questions(db: Database) -> None:
    with db.session() as session:
        conversation = store.open_conversation(
            session,
            team_id="T",
            channel_id="C",
            thread_ts="1.0",
            kind="channel",
            started_by="U1",
            now=NOW,
        )
        for n, (minutes_ago, status) in enumerate(
            [(5, "pending"), (0.5, "answered"), (0.2, "rate_limited"), (0.1, "failed")]
        ):
            store.add_exchange(
                session,
                conversation_id=conversation.id,
                reference=f"r{n}",
                source="mention",
                asker_id="U1",
                question="q",
                question_ts=None,
                visibility="thread",
                now=NOW - timedelta(minutes=minutes_ago),
                status=status,
            )
        assert store.questions_since(session, "U1", NOW - timedelta(minutes=1)) == 2
        assert store.questions_since(session, "U2", NOW - timedelta(minutes=1)) == 0


def test_answers_are_found_by_their_message_and_votes_are_one_per_person(db: Database) -> None:
    with db.session() as session:
        conversation = store.open_conversation(
            session,
            team_id="T",
            channel_id="C1",
            thread_ts="1.0",
            kind="channel",
            started_by="U1",
            now=NOW,
        )
        exchange = store.add_exchange(
            session,
            conversation_id=conversation.id,
            reference="ref",
            source="mention",
            asker_id="U1",
            question="q",
            question_ts="1.0",
            visibility="thread",
            now=NOW,
        )
        store.set_answer_message(session, exchange.id, "2.0")
        assert store.exchange_by_message(session, channel_id="C1", ts="2.0") is not None
        assert store.exchange_by_message(session, channel_id="C2", ts="2.0") is None
        for value in (1, -1):
            store.save_vote(
                session,
                exchange_id=exchange.id,
                user_id="U2",
                value=value,
                source="reaction",
                reactions=["x"],
                correction=None,
                now=NOW,
            )
        [vote] = store.votes_of(session, exchange.id)
        assert (vote.value, vote.reactions) == (-1, ["x"])
        assert store.delete_vote(session, exchange.id, "U2")
        assert store.votes_of(session, exchange.id) == []


def _exchange_at(db: Database, reference: str, thread: str, at: datetime) -> int:
    with db.session() as session:
        conversation = store.open_conversation(
            session,
            team_id="T1",
            channel_id="C1",
            thread_ts=thread,
            kind="channel",
            started_by="U1",
            now=at,
        )
        exchange = store.add_exchange(
            session,
            conversation_id=conversation.id,
            reference=reference,
            source="mention",
            asker_id="U1",
            question="how much leave?",
            question_ts=thread,
            now=at,
            visibility="thread",
        )
        store.save_vote(
            session,
            exchange_id=exchange.id,
            user_id="U2",
            value=1,
            source="button",
            reactions=(),
            correction=None,
            now=at,
        )
        store.claim_event(
            session, key=f"msg:{reference}", kind="mention", event_id=None, handled_by="r", now=at
        )
        return exchange.id


def test_purge_deletes_only_what_is_past_retention(db: Database) -> None:
    _exchange_at(db, "old", "1.1", NOW - timedelta(days=400))
    kept = _exchange_at(db, "new", "2.2", NOW - timedelta(days=10))
    before = NOW - timedelta(days=365)
    with db.session() as session:
        assert store.count_before(session, before) == 1
        counts = store.purge_before(session, before)
    assert counts == {"exchanges": 1, "votes": 1, "conversations": 1, "event_claims": 1}
    with db.session() as session:
        assert [e.id for e in session.query(Exchange)] == [kept]
        assert len(list(session.query(Vote))) == 1
        assert len(list(session.query(Conversation))) == 1
        assert store.purge_before(session, before) == {
            "exchanges": 0,
            "votes": 0,
            "conversations": 0,
            "event_claims": 0,
        }
