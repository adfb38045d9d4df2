"""Migrations 0003-0005 create exactly the scheduler's tables and review columns as declared."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from knowledge.db import documents as registry
from knowledge.db import outbox
from knowledge.db.connection import Database, alembic_config, upgrade_database
from knowledge.db.document_models import Base
from knowledge.db.scheduler_models import APSCHEDULER_TABLE

SCHEDULER_TABLES = {
    APSCHEDULER_TABLE,
    "watched_sources",
    "watched_files",
    "job_runs",
    "leases",
    "notifications",
}
DELIVERY_COLUMNS = {
    "attempts",
    "next_attempt_at",
    "claimed_by",
    "claimed_at",
    "channel",
    "message_ts",
}


def downgrade_database(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


def test_the_migration_matches_the_models(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'helpbot.db'}")
    db.upgrade()
    assert set(inspect(db.engine).get_table_names()) >= SCHEDULER_TABLES
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    ours = [d for d in diff if _table_of(d) in SCHEDULER_TABLES]
    assert ours == []
    db.dispose()


def _table_of(diff: object) -> str | None:
    """The table a compare_metadata entry is about: ('add_column', schema, 'table', column),
    ('add_table', Table), ('add_index', Index), or a list of ('modify_*', ...) tuples."""
    item = diff[0] if isinstance(diff, list) else diff
    for part in item if isinstance(item, tuple) else ():
        if isinstance(part, str) and part in SCHEDULER_TABLES:
            return part
        table = getattr(part, "table", None)
        name = getattr(table, "name", None) or getattr(part, "name", None)
        if isinstance(name, str) and name in SCHEDULER_TABLES:
            return name
    return None


def test_0004_adds_delivery_columns_to_a_0003_outbox_and_goes_back(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'helpbot.db'}")
    upgrade_database(db.engine, "0003")
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO notifications (recipient, text, kind, document_id, dedupe_key, "
                "status, created_at) VALUES ('people@northwind.example', 'Reminder', "
                "'review_due', 'parking', 'review_due:parking:2027-03-01', 'pending', "
                "'2027-03-01 06:00:00')"
            )
        )
    before = {c["name"] for c in inspect(db.engine).get_columns("notifications")}
    assert not DELIVERY_COLUMNS & before

    db.upgrade()  # 0003 -> head
    columns = {c["name"] for c in inspect(db.engine).get_columns("notifications")}
    assert columns >= DELIVERY_COLUMNS
    with db.session() as session:
        (row,) = outbox.pending_notifications(session)
        assert (row.attempts, row.next_attempt_at, row.claimed_by, row.channel) == (
            0,
            None,
            None,
            None,
        )
        now = datetime(2027, 3, 1, 7, tzinfo=UTC)
        claimed = outbox.claim_notification(
            session, row.id, holder="replica-1", now=now, stale_before=now
        )
        assert claimed is not None and claimed.attempts == 1

    downgrade_database(db.engine, "0003")
    after = {c["name"] for c in inspect(db.engine).get_columns("notifications")}
    assert after == before
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT status FROM notifications")).scalar() == "sending"
    db.dispose()


REVIEW_COLUMNS = {"reviewed_at", "reviewed_by"}


def test_0005_adds_review_columns_to_documents_and_goes_back(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'helpbot.db'}")
    upgrade_database(db.engine, "0004")
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO documents (id, source_uri, title, owner, audiences, review_by, "
                "status, live_version, chunk_count, created_at, updated_at) VALUES ('parking', "
                "'file:///policies/parking.md', 'Parking policy', 'people@northwind.example', "
                "'[\"everyone\"]', '2027-02-28', 'stale', 1, 3, '2027-01-01 06:00:00', "
                "'2027-01-01 06:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO document_versions (document_id, version, content_hash, file_name, "
                "doc_type, size_bytes, title, chunk_count, embedding_model, status, created_at) "
                "VALUES ('parking', 1, 'abc', 'parking.md', 'markdown', 10, 'Parking policy', 3, "
                "'minilm', 'live', '2027-01-01 06:00:00')"
            )
        )
    before = {c["name"] for c in inspect(db.engine).get_columns("documents")}
    assert not REVIEW_COLUMNS & before

    db.upgrade()  # 0004 -> head
    assert {c["name"] for c in inspect(db.engine).get_columns("documents")} >= REVIEW_COLUMNS
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in diff if "documents" in repr(d)] == []
    with db.session() as session:
        parking = registry.get(session, "parking")
        assert parking is not None and (parking.reviewed_at, parking.reviewed_by) == (None, None)
        now = datetime(2027, 3, 1, 9, tzinfo=UTC)
        registry.record_review(session, parking, until=date(2027, 6, 30), by="jane", now=now)

    downgrade_database(db.engine, "0004")
    assert {c["name"] for c in inspect(db.engine).get_columns("documents")} == before
    with db.engine.connect() as connection:
        row = connection.execute(text("SELECT status, review_by FROM documents")).one()
        assert tuple(row) == ("active", "2027-06-30")
        # SQLite drops a column by copying the table: the versions must survive the copy.
        versions = connection.execute(text("SELECT count(*) FROM document_versions")).scalar()
        assert versions == 1
    db.dispose()
