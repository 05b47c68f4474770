"""The outbox table: a message enqueued in its turn, claimed under a lease, and each result of sending it.

The sender (ivr/outbox) does the sending; this module only moves rows from state
to state, each move in its own short transaction:

    pending -> sending (claimed, leased) -> queued | sent        accepted by Twilio
                                         -> pending               a retry later (backoff)
                                         -> dead                  refused, or too many attempts
                                         -> logged                no Twilio account: logged only
    pending -> cancelled                                          the caller declined it (cancel(), in her turn)
    direct                                                         sent without the database, recorded later
    queued | sent -> delivered | undelivered | failed              Twilio's status callbacks

A claimed row whose lease runs out (its process was killed mid-send) is claimed
again: delivery is at least once. Statuses only move forward, so a callback that
arrives twice or late changes nothing.

A row may wait before its first try (Outgoing.delay): a ticket, and the receipt that mentions
it, wait tickets.decline_seconds, so a caller who declines the ticket in that time cancels the
row (and rewrites the receipt's text) before anything leaves: claim() skips a row until then.

A row whose body holds "next" (the manager SMS: the chain and its place in it) is
followed by another row when it ends undelivered, failed or dead, or is not delivered
by a deadline (overdue()): the store's `escalation` makes that row, in the same
transaction that moves the first one (before its text is blanked), once.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module
from typing import Any, Protocol

from sqlalchemy import Connection, func, select, update

from ivr.store.schema import outbox_table
from ivr.store.statements import Compiled, claim_outbox, driver, outbox_due


@dataclass(frozen=True)
class DirectSend:
    """One message sent directly: enough to record its row, never its number or text."""

    key: str
    kind: str
    channel: str
    session_id: str | None
    sid: str
    at: str  # when it was sent (ISO 8601, with its offset)
    state: str  # DIRECT or LOGGED
    audit: dict[str, Any] | None = None  # the names of its audit events and their data (no numbers)

    @classmethod
    def from_json(cls, line: str) -> DirectSend | None:
        try:
            data = json.loads(line)
            return cls(**{name: data.get(name) for name in cls.__dataclass_fields__})
        except (ValueError, TypeError):
            return None  # a line half-written by a process killed mid-write



# What the outbox needs of the store and of a turn's record, as protocols: store.py builds the OutboxStore
# (store.outbox), so importing store.py from here would tie the two modules in a circle.
class _OpenTurn(Protocol):
    @property
    def conn(self) -> Connection: ...

    @property
    def at(self) -> datetime: ...


class SessionRecord(Protocol):
    """A turn's session record (ivr.store.store.SessionRecord), inside its transaction."""

    @property
    def id(self) -> str: ...

    @property
    def _turn(self) -> _OpenTurn | None: ...


class Store(Protocol):
    """The store (ivr.store.store.Store) as the outbox uses it."""

    @property
    def backend(self) -> str: ...

    @property
    def statements(self) -> Any: ...

    def transaction(self, *, read_only: bool = False) -> AbstractContextManager[Connection]: ...

    def reading(self, via: Any) -> AbstractContextManager[Connection]: ...

    def driver_reading(self, via: Any) -> AbstractContextManager[Any]: ...

    def driver_writing(self, via: Any) -> AbstractContextManager[Any]: ...

    @property
    def compiled(self) -> Any: ...

# Long enough for one REST call with its timeout (ivr/notify.py); a killed sender's row is
# sent again this long after it was claimed.
LEASE = timedelta(seconds=60)
CLAIM_BATCH = 20
# Each state's place on the one way a message goes; a callback never moves a row back.
RANK = {"pending": 0, "sending": 1, "queued": 2, "sent": 3,
        "delivered": 4, "undelivered": 4, "failed": 4, "dead": 4, "logged": 4, "cancelled": 4, "direct": 4}
