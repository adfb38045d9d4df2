"""curation: items, their history, opt-outs, dataset versions

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from alembic import op
import sqlalchemy as sa


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "curation_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("label", sa.String(length=20), nullable=False),
        sa.Column("exchange_id", sa.Integer(), nullable=True),
        sa.Column("asker_id", sa.String(length=32), nullable=True),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("correction", sa.Text(), nullable=True),
        sa.Column("corrected_by", sa.String(length=200), nullable=True),
        sa.Column("answerable", sa.Boolean(), nullable=False),
        sa.Column("fact", sa.Text(), nullable=False),
        sa.Column("passages", sa.JSON(), nullable=False),
        sa.Column("citations", sa.JSON(), nullable=False),
        sa.Column("upvotes", sa.Integer(), nullable=False),
        sa.Column("downvotes", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["exchange_id"], ["exchanges.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("exchange_id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("curation_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_curation_items_asker_id"), ["asker_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_curation_items_source"), ["source"], unique=False)
        batch_op.create_index(batch_op.f("ix_curation_items_state"), ["state"], unique=False)

    op.create_table(
        "curation_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("from_state", sa.String(length=20), nullable=True),
        sa.Column("to_state", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["curation_items.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("curation_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_curation_events_item_id"), ["item_id"], unique=False)

    op.create_table(
        "opt_outs",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )

    op.create_table(
        "dataset_versions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=1000), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("item_ids", sa.JSON(), nullable=False),
        sa.Column("built_by", sa.String(length=200), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("content_hash"),
    )
    with op.batch_alter_table("dataset_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dataset_versions_built_at"), ["built_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("dataset_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dataset_versions_built_at"))
    op.drop_table("dataset_versions")
    op.drop_table("opt_outs")
    with op.batch_alter_table("curation_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_curation_events_item_id"))
    op.drop_table("curation_events")
    with op.batch_alter_table("curation_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_curation_items_state"))
        batch_op.drop_index(batch_op.f("ix_curation_items_source"))
        batch_op.drop_index(batch_op.f("ix_curation_items_asker_id"))
    op.drop_table("curation_items")
