"""The store's tables: sessions, their event log, announcements, processed webhooks, incident reports.

The database gets them through the migrations in ivr/store/migrations, never create_all.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Boolean, Column, DateTime, Dialect, Index, Integer, MetaData, String, Table, Text, TypeDecorator
from sqlalchemy.types import TypeEngine

# JSON as stored: readable Swedish, no ASCII escapes. One encoder: json.dumps builds a new
# one for every call with arguments like these. PostgreSQL's JSONB gets it too (the engine's
# json_serializer), so both databases are sent the same text.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dumps(data: Any) -> str:
    """A session's data or an event's, as sent to the database."""
    return _ENCODER.encode(data)


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


class JSONData(TypeDecorator[dict[str, Any]]):
    """A JSON object: JSONB on PostgreSQL, JSON text on SQLite; always a dict in Python, SQL NULL for None."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """JSONB where the database has it (migration 0003); TEXT elsewhere."""
        if dialect.name == "postgresql":
            # Imported here: a SQLite worker never loads SQLAlchemy's PostgreSQL dialect (ivr/store/statements.py).
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB(none_as_null=True))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: dict[str, Any] | None, dialect: Dialect) -> Any:
        """SQLite: the text; PostgreSQL: the dict, which JSONB's own processor encodes."""
        if value is None or dialect.name == "postgresql":
            return value
        return dumps(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> dict[str, Any] | None:
        """PostgreSQL's driver decodes JSONB itself; SQLite's text is decoded here."""
        if value is None or isinstance(value, dict):
            return value
        result: dict[str, Any] = json.loads(value)
        return result


metadata = MetaData()

sessions_table = Table(
    "sessions",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("channel", String(10), nullable=False),
    Column("caller", String(32), nullable=True),
    # NULL only in the placeholder row that session() inserts and never commits.
    Column("data", JSONData, nullable=True),
    Column("seq", Integer, nullable=False, default=0),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # The code on a call's SMS receipt (migration 0004): `ivr lookup CODE` finds the call by this index.
    # Not unique: two calls may share a code (about one in a billion), and lookup then lists both.
    Column("ref", String(8), nullable=True),
    Index("sessions_ref", "ref"),
    # The caller's keyed hash (never the number), kept after the number is blanked: a dropped
    # call is found by it when the same phone calls again (migration 0005).
    Column("caller_key", String(64), nullable=True),
    Index("sessions_caller_key_updated_at", "caller_key", "updated_at"),
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
    Column("data", JSONData, nullable=False),
    # A keyed hash of the caller's number (never the number): counts distinct reporters.
    Column("caller_key", String(64), nullable=True),
    Index("events_system_at", "system", "at"),
    Index("events_at", "at"),  # the console's call log: conversations begun in a period, any system (0012)
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

# One row per wrong staff code (migration 0006): the caller's keyed hash, "hidden" for a hidden
# number, and when. A caller's wrong codes in the window are counted across calls and texts.
pin_guesses_table = Table(
    "pin_guesses",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("caller_key", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("pin_guesses_caller_key_at", "caller_key", "at"),
)

# Same-day on-call swaps (migration 0007): who is on call from..until, first in the chain or
# standing in for one person of config/roster.yaml. The name and number are kept as given, so a
# swap still dials the right phone if roster.yaml changes meanwhile. Cleared rows stay (cleared_at)
# for the audit trail; the events table says who set and who cleared each.
oncall_overrides_table = Table(
    "oncall_overrides",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("starts_at", UTCDateTime, nullable=False),
    Column("ends_at", UTCDateTime, nullable=False),
    Column("person", String(40), nullable=True),  # a roster.yaml person id; NULL for a number given by hand
    Column("name", String(100), nullable=False),
    Column("number", String(32), nullable=False),  # E.164
    Column("replaces", String(40), nullable=True),  # a roster.yaml person id; NULL: first in the chain
    Column("note", String(200), nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("cleared_at", UTCDateTime, nullable=True),
    Index("oncall_overrides_ends_at", "ends_at"),
)

# The /admin console's one-time sign-in codes (migration 0008): one live code per admin
# number, kept as the number's keyed hash and an HMAC of the code, never either in clear.
admin_codes_table = Table(
    "admin_codes",
    metadata,
    Column("number_key", String(64), primary_key=True),
    Column("code_hash", String(64), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("wrong_tries", Integer, nullable=False, default=0),
)

# Sign-in attempts by number (its keyed hash) and by client address, one row each: counted in
# a window so that the limit holds across gunicorn's workers and servers sharing the database.
admin_attempts_table = Table(
    "admin_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("bucket", String(100), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("admin_attempts_bucket_at", "bucket", "at"),
)

# Every outbound act the line decides (migration 0009): written in the transaction of the turn that
# decides it, under a key made of the conversation and the decision, so that a replayed webhook finds
# its row and adds nothing; a sender delivers it after the commit, with retries (ivr/outbox).
# target and body may hold phone numbers: blanked once the message reached a final state, and by
# `ivr purge` under the number-retention setting; rows are deleted with the rest of the history.
outbox_table = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False, unique=True),  # the idempotency key
    Column("kind", String(20), nullable=False),  # manager_sms, receipt, incident_sms, admin_alert, ...
    Column("channel", String(10), nullable=False),  # sms (later: call, email, ticket)
    Column("target", String(200), nullable=True),  # the number (or address) it goes to; NULL once blanked
    Column("body", JSONData, nullable=True),  # {"from", "text", "audit"}; the text removed once blanked
    Column("session_id", String(100), nullable=True),  # the conversation that decided it, if any
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # pending, sending (claimed, under a lease), queued, sent, delivered, undelivered, failed,
    # dead (given up, never accepted), logged (no Twilio account: written to the log only),
    # direct (sent by the fault policy without the database, recorded once it answered again)
    Column("state", String(12), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("lease_until", UTCDateTime, nullable=True),
    Column("provider_id", String(64), nullable=True),  # Twilio's MessageSid once accepted
    Column("last_error", String(200), nullable=True),
    Index("outbox_state_next_attempt_at", "state", "next_attempt_at"),
    Index("outbox_session_id", "session_id"),
    Index("outbox_created_at", "created_at"),
)

# Incidents (migration 0010, issue 19): one row per outage of a system, with its state and who
# acknowledged it; one row per caller about it (her keyed hash, never a number), with her facts,
# her workplace where staff.directory names it, and whether she asked for an SMS when it is fixed.
incidents_table = Table(
    "incidents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("system", String(40), nullable=False),
    Column("state", String(16), nullable=False),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("acknowledged_at", UTCDateTime, nullable=True),
    Column("acknowledged_by", String(64), nullable=True),
    Column("escalated_at", UTCDateTime, nullable=True),
    Column("resolved_at", UTCDateTime, nullable=True),
    Column("resolved_by", String(64), nullable=True),
    Index("incidents_system_updated_at", "system", "updated_at"),
)

incident_callers_table = Table(
    "incident_callers",
    metadata,
    Column("incident_id", Integer, primary_key=True),
    Column("caller_key", String(64), primary_key=True),
    Column("session_id", String(100), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("facts", Text, nullable=False, default="{}"),
    Column("workplace", String(100), nullable=True),
    Column("notify", Boolean, nullable=False, default=False),
    Column("lang", String(2), nullable=False, default="sv"),
)

# The console's server-side sessions (migration 0011, issue 24): the cookie holds a random token,
# the row its SHA-256, the session's data (CSRF token, sign-in state) and, once signed in, who
# (the keyed hash and a name, never a number), the role and how they signed in. A row is revoked
# at sign-out and dead at expires_at; `ivr purge` and each new session delete old ones.
console_sessions_table = Table(
    "console_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("data", Text, nullable=False),
    Column("who_key", String(64), nullable=True),
    Column("who", String(100), nullable=True),
    Column("role", String(16), nullable=True),
    Column("method", String(8), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("seen_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    Index("console_sessions_expires_at", "expires_at"),
    Index("console_sessions_who_key", "who_key"),
)
