"""Wrong staff codes per caller, so that hanging up and calling again does not give new guesses.

One row per wrong code: the caller's keyed hash ("hidden" for a hidden number), and when. The index
counts a caller's guesses in the window in one range.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create pin_guesses and its (caller_key, at) index."""
    op.create_table(
        "pin_guesses",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("caller_key", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("pin_guesses_caller_key_at", "pin_guesses", ["caller_key", "at"])


def downgrade() -> None:
    """Drop the table (and its index)."""
    op.drop_index("pin_guesses_caller_key_at", table_name="pin_guesses")
    op.drop_table("pin_guesses")