FINAL = frozenset(state for state, rank in RANK.items() if rank == 4)
ACCEPTED = frozenset({"queued", "sent"})
# A message in these states is not delivered (yet); past its deadline it is followed up.
UNDELIVERED_YET = ("pending", "sending", "queued", "sent")
# ... and in these, never will be.
NOT_DELIVERED = frozenset({"undelivered", "failed", "dead"})
# How far back overdue() looks: a row this much past its deadline is no longer worth a follow-up.
OVERDUE_HORIZON = timedelta(hours=1)
# Twilio's MessageStatus values, as this table keeps them.
TWILIO_STATUS = {"accepted": "queued", "scheduled": "queued", "queued": "queued", "sending": "queued",
                 "sent": "sent", "delivered": "delivered", "read": "delivered", "undelivered": "undelivered",
                 "failed": "failed", "canceled": "failed"}


@dataclass(frozen=True)
class Outgoing:
    """One message a turn decided to send.

    key: the idempotency key, from the conversation and the decision (f"{session}:{kind}:{n}"): a
    second enqueue with the same key adds nothing. audit: the events the sender writes to the
    session's log when the message is accepted or given up: {"sent": kind, "failed": kind,
    "system": ..., "data": {...}} (no phone numbers in data).
    """

    kind: str
    key: str
    target: str
    text: str
    sender: str
    channel: str = "sms"  # "sms", or "call": the line calls `target`, whose call runs the TwiML at `url`
    audit: dict[str, Any] | None = None
    url: str | None = None  # a call's TwiML (an absolute URL of this line's webhooks)
    # Who is texted if this is not delivered (in time): {"chain": [roster person ids], "position": n},
    # n being the target's place in the chain (ivr/outbox/escalation.py). No numbers.
    follow: dict[str, Any] | None = None
    # A ticket's structured fields (channel "ticket", ivr/tickets/delivery.py): blanked with the text once filed.
    ticket: dict[str, Any] | None = None
    # How long after the turn the row is first tried (claim() skips it until then): time to decline a ticket.
    delay: timedelta = timedelta(0)

    def body(self) -> dict[str, Any]:
        """The stored body."""
        return {"from": self.sender, "text": self.text, **({"url": self.url} if self.url else {}),
                **({"audit": self.audit} if self.audit else {}), **({"next": self.follow} if self.follow else {}),
                **({"ticket": self.ticket} if self.ticket else {})}


@dataclass(frozen=True)
class FollowUp:
    """What follows a message that was not delivered: the next one (None: nobody left), and its audit event."""

    message: Outgoing | None
    event: str
    data: dict[str, Any]
    system: str | None = None


class Escalation(Protocol):
    """Who follows an undelivered message (ivr/outbox/escalation.py); the store only keeps the rows."""

    def follow_up(self, body: dict[str, Any], session_id: str | None, reason: str) -> FollowUp | None:
        """Inside the transaction that gives up on the row: the message after it, if any."""

    def followed(self, done: list[tuple[FollowUp, int | None]]) -> None:
        """After that transaction's commit: each follow-up with its new row id (None: already there)."""


@dataclass(frozen=True)
class Claimed:
    """A row claimed for one attempt."""

    id: int
    key: str
    kind: str
    channel: str
    target: str | None
    body: dict[str, Any] | None
    session_id: str | None
    attempts: int
    created_at: datetime


@dataclass(frozen=True)
class Transition:
    """A row's state changed: what metrics count."""

    id: int
    kind: str
    old: str
    new: str


def _claimed(row: Any) -> Claimed:
    return Claimed(int(row.id), row.key, row.kind, row.channel, row.target, row.body, row.session_id,
                   int(row.attempts), row.created_at)


