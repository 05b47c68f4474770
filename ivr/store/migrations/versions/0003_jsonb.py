"""Session and event data as JSONB on PostgreSQL; SQLite keeps JSON in TEXT.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# (table, column): every value there is a JSON object written by the store, so the cast cannot fail.
JSON_COLUMNS = (("sessions", "data"), ("events", "data"))


def upgrade() -> None:
    """PostgreSQL: convert the TEXT columns in place (USING data::jsonb); SQLite: nothing to do."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in JSON_COLUMNS:
        op.alter_column(table, column, type_=JSONB(), postgresql_using=f"{column}::jsonb")


def downgrade() -> None:
    """PostgreSQL: back to TEXT (JSONB's canonical text: key order and spacing may differ)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in JSON_COLUMNS:
        op.alter_column(table, column, type_=sa.Text(), postgresql_using=f"{column}::text")

