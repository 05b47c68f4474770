"""Sessions keep their caller's pseudonym, so a dropped call can be resumed without storing a number.

An ended call's number is blanked in its row; the keyed hash (ivr/privacy.py
caller_key) stays, and the index finds a caller's latest session in one range.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add sessions.caller_key (NULL for older rows and hidden numbers) and its index with updated_at."""
    op.add_column("sessions", sa.Column("caller_key", sa.String(64), nullable=True))
    op.create_index("sessions_caller_key_updated_at", "sessions", ["caller_key", "updated_at"])


def downgrade() -> None:
    """Drop the index and the column."""
    op.drop_index("sessions_caller_key_updated_at", table_name="sessions")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("caller_key")
