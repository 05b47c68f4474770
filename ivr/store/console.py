"""What the /admin console keeps and reads: sign-in codes, attempt counts, its audit events, the line's state now.

Every query goes through the Store's one transaction path (Store._transaction), so the
console shares the webhooks' engine, its SQLite locking and its error handling.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from ivr.store.schema import (
    admin_attempts_table,
    admin_codes_table,
    console_sessions_table,
    events_table,
    sessions_table,
)
from ivr.store.store import Store, _aware, _check_length

ATTEMPTS_LOCK = 0x1F5E_AD31  # any constant, the same in every process
ADMIN_CHANNEL = "admin"  # the events' channel for what people did in the console (never a conversation)


def admin_session_id(who_key: str) -> str:
    """The audit events' session id for one admin (by the number's keyed hash): "admin:<key>"."""
    return f"{ADMIN_CHANNEL}:{who_key}"


class CodeCheck(StrEnum):
    """What a typed sign-in code turned out to be."""

    ACCEPTED = "accepted"
    WRONG = "wrong"
    NONE = "none"  # no live code for that number: never sent, expired, used, or too many wrong tries


@dataclass(frozen=True)
class SignedIn:
    """A live console session's person: the keyed hash, the name or masked number, role and how."""

    session_id: str
    who_key: str
    who: str
    role: str
    method: str
    created_at: datetime
    seen_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class LiveSession:
    """A stored session that is neither revoked nor expired: its data, and who if someone signed in."""

    data: dict[str, Any]
    person: SignedIn | None
    seen_at: datetime


