"""The receipt's reference code on a session, indexed for `ivr lookup`.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add sessions.ref (nullable: SMS conversations and older calls have none) and its index."""
    op.add_column("sessions", sa.Column("ref", sa.String(8), nullable=True))
    op.create_index("sessions_ref", "sessions", ["ref"])


def downgrade() -> None:
    """Drop the index and the column."""
    op.drop_index("sessions_ref", table_name="sessions")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("ref")
