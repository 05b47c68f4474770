"""The outbox: every outbound message as a row written in its turn's transaction, sent after the commit.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create outbox with its unique key and its indexes (due rows, a session's rows, age)."""
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(200), nullable=False, unique=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("target", sa.String(200), nullable=True),
        # JSONB on PostgreSQL, JSON text on SQLite (as sessions.data since 0003).
        sa.Column("body", sa.Text().with_variant(JSONB(), "postgresql"), nullable=True),
        sa.Column("session_id", sa.String(100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("provider_id", sa.String(64), nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
    )
    op.create_index("outbox_state_next_attempt_at", "outbox", ["state", "next_attempt_at"])
    op.create_index("outbox_session_id", "outbox", ["session_id"])
    op.create_index("outbox_created_at", "outbox", ["created_at"])


def downgrade() -> None:
    """Drop the table and its indexes."""
    op.drop_index("outbox_created_at", table_name="outbox")
    op.drop_index("outbox_session_id", table_name="outbox")
    op.drop_index("outbox_state_next_attempt_at", table_name="outbox")
    op.drop_table("outbox")