@dataclass(frozen=True)
class ConsoleStore:
    """The console's reads and writes on the line's store."""

    store: Store

    def save_code(self, number_key: str, code_hash: str, expires_at: datetime) -> None:
        """Keep a new code for a number, replacing any earlier one (only the newest works)."""
        _check_length("number key", number_key, 64)
        with self.store._transaction() as conn:
            conn.execute(delete(admin_codes_table).where(admin_codes_table.c.number_key == number_key))
            conn.execute(insert(admin_codes_table).values(number_key=number_key, code_hash=code_hash,
                                                          expires_at=_aware(expires_at), wrong_tries=0))

    def take_code(self, number_key: str, code_hash: str, now: datetime, max_wrong: int) -> CodeCheck:
        """Use a code once: the right one is deleted as it is accepted; max_wrong wrong ones delete it too."""
        table = admin_codes_table
        with self.store._transaction() as conn:
            row = conn.execute(select(table).where(table.c.number_key == number_key)).first()
            if row is None:
                return CodeCheck.NONE
            if row.expires_at <= _aware(now):
                conn.execute(delete(table).where(table.c.number_key == number_key))
                return CodeCheck.NONE
            if hmac.compare_digest(str(row.code_hash), code_hash):
                conn.execute(delete(table).where(table.c.number_key == number_key))
                return CodeCheck.ACCEPTED
            if row.wrong_tries + 1 >= max_wrong:
                conn.execute(delete(table).where(table.c.number_key == number_key))
            else:
                conn.execute(update(table).where(table.c.number_key == number_key)
                             .values(wrong_tries=row.wrong_tries + 1))
            return CodeCheck.WRONG

    def attempt(self, limits: dict[str, int], now: datetime, window: timedelta) -> bool:
        """Count one attempt in each bucket ("number:KEY", "address:IP") unless one is at its limit: False then.

        One transaction (SQLite's write lock, taken at BEGIN) for the counts and the new rows.
        Rows older than the window are deleted on the way: the table holds one window's attempts.
        """
        table = admin_attempts_table
        moment = _aware(now)
        since = moment - window
        for bucket in limits:
            _check_length("attempt bucket", bucket, 100)
        with self.store._transaction() as conn:
            if self.store.backend == "postgresql":
                # Count and insert under one lock, as SQLite's BEGIN IMMEDIATE does: two workers cannot
                # both pass the last free attempt. Sign-ins are rare; one lock for all is enough.
                conn.execute(select(func.pg_advisory_xact_lock(ATTEMPTS_LOCK)))
            conn.execute(delete(table).where(table.c.at < since))
            for bucket, limit in limits.items():
                count = conn.execute(select(func.count()).select_from(table)
                                     .where(table.c.bucket == bucket, table.c.at >= since)).scalar_one()
                if count >= limit:
                    return False
            conn.execute(insert(table), [{"bucket": bucket, "at": moment} for bucket in limits])
        return True

    def audit(self, kind: str, who_key: str, who: str, now: datetime, data: dict[str, Any] | None = None,
              system: str | None = None) -> None:
        """One audit event for an admin's action: by the admin's keyed hash and masked number, never the number."""
        _check_length("event kind", kind, 40)
        with self.store._transaction() as conn:
            conn.execute(insert(events_table).values(
                session_id=admin_session_id(who_key), seq=0, at=_aware(now), kind=kind, channel=ADMIN_CHANNEL,
                system=system, data={"by": who, **(data or {})}, caller_key=who_key))

    def calls_in_progress(self, since: datetime) -> list[dict[str, Any]]:
        """Voice sessions with a caller's turn since a moment and no outcome yet: their state."""
        table = sessions_table
        with self.store._transaction(read_only=True) as conn:
            rows = conn.execute(select(table.c.id, table.c.data, table.c.updated_at)
                                .where(table.c.channel == "voice", table.c.updated_at >= _aware(since),
                                       table.c.data.is_not(None))).all()
        return [{"id": row.id, "data": row.data, "updated_at": row.updated_at} for row in rows]

    def last_activity(self) -> datetime | None:
        """When a webhook last stored a turn (the newest session update or event)."""
        with self.store._transaction(read_only=True) as conn:
            session_at = conn.execute(select(func.max(sessions_table.c.updated_at))).scalar_one()
            event_at = conn.execute(select(func.max(events_table.c.at))
                                    .where(events_table.c.channel != ADMIN_CHANNEL)).scalar_one()
        # func.max keeps the column's type: both come back as aware UTC datetimes.
        found: list[datetime] = [moment for moment in (session_at, event_at) if moment is not None]
        return max(found) if found else None

    # -- server-side sessions (ivr/admin/sessions.py) ------------------------------------------------------

    def session(self, session_id: str, now: datetime) -> LiveSession | None:
        """The session under an id if it is alive (not revoked, not expired)."""
        table = console_sessions_table
        with self.store._transaction(read_only=True) as conn:
            row = conn.execute(select(table).where(table.c.id == session_id, table.c.revoked_at.is_(None),
                                                   table.c.expires_at > _aware(now))).first()
        if row is None:
            return None
        return LiveSession(json.loads(row.data), _signed_in(row), row.seen_at)

    def save_session(self, session_id: str, data: dict[str, Any], now: datetime, expires_at: datetime,
                     person: dict[str, str] | None = None, replaces: str | None = None) -> None:
        """Write a session's data; `person` signs someone in (with a new id: `replaces` is revoked)."""
        table = console_sessions_table
        moment = _aware(now)
        text = json.dumps(data, separators=(",", ":"))
        with self.store._transaction() as conn:
            if replaces is not None and replaces != session_id:
                conn.execute(update(table).where(table.c.id == replaces, table.c.revoked_at.is_(None))
                             .values(revoked_at=moment))
            done = conn.execute(update(table).where(table.c.id == session_id, table.c.revoked_at.is_(None))
                                .values(data=text, seen_at=moment, expires_at=_aware(expires_at))).rowcount
            if not done:
                # Old, never signed-in sessions go as new ones come: the table holds about a window's worth.
                conn.execute(delete(table).where(table.c.expires_at < moment - timedelta(days=1)))
                conn.execute(insert(table).values(
                    id=session_id, data=text, created_at=moment, seen_at=moment, expires_at=_aware(expires_at),
                    **({key: person.get(key) for key in ("who_key", "who", "role", "method")} if person else {})))

    def touch_session(self, session_id: str, now: datetime) -> None:
        """Note that a session was used (the list of who is signed in shows it)."""
        table = console_sessions_table
        with self.store._transaction() as conn:
            conn.execute(update(table).where(table.c.id == session_id).values(seen_at=_aware(now)))

    def revoke_session(self, session_id: str, now: datetime) -> bool:
        """End a session now (sign-out, or an admin ending another's): its cookie opens nothing after this."""
        table = console_sessions_table
        with self.store._transaction() as conn:
            return bool(conn.execute(update(table).where(table.c.id == session_id, table.c.revoked_at.is_(None))
                                     .values(revoked_at=_aware(now))).rowcount)

    def signed_in(self, now: datetime) -> list[SignedIn]:
        """Everyone signed in now, newest first ("Inloggade nu")."""
        table = console_sessions_table
        with self.store._transaction(read_only=True) as conn:
            rows = conn.execute(select(table).where(table.c.who_key.is_not(None), table.c.revoked_at.is_(None),
                                                   table.c.expires_at > _aware(now))
                                .order_by(table.c.created_at.desc())).all()
        return [person for person in map(_signed_in, rows) if person is not None]

    def purge_sessions(self, before: datetime) -> int:
        """Delete sessions that ended (expired or revoked) before a moment."""
        table = console_sessions_table
        moment = _aware(before)
        with self.store._transaction() as conn:
            return int(conn.execute(delete(table).where(
                (table.c.expires_at < moment) | (table.c.revoked_at < moment))).rowcount)


def _signed_in(row: Any) -> SignedIn | None:
    if row.who_key is None:
        return None
    return SignedIn(str(row.id), str(row.who_key), str(row.who or ""), str(row.role or ""), str(row.method or ""),
                    row.created_at, row.seen_at, row.expires_at)
