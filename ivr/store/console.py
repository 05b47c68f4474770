"""What the /admin console keeps and reads: sign-in codes, attempt counts, its audit events, the line's state now.

Every query goes through the Store's one transaction path (Store._connection, on Store._transaction), so the
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

from flows.events import system_of
from ivr.store.outbox import Outgoing
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


CONVERSATION_CHANNELS = ("voice", "sms")  # the callers' channels (not "admin", "test")
PEOPLE_CHANNELS = (ADMIN_CHANNEL, "test")  # what people did: the console, the manager's words, test calls
START_KINDS = ("call_started", "sms_started")  # flows.events: a conversation begins (an SMS session holds many)


@dataclass(frozen=True)
class Conversation:
    """One call or SMS conversation: its events from its start event to the next one of its session."""

    id: int  # its start event's id: the call log's address for it (never the number, never a CallSid)
    session_id: str
    channel: str
    started_at: datetime
    last_at: datetime
    events: tuple[dict[str, Any], ...]
    caller_key: str | None
    ref: str | None  # the receipt's code, when the session's latest conversation carried one
    latest: bool = True  # the session's latest conversation (the session's number and state are its)
    next_at: datetime | None = None  # when the session's next conversation began (an SMS sender's next one)

    @property
    def system(self) -> str | None:
        """The system chosen last (a caller may go back to the menu); a resumed call's from its first event."""
        return system_of(self.events)

    @property
    def outcome(self) -> str | None:
        """The outcome's code, or None when the conversation ended (or goes on) without one."""
        found = [event["data"].get("outcome") for event in self.events if event["kind"] == "outcome"]
        return str(found[-1]) if found and found[-1] else None


