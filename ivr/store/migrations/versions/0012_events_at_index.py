"""An index on events' time (issue 24): the call log reads the conversations begun in a period by `at` alone.

The console's call log (ivr/store/console.py, ConsoleStore.conversations) asks for the start events
in [since, until) of every system; the existing (system, at) index cannot serve a range on `at`
without a system, so without this one each page of the log scans the whole events table.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """CREATE INDEX events_at ON events (at): plain DDL on both SQLite and PostgreSQL."""
    op.create_index("events_at", "events", ["at"])


def downgrade() -> None:
    op.drop_index("events_at", table_name="events")
