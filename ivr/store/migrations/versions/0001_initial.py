"""The schema as ivr.store.schema created it before migrations: sessions, events, announcements, processed webhooks.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the four tables (the old schema_version table is replaced by alembic_version)."""
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("caller", sa.String(32), nullable=True),
        sa.Column("data", sa.Text, nullable=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("session_id", sa.String(100), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("system", sa.String(40), nullable=True),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("caller_key", sa.String(64), nullable=True),
    )
    op.create_index("ix_events_session_id", "events", ["session_id"])
    op.create_index("events_system_at", "events", ["system", "at"])
    op.create_table(
        "announcements",
        sa.Column("system", sa.String(40), primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
    )
    op.create_table(
        "processed_messages",
        sa.Column("sid", sa.String(64), primary_key=True),
        sa.Column("session_id", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    """Drop the four tables."""
    for table in ("processed_messages", "announcements", "events", "sessions"):
        op.drop_table(table)