class OutboxStore:
    """The outbox's rows in a Store's database."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.escalation: Escalation | None = None  # set by the app's sender (ivr/outbox)

    def claim(self, now: datetime, ids: list[int] | None = None, limit: int = CLAIM_BATCH) -> list[Claimed]:
        """Take due rows (or these of them) for one attempt each, under a lease; none another sender holds
        (one UPDATE ... RETURNING: statements.claim_outbox says how)."""
        if ids is not None:
            return self._claim_these(now, ids[:limit])
        table = outbox_table
        statement = claim_outbox(select(table.c.id).where(outbox_due()).order_by(table.c.next_attempt_at).limit(limit))
        with self.store.transaction() as conn:
            rows = conn.execute(statement, {"now": now, "lease_until": now + LEASE}).all()
        return sorted((_claimed(row) for row in rows), key=lambda claimed: claimed.id)

    def _claim_these(self, now: datetime, ids: list[int]) -> list[Claimed]:
        """claim() of a turn's own rows, its first try: each by its id, with the same rule, precompiled.

        Why precompiled: the first try runs in the webhook that decided the message, and on SQLAlchemy's
        execute the claim and accepted() were ~30 % of such a turn (the outcome turns, the slowest kind:
        cProfile of bench/inprocess.py, December 2026).
        """
        sql = self.store.compiled
        with self.store.driver_writing(None) as dbapi:
            rows = [row for row_id in ids
                    for row in sql.claim_one.execute(dbapi, {"row": row_id, "now": now, "lease_until": now + LEASE})]
        return sorted((_claimed(row) for row in rows), key=lambda claimed: claimed.id)

    def accepted(self, row_id: int, now: datetime, provider_id: str, state: str) -> Transition | None:
        """The provider took the message (state: queued, sent, or logged); writes its "sent" audit event.

        Precompiled, on the driver's connection: it follows every first try (see _claim_these).
        """
        sql = self.store.compiled
        with self.store.driver_writing(None) as dbapi:
            row = _locked(sql, dbapi, row_id)
            if row is None or row.provider_id not in (None, provider_id):
                return None
            new = state if RANK[state] > RANK[row.state] else row.state
            (sql.accept_row_blanked if new in FINAL else sql.accept_row).execute(
                dbapi, {"row": row_id, "provider_id": provider_id, "state": new, "now": now})
            _audit(sql, dbapi, row, "sent", {"sid": provider_id}, now)
        # "accepted" for metrics: Twilio has it, whatever status it answered; "logged" is no acceptance.
        return Transition(row_id, row.kind, row.state, "accepted" if state in ACCEPTED else state)

    def failed(self, row_id: int, now: datetime, error: str, retry_at: datetime | None) -> Transition | None:
        """An attempt failed: try again at retry_at, or (None) give up, writing the "failed" audit event."""
        with self.store.transaction() as conn:
            row = _locked(self.store.compiled, driver(conn), row_id)
            if row is None or row.state != "sending":
                return None  # a status callback or another sender got there first
            if retry_at is not None:
                conn.execute(update(outbox_table).where(outbox_table.c.id == row_id).values(
                    state="pending", next_attempt_at=retry_at, lease_until=None, last_error=error[:200],
                    updated_at=now))
                return Transition(row_id, row.kind, row.state, "pending")
            done = self._follow_up(conn, row, "dead", now)
            conn.execute(update(outbox_table).where(outbox_table.c.id == row_id).values(
                state="dead", lease_until=None, last_error=error[:200], updated_at=now, **_blanked("dead")))
            _audit(self.store.compiled, driver(conn), row, "failed", {"error": error[:200]}, now)
        self._followed(done)
        return Transition(row_id, row.kind, row.state, "dead")

    def status(self, row_id: int, provider_id: str, twilio_status: str, error: str | None,
               now: datetime) -> Transition | None:
        """Twilio's status callback for a row's message; None when it changes nothing (late, twice, unknown)."""
        new = TWILIO_STATUS.get(twilio_status)
        if new is None or not provider_id:
            return None
        with self.store.transaction() as conn:
            row = _locked(self.store.compiled, driver(conn), row_id)
            # provider_id NULL: the callback beat the REST answer, or that answer was lost in a timeout
            # (the row then waits for a retry): either way Twilio has the message, and nothing is resent.
            if row is None or row.provider_id not in (None, provider_id) or RANK[new] <= RANK[row.state]:
                return None
            done = self._follow_up(conn, row, new, now) if new in NOT_DELIVERED else []
            conn.execute(update(outbox_table).where(outbox_table.c.id == row_id).values(
                state=new, provider_id=provider_id, lease_until=None, updated_at=now,
                last_error=(error or row.last_error or None), **_blanked(new)))
        self._followed(done)
        return Transition(row_id, row.kind, row.state, new)

    def overdue(self, now: datetime, deadline: timedelta) -> int:
        """Follow up every message with a "next" not delivered `deadline` after it was decided; how many.

        Each row in its own transaction, locked and read again there: several workers (or hosts)
        checking at once follow a row up once. A row followed up loses its "next".
        """
        table = outbox_table
        cutoff = now - deadline
        query = (select(table.c.id, table.c.body).where(
            table.c.state.in_(UNDELIVERED_YET), table.c.created_at <= cutoff,
            table.c.created_at > cutoff - OVERDUE_HORIZON).order_by(table.c.id))
        with self.store.transaction(read_only=True) as conn:
            # Only a chain's messages are late (a message followed by a text when given up, like a call-back,
            # is not: a placed call gets no delivery receipt).
            candidates = [int(row.id) for row in conn.execute(query).all()
                          if ((row.body or {}).get("next") or {}).get("chain")]
        count = 0
        for row_id in candidates:
            with self.store.transaction() as conn:
                row = _locked(self.store.compiled, driver(conn), row_id)
                if row is None or row.state not in UNDELIVERED_YET or not (row.body or {}).get("next"):
                    continue  # delivered meanwhile, or another worker followed it up
                done = self._follow_up(conn, row, "late", now)
                conn.execute(update(table).where(table.c.id == row_id).values(
                    body={key: value for key, value in row.body.items() if key != "next"}, updated_at=now))
            self._followed(done)
            count += 1
        return count

    def _follow_up(self, conn: Connection, row: Any, reason: str, now: datetime) -> list[tuple[FollowUp, int | None]]:
        """The message after an undelivered row (enqueued under its own key, so once), and its event."""
        body = row.body or {}
        if self.escalation is None or not body.get("next"):
            return []
        follow = self.escalation.follow_up(body, row.session_id, reason)
        if follow is None:
            return []
        new_id: int | None = None
        if follow.message is not None:
            message = follow.message
            new_id = conn.execute(self.store.statements.enqueue, {
                "key": message.key, "kind": message.kind, "channel": message.channel, "target": message.target,
                "body": message.body(), "session_id": row.session_id, "at": now,
                "next_at": now + message.delay}).scalar()
        if new_id is not None or follow.message is None:  # a replay that found its row writes no event again
            _event(self.store.compiled, driver(conn), row.session_id, follow.event, follow.system, follow.data, now,
                   row.channel)
        return [(follow, None if new_id is None else int(new_id))]

    def _followed(self, done: list[tuple[FollowUp, int | None]]) -> None:
        if done and self.escalation is not None:
            self.escalation.followed(done)

    def by_key(self, key: str, via: SessionRecord | None = None) -> dict[str, Any] | None:
        """One row by its idempotency key (a ticket's note reads its incident ticket's id and state).

        via: a turn's record, to read in that turn's transaction (a RING reads its call-back's state).
        """
        with self.store.reading(via) as conn:
            row = conn.execute(select(outbox_table).where(outbox_table.c.key == key)).first()
        return None if row is None else dict(row._mapping)

    def owner(self, key: str, via: SessionRecord) -> str | None:
        """The conversation that decided a row (by its key), read in this turn's transaction (a replay finds
        itself): a ticket's note or not (ivr/tickets/filing.py)."""
        with self.store.driver_reading(via) as dbapi:
            found = self.store.compiled.outbox_owner.execute(dbapi, {"key": key}).first()
        return None if found is None else found.session_id

    def ticket_keys(self, record: SessionRecord) -> list[str]:
        """The keys of the ticket rows this conversation decided (its own, or its incident's), in its turn."""
        with self.store.driver_reading(record) as dbapi:
            return [key for (key,) in self.store.compiled.ticket_keys.execute(dbapi, {"session_id": record.id})]

    def record_direct(self, sent: list[DirectSend], now: datetime) -> int:
        """Rows for messages the fault policy sent without the database (ivr/outbox/direct.py); how many were new.

        Each is final at once ("direct", or "logged"), blanked (no number, no text), under its key: a
        replayed webhook that enqueues the same key adds nothing and sends nothing. Its "sent" audit
        event, which the turn without the database could not store, is written with a new row.
        """
        # The backend's own dialect module, imported here: at the top it put SQLAlchemy's PostgreSQL dialect
        # into every SQLite worker (~10 ms of start-up, ~2.4 MiB; bench/README.md, December 2026).
        dml = import_module(f"sqlalchemy.dialects.{self.store.backend}")  # "sqlite" or "postgresql"
        added = 0
        with self.store.transaction() as conn:
            for message in sent:
                at = datetime.fromisoformat(message.at)
                statement = (dml.insert(outbox_table).values(
                    key=message.key[:200], kind=message.kind[:20], channel=message.channel[:10], target=None,
                    body=None, session_id=(message.session_id or None) and message.session_id[:100],
                    created_at=at, updated_at=now, state=message.state if message.state in RANK else "direct",
                    attempts=1, next_attempt_at=at, provider_id=message.sid[:64] or None)
                    .on_conflict_do_nothing(index_elements=[outbox_table.c.key]).returning(outbox_table.c.id))
                if conn.execute(statement).scalar() is None:
                    continue  # recorded already (by another process), or a turn enqueued the key meanwhile
                added += 1
                audit = message.audit or {}
                if audit.get("sent"):
                    _event(self.store.compiled, driver(conn), message.session_id, str(audit["sent"]),
                           audit.get("system"), {**(audit.get("data") or {}), "sid": message.sid, "direct": True},
                           at, message.channel)
        return added

    def enqueue_alone(self, message: Outgoing, now: datetime, session_id: str | None = None) -> int | None:
        """A row decided outside any caller's turn (an alert of the sender's own); None if its key is there."""
        added = self.enqueue_many([message], now, session_id)
        return added[0] if added else None

    def enqueue_many(self, messages: list[Outgoing], now: datetime, session_id: str | None = None) -> list[int]:
        """Rows decided outside any caller's turn (an admin alert), in one transaction; the ids of the new ones."""
        added: list[int] = []
        with self.store.transaction() as conn:
            for message in messages:
                row_id = conn.execute(self.store.statements.enqueue, {
                    "key": message.key, "kind": message.kind, "channel": message.channel, "target": message.target,
                    "body": message.body(), "session_id": session_id, "at": now,
                    "next_at": now + message.delay}).scalar()
                if row_id is not None:
                    added.append(int(row_id))
        return added

    def cancel(self, record: SessionRecord, key: str) -> bool:
        """In the caller's turn: give up a row of hers not tried yet (state "cancelled", blanked); False when
        there is none (no such row, another conversation's, or already claimed or sent: too late)."""
        turn = record._turn
        if turn is None:
            raise RuntimeError("cancel() only works inside Store.session()")
        table = outbox_table
        done = turn.conn.execute(update(table).where(
            table.c.key == key, table.c.session_id == record.id, table.c.state == "pending").values(
            state="cancelled", target=None, body=None, lease_until=None, updated_at=turn.at).returning(table.c.id))
        return done.first() is not None

    def revise(self, record: SessionRecord, key: str, text: str) -> bool:
        """In the caller's turn: a new text for a row of hers not tried yet; False when it has gone (or is none)."""
        turn = record._turn
        if turn is None:
            raise RuntimeError("revise() only works inside Store.session()")
        table = outbox_table
        found = turn.conn.execute(select(table.c.id, table.c.body).where(
            table.c.key == key, table.c.session_id == record.id, table.c.state == "pending")
            .with_for_update()).first()
        if found is None:
            return False
        turn.conn.execute(update(table).where(table.c.id == found.id, table.c.state == "pending").values(
            body={**(found.body or {}), "text": text}, updated_at=turn.at))
        return True

    def waiting(self, channel: str, older_than: datetime) -> list[dict[str, Any]]:
        """Rows of a channel not sent yet and decided before a moment, oldest first."""
        query = (select(outbox_table.c.id, outbox_table.c.kind, outbox_table.c.created_at, outbox_table.c.last_error)
                 .where(outbox_table.c.channel == channel, outbox_table.c.state.in_(("pending", "sending")),
                        outbox_table.c.created_at <= older_than).order_by(outbox_table.c.id))
        with self.store.transaction(read_only=True) as conn:
            return [dict(row._mapping) for row in conn.execute(query).all()]

    def pending_counts(self) -> dict[str, int]:
        """Rows not sent yet, by channel (/metrics and the console's Nu)."""
        query = (select(outbox_table.c.channel, func.count()).where(
            outbox_table.c.state.in_(("pending", "sending"))).group_by(outbox_table.c.channel))
        with self.store.transaction(read_only=True) as conn:
            return {str(channel): int(count) for channel, count in conn.execute(query).all()}

    def rows(self, *, state: str | None = None, session_id: str | None = None,
             limit: int = 100) -> list[dict[str, Any]]:
        """Rows newest first, for `ivr outbox list` and `ivr lookup`."""
        query = select(outbox_table).order_by(outbox_table.c.id.desc()).limit(limit)
        if state is not None:
            query = query.where(outbox_table.c.state == state)
        if session_id is not None:
            query = query.where(outbox_table.c.session_id == session_id)
        with self.store.transaction(read_only=True) as conn:
            return [dict(row._mapping) for row in conn.execute(query).all()]


