"""The store's tables: sessions, their event log, announcements, processed webhooks, incident reports.

The database gets them through the migrations in ivr/migrations, never create_all.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Dialect, Index, Integer, MetaData, String, Table, Text, TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp column that only takes and gives timezone-aware UTC datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes: their zone would be a guess."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: the store needs a timezone-aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """SQLite gives back naive values (stored as UTC); PostgreSQL the session's zone."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


metadata = MetaData()

sessions_table = Table(
    "sessions",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("channel", String(10), nullable=False),
    Column("caller", String(32), nullable=True),
    # NULL only in the placeholder row that session() inserts and never commits.
    Column("data", Text, nullable=True),
    Column("seq", Integer, nullable=False, default=0),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

events_table = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_id", String(100), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("channel", String(10), nullable=False),
    Column("system", String(40), nullable=True),
    Column("data", Text, nullable=False),
    # A keyed hash of the caller's number (never the number): counts distinct reporters.
    Column("caller_key", String(64), nullable=True),
    Index("events_system_at", "system", "at"),
)

# Known outages posted by IT staff: one per system, spoken or texted before the checklist.
announcements_table = Table(
    "announcements",
    metadata,
    Column("system", String(40), primary_key=True),
    Column("text", Text, nullable=False),
    Column("until", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(64), nullable=False),
)

processed_messages_table = Table(
    "processed_messages",
    metadata,
    Column("sid", String(64), primary_key=True),
    Column("session_id", String(100), nullable=False),
    Column("at", UTCDateTime, nullable=False),
)

# One row per system and reporter (a caller who answered a step): the incident threshold
# counts rows in the window on the (system, last_at) index, however many calls there were.
incident_reporters_table = Table(
    "incident_reporters",
    metadata,
    Column("system", String(40), primary_key=True),
    Column("caller_key", String(64), primary_key=True),
    Column("last_at", UTCDateTime, nullable=False),
    Index("incident_reporters_system_last_at", "system", "last_at"),
)

# Each system's current run of reports (no gap of a window): its start keys the incident's one SMS.
incident_runs_table = Table(
    "incident_runs",
    metadata,
    Column("system", String(40), primary_key=True),
    Column("first_at", UTCDateTime, nullable=False),
    Column("last_at", UTCDateTime, nullable=False),
)
