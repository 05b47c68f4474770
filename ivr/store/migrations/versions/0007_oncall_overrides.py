"""Same-day on-call swaps kept in the store (`ivr oncall`, the console), read by every worker.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create oncall_overrides and its index on ends_at (the swaps in force are those not yet ended)."""
    op.create_table(
        "oncall_overrides",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("person", sa.String(40), nullable=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("replaces", sa.String(40), nullable=True),
        sa.Column("note", sa.String(200), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("oncall_overrides_ends_at", "oncall_overrides", ["ends_at"])


def downgrade() -> None:
    """Drop the table and its index."""
    op.drop_index("oncall_overrides_ends_at", table_name="oncall_overrides")
    op.drop_table("oncall_overrides")