@dataclass(frozen=True)
class ConsoleStore:
    """The console's reads and writes on the line's store."""

    store: Store

    def save_code(self, number_key: str, code_hash: str, expires_at: datetime,
                  message: Outgoing | None = None, now: datetime | None = None) -> int | None:
        """Keep a new code for a number, replacing any earlier one (only the newest works); with `message`, its
        text queued in the outbox in the same transaction. The outbox row's id (None: no message)."""
        _check_length("number key", number_key, 64)
        with self.store._connection() as conn:
            conn.execute(delete(admin_codes_table).where(admin_codes_table.c.number_key == number_key))
            conn.execute(insert(admin_codes_table).values(number_key=number_key, code_hash=code_hash,
                                                          expires_at=_aware(expires_at), wrong_tries=0))
            if message is None:
                return None
            moment = _aware(now or expires_at)
            row_id = conn.execute(self.store.statements.enqueue, {
                "key": message.key, "kind": message.kind, "channel": message.channel, "target": message.target,
                "body": message.body(), "session_id": None, "at": moment, "next_at": moment + message.delay}).scalar()
        return None if row_id is None else int(row_id)

    def take_code(self, number_key: str, code_hash: str, now: datetime, max_wrong: int) -> CodeCheck:
        """Use a code once: the right one is deleted as it is accepted; max_wrong wrong ones delete it too."""
        table = admin_codes_table
        with self.store._connection() as conn:
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
        with self.store._connection() as conn:
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
        with self.store._connection() as conn:
            conn.execute(insert(events_table).values(
                session_id=admin_session_id(who_key), seq=0, at=_aware(now), kind=kind, channel=ADMIN_CHANNEL,
                system=system, data={"by": who, **(data or {})}, caller_key=who_key))

    def calls_in_progress(self, since: datetime) -> list[dict[str, Any]]:
        """Voice sessions with a caller's turn since a moment and no outcome yet: their state."""
        table = sessions_table
        with self.store._connection(read_only=True) as conn:
            rows = conn.execute(select(table.c.id, table.c.data, table.c.updated_at)
                                .where(table.c.channel == "voice", table.c.updated_at >= _aware(since),
                                       table.c.data.is_not(None))).all()
        return [{"id": row.id, "data": row.data, "updated_at": row.updated_at} for row in rows]

    def last_activity(self) -> datetime | None:
        """When a webhook last stored a turn (the newest session update or event)."""
        with self.store._connection(read_only=True) as conn:
            session_at = conn.execute(select(func.max(sessions_table.c.updated_at))).scalar_one()
            event_at = conn.execute(select(func.max(events_table.c.at))
                                    .where(events_table.c.channel != ADMIN_CHANNEL)).scalar_one()
        # func.max keeps the column's type: both come back as aware UTC datetimes.
        found: list[datetime] = [moment for moment in (session_at, event_at) if moment is not None]
        return max(found) if found else None

    # -- the call log and the history (ivr/admin/calls.py, ivr/admin/history.py) ----------------------------

    def conversations(self, since: datetime, until: datetime, limit: int = 2000) -> list[Conversation]:
        """Calls and SMS conversations that began in [since, until), newest first (at most `limit`).

        Read from the events: a voice session is one call; an SMS session (one per sender) holds every
        conversation of that sender, each from its sms_started event on.
        """
        table = events_table
        with self.store._connection(read_only=True) as conn:
            starts = conn.execute(select(table.c.id, table.c.session_id).where(
                table.c.channel.in_(CONVERSATION_CHANNELS), table.c.kind.in_(START_KINDS),
                table.c.at >= _aware(since), table.c.at < _aware(until)).order_by(table.c.id.desc())
                .limit(limit)).all()
            if not starts:
                return []
            found = self._conversations(conn, {int(row.id) for row in starts},
                                        sorted({str(row.session_id) for row in starts}))
        return sorted(found, key=lambda conversation: conversation.id, reverse=True)

    def conversation(self, start_id: int) -> Conversation | None:
        """One conversation by its start event's id."""
        table = events_table
        with self.store._connection(read_only=True) as conn:
            row = conn.execute(select(table.c.session_id).where(
                table.c.id == start_id, table.c.kind.in_(START_KINDS),
                table.c.channel.in_(CONVERSATION_CHANNELS))).first()
            if row is None:
                return None
            found = self._conversations(conn, {start_id}, [str(row.session_id)])
        return found[0] if found else None

    def _conversations(self, conn: Any, wanted: set[int], session_ids: list[str]) -> list[Conversation]:
        """The wanted conversations of these sessions: each session's events cut at its start events."""
        table = events_table
        found: list[Conversation] = []
        for chunk in range(0, len(session_ids), 400):  # well under every database's bound on parameters
            ids = session_ids[chunk:chunk + 400]
            rows = conn.execute(select(table).where(table.c.session_id.in_(ids)).order_by(table.c.id)).all()
            refs = dict(conn.execute(select(sessions_table.c.id, sessions_table.c.ref)
                                     .where(sessions_table.c.id.in_(ids))).all())
            by_session: dict[str, list[Any]] = {}
            for row in rows:
                by_session.setdefault(str(row.session_id), []).append(row)
            for session_id, mine in by_session.items():
                cuts = [index for index, row in enumerate(mine) if row.kind in START_KINDS]
                for number, index in enumerate(cuts):
                    start = mine[index]
                    if int(start.id) not in wanted:
                        continue
                    last_one = number + 1 == len(cuts)
                    part = mine[index:len(mine) if last_one else cuts[number + 1]]
                    found.append(Conversation(
                        id=int(start.id), session_id=session_id, channel=str(start.channel), started_at=start.at,
                        last_at=part[-1].at, events=tuple(_event(row) for row in part),
                        caller_key=next((str(row.caller_key) for row in part if row.caller_key), None),
                        # The session keeps the latest receipt's code only: it belongs to its last conversation.
                        ref=refs.get(session_id) if last_one else None, latest=last_one,
                        next_at=None if last_one else mine[cuts[number + 1]].at))
        return found

    def latest_starts(self, session_ids: list[str]) -> dict[str, int]:
        """Each session's latest conversation (its start event's id): *Nu* links a call in progress to it."""
        if not session_ids:
            return {}
        table = events_table
        with self.store._connection(read_only=True) as conn:
            rows = conn.execute(select(table.c.session_id, func.max(table.c.id)).where(
                table.c.session_id.in_(session_ids[:400]), table.c.kind.in_(START_KINDS))
                .group_by(table.c.session_id)).all()
        return {str(session_id): int(start) for session_id, start in rows}

    def history(self, since: datetime, until: datetime, limit: int = 1000) -> list[dict[str, Any]]:
        """What people did (channel "admin": the console's audit, the manager's SMS words, IT-beredskapen's key;
        channel "test": a test call answered) in [since, until), newest first."""
        table = events_table
        with self.store._connection(read_only=True) as conn:
            rows = conn.execute(select(table).where(
                table.c.channel.in_(PEOPLE_CHANNELS), table.c.at >= _aware(since), table.c.at < _aware(until))
                .order_by(table.c.id.desc()).limit(limit)).all()
        return [_event(row) for row in rows]

    # -- server-side sessions (ivr/admin/sessions.py) ------------------------------------------------------

    def session(self, session_id: str, now: datetime) -> LiveSession | None:
        """The session under an id if it is alive (not revoked, not expired)."""
        table = console_sessions_table
        with self.store._connection(read_only=True) as conn:
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
        with self.store._connection() as conn:
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
        with self.store._connection() as conn:
            conn.execute(update(table).where(table.c.id == session_id).values(seen_at=_aware(now)))

    def revoke_session(self, session_id: str, now: datetime) -> bool:
        """End a session now (sign-out, or an admin ending another's): its cookie opens nothing after this."""
        table = console_sessions_table
        with self.store._connection() as conn:
            return bool(conn.execute(update(table).where(table.c.id == session_id, table.c.revoked_at.is_(None))
                                     .values(revoked_at=_aware(now))).rowcount)

    def signed_in(self, now: datetime) -> list[SignedIn]:
        """Everyone signed in now, newest first ("Inloggade nu")."""
        table = console_sessions_table
        with self.store._connection(read_only=True) as conn:
            rows = conn.execute(select(table).where(table.c.who_key.is_not(None), table.c.revoked_at.is_(None),
                                                   table.c.expires_at > _aware(now))
                                .order_by(table.c.created_at.desc())).all()
        return [person for person in map(_signed_in, rows) if person is not None]

    def purge_sessions(self, before: datetime, *, dry_run: bool = False) -> int:
        """Delete sessions that ended (expired or revoked) before a moment (`ivr purge`); dry_run: count only."""
        table = console_sessions_table
        moment = _aware(before)
        ended = (table.c.expires_at < moment) | (table.c.revoked_at < moment)
        with self.store._connection(read_only=dry_run) as conn:
            if dry_run:
                return int(conn.execute(select(func.count()).select_from(table).where(ended)).scalar_one())
            return int(conn.execute(delete(table).where(ended)).rowcount)


def _event(row: Any) -> dict[str, Any]:
    """An events row as Store.events() gives it."""
    return {"id": int(row.id), "session_id": str(row.session_id), "at": row.at, "kind": str(row.kind),
            "channel": str(row.channel), "system": row.system, "data": dict(row.data or {}),
            "caller_key": row.caller_key}


def _signed_in(row: Any) -> SignedIn | None:
    if row.who_key is None:
        return None
    return SignedIn(str(row.id), str(row.who_key), str(row.who or ""), str(row.role or ""), str(row.method or ""),
                    row.created_at, row.seen_at, row.expires_at)
