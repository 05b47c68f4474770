"""The console's server-side sessions (issue 24): the cookie holds only an id, the row says who and until when.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create console_sessions, indexed by expiry (purged on the way) and by who (listed, revoked)."""
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.String(64), primary_key=True),  # SHA-256 of the cookie's token, never the token
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("who_key", sa.String(64), nullable=True),
        sa.Column("who", sa.String(100), nullable=True),
        sa.Column("role", sa.String(16), nullable=True),
        sa.Column("method", sa.String(8), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("console_sessions_expires_at", "console_sessions", ["expires_at"])
    op.create_index("console_sessions_who_key", "console_sessions", ["who_key"])


def downgrade() -> None:
    """Drop the table."""
    op.drop_index("console_sessions_who_key", table_name="console_sessions")
    op.drop_index("console_sessions_expires_at", table_name="console_sessions")
    op.drop_table("console_sessions")
