"""Incidents (issue 19): one row per outage of a system with its state, one per caller about it.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create incidents (indexed by system and last news) and incident_callers."""
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("system", sa.String(40), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(64), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(64), nullable=True),
    )
    op.create_index("incidents_system_updated_at", "incidents", ["system", "updated_at"])
    op.create_table(
        "incident_callers",
        sa.Column("incident_id", sa.Integer, primary_key=True),
        sa.Column("caller_key", sa.String(64), primary_key=True),
        sa.Column("session_id", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("facts", sa.Text, nullable=False),
        sa.Column("workplace", sa.String(100), nullable=True),
        sa.Column("notify", sa.Boolean, nullable=False),
        sa.Column("lang", sa.String(2), nullable=False),
    )


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table("incident_callers")
    op.drop_index("incidents_system_updated_at", table_name="incidents")
    op.drop_table("incidents")
