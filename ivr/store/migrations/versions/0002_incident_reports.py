"""Incident reports: one row per system and reporter, and each system's current run of reports.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create incident_reporters (indexed by system and last report) and incident_runs."""
    op.create_table(
        "incident_reporters",
        sa.Column("system", sa.String(40), primary_key=True),
        sa.Column("caller_key", sa.String(64), primary_key=True),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("incident_reporters_system_last_at", "incident_reporters", ["system", "last_at"])
    op.create_table(
        "incident_runs",
        sa.Column("system", sa.String(40), primary_key=True),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table("incident_runs")
    op.drop_index("incident_reporters_system_last_at", table_name="incident_reporters")
    op.drop_table("incident_reporters")
