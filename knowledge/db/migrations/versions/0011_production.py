"""production: files excluded from a watched source (source_exclusions)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from alembic import op
import sqlalchemy as sa


revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "source_exclusions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("uri", sa.String(length=1000), nullable=False),
        sa.Column("excluded_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["watched_sources.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_id", "uri"),
    )
    with op.batch_alter_table("source_exclusions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_source_exclusions_source_id"), ["source_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("source_exclusions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_source_exclusions_source_id"))
    op.drop_table("source_exclusions")