def _locked(sql: Compiled, dbapi: Any, row_id: int) -> Any:
    """A row, locked for this transaction (PostgreSQL; SQLite's BEGIN IMMEDIATE already holds the database)."""
    return sql.outbox_row.execute(dbapi, {"row": row_id}).first()


def _blanked(state: str) -> dict[str, Any]:
    """A message in a final state needs neither its number nor its text (which may hold the caller's)."""
    return {"target": None, "body": None} if state in FINAL else {}


def _audit(sql: Compiled, dbapi: Any, row: Any, which: str, extra: dict[str, Any], now: datetime) -> None:
    """Write the row's "sent" or "failed" event to its session's log, as the deciding turn would have."""
    audit = (row.body or {}).get("audit") or {}
    kind = audit.get(which)
    if kind:
        _event(sql, dbapi, row.session_id, kind, audit.get("system"), {**(audit.get("data") or {}), **extra}, now,
               row.channel)


def _event(sql: Compiled, dbapi: Any, session_id: str | None, kind: str, system: str | None, data: dict[str, Any],
           now: datetime, fallback_channel: str) -> None:
    """One event in a session's log, written outside its turns (the session may be gone: then seq 0).

    Precompiled, on the driver's connection of the transaction (under SQLAlchemy's: statements.driver).
    """
    if session_id is None:
        return
    session = sql.session_meta.execute(dbapi, {"session_id": session_id}).first()
    seq, channel, key = (session.seq, session.channel, session.caller_key) if session else (0, fallback_channel, None)
    sql.insert_event.execute(dbapi, {"session_id": session_id, "seq": seq, "at": now, "kind": kind,
                                     "channel": channel, "system": system, "data": data, "caller_key": key})
