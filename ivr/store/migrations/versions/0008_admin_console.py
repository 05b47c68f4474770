"""The /admin console's sign-in: one-time codes (hashed) and attempts counted per number and address.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create admin_codes and admin_attempts (with its index on bucket and time)."""
    op.create_table(
        "admin_codes",
        sa.Column("number_key", sa.String(64), primary_key=True),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("wrong_tries", sa.Integer, nullable=False),
    )
    op.create_table(
        "admin_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("bucket", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("admin_attempts_bucket_at", "admin_attempts", ["bucket", "at"])


def downgrade() -> None:
    """Drop both tables."""
    op.drop_index("admin_attempts_bucket_at", table_name="admin_attempts")
    op.drop_table("admin_attempts")
    op.drop_table("admin_codes")
