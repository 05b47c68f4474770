"""Session store: one row per call or SMS conversation, an event log, processed webhooks."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Engine, Row, create_engine, delete, event, func, insert, select, update
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError, StatementError

from flows.events import EventKind
from ivr.store import migrate, outage, statements
from ivr.store.connections import Connections, Held
from ivr.store.outbox import OutboxStore, Outgoing
from ivr.store.schema import (
    admin_attempts_table,
    admin_codes_table,
    announcements_table,
    dumps,
    events_table,
    incident_callers_table,
    incident_reporters_table,
    incident_runs_table,
    incidents_table,
    oncall_overrides_table,
    outbox_table,
    pin_guesses_table,
    processed_messages_table,
    sessions_table,
)
from ivr.store.statements import Compiled, Statements

__all__ = ["SessionRecord", "StaleSession", "Store", "StoreError", "sessions_table"]

# Seconds a SQLite writer waits (SQLite's busy handler) for another process's transaction before failing.
SQLITE_BUSY_TIMEOUT_S = 10
# IMMEDIATE takes SQLite's write lock up front: a read-modify-write cannot interleave with
# another process's, and there is no lock upgrade to fail with SQLITE_BUSY.
SQLITE_BEGIN_WRITE = "BEGIN IMMEDIATE"
# libpq's own limit on a connect outside a request (the commands); a webhook's waits end sooner, at its
# deadline (ivr/store/outage.py), which libpq's 2 s minimum could not give.
PG_CONNECT_TIMEOUT_S = 5
# Any constant will do: it only has to be the same in every process running upgrade().
PG_UPGRADE_LOCK = 0x1F5E_1DE5


# Audit events of the people who run the line (not a caller's conversation) go under this session id;
# `ivr report` leaves "admin:" sessions out.
ADMIN_ONCALL_SESSION = "admin:oncall"

# A report refreshes its reporter's and its run's time at most this often: the window is half an
# hour, so a minute's staleness changes no count that matters, and a busy system's rows are
# not rewritten on every answer.
REPORT_REFRESH = timedelta(minutes=1)
# A record's seq before a turn that did not read its row (Store.session's expect) has written it.
UNREAD_SEQ = -1
HIDDEN_CALLER = "hidden"  # the one key every hidden number's wrong staff codes are counted under

log = logging.getLogger(__name__)


class StoreError(RuntimeError):
    """The database is unreachable or failing."""


class StaleSession(Exception):
    """A turn written without reading its session found the row changed: rolled back, to run again on a read."""


@dataclass
class SessionRecord:
    """One session as read inside a transaction; change `data`, queue events, set `delete`."""

    id: str
    channel: str
    caller: str | None
    data: dict[str, Any] | None  # None: a new session
    seq: int
    created_at: datetime | None
    updated_at: datetime | None
    events: list[tuple[str, dict[str, Any], str | None]] = field(default_factory=list)
    delete: bool = False
    caller_key: str | None = None  # pseudonym written on this turn's events
    ref: str | None = None  # the code on the call's SMS receipt, found by `ivr lookup`
    # Set by Store.session() for the life of its transaction only: reads and claims of the
    # same turn run on its connection (no second transaction).
    _turn: _Turn | None = field(default=None, repr=False, compare=False)
    # The outbox rows the turn added (set as its transaction ends) and the messages it queued, in order:
    # sent directly if that transaction fails to commit after the turn's answer was built.
    turn_enqueued: list[int] = field(default_factory=list, repr=False, compare=False)
    queued: list[Outgoing] = field(default_factory=list, repr=False, compare=False)

    def add_event(
        self, kind: str, data: dict[str, Any] | None = None, system: str | None = None
    ) -> None:
        """Queue an event, written with the session in the same transaction."""
        _check_length("event kind", kind, 40)
        if system is not None:
            _check_length("event system", system, 40)
        self.events.append((kind, dict(data or {}), system))

    @property
    def in_turn(self) -> bool:
        """True inside Store.session(): the turn's transaction is open (never for a turn without its database)."""
        return self._turn is not None

    def claim(self, sid: str) -> bool:
        """Mark a webhook's MessageSid as processed; False if it already was (a retry)."""
        if self._turn is None:
            raise RuntimeError("claim() only works inside Store.session()")
        _check_length("message sid", sid, 64)
        turn = self._turn
        claimed = turn.sql.claim.execute(turn.dbapi, {"sid": sid, "session_id": self.id, "at": turn.at}).first()
        return claimed is not None


_UNSET: Any = object()


class _UnreadRecord(SessionRecord):
    """A session whose row was not read as its turn began (Store.session's expect): the turn holds its data.

    Its seq and receipt code are read from the row only if something in the turn asks for them before
    setting them (the ticket's decline, a receipt rewritten): most turns never do.
    """

    _seq: Any = _UNSET
    _ref: Any = _UNSET

    @classmethod
    def start(cls, session_id: str, channel: str, caller: str | None) -> _UnreadRecord:
        record = cls(id=session_id, channel=channel, caller=caller, data=None, seq=UNREAD_SEQ, created_at=None,
                     updated_at=None)
        record._seq = record._ref = _UNSET  # unknown until read (or set by the turn)
        return record

    def _read(self, name: str) -> Any:
        value = getattr(self, name)
        if value is _UNSET:
            seq, ref = UNREAD_SEQ, None
            if self._turn is not None:
                row = self._turn.sql.select_session.execute(self._turn.dbapi, {"id": self.id}).first()
                if row is not None:
                    seq, ref = int(row.seq), row.ref
            if self._seq is _UNSET:
                self._seq = seq
            if self._ref is _UNSET:
                self._ref = ref
            value = getattr(self, name)
        return value

    @property
    def seq(self) -> int:
        return int(self._read("_seq"))

    @seq.setter
    def seq(self, value: int) -> None:
        self._seq = value

    @property
    def ref(self) -> str | None:
        return cast(str | None, self._read("_ref"))

    @ref.setter
    def ref(self, value: str | None) -> None:
        self._ref = value


class _Turn:
    """An open session's transaction: its driver connection, the database's statements, the turn's moment."""

    __slots__ = ("held", "sql", "at", "enqueued", "_engine", "_conn")

    def __init__(self, held: Held, engine: Engine, sql: Compiled, at: datetime) -> None:
        self.held = held
        self.sql = sql
        self.at = at
        self.enqueued: list[int] = []  # outbox rows this turn added, tried after its commit
        self._engine = engine
        self._conn: Connection | None = None

    @property
    def dbapi(self) -> Any:
        """The driver's connection: the precompiled statements run on it."""
        return self.held.dbapi

    @property
    def conn(self) -> Connection:
        """SQLAlchemy's Connection in the same transaction, for a statement not precompiled (made on first use:
        most turns run precompiled statements only)."""
        if self._conn is None:
            self._conn = self.held.connection(self._engine)
        return self._conn


class Store:
    """Sessions, events and processed webhooks in SQLite or PostgreSQL."""

    durable = True  # what a turn writes is kept (ivr/store/null.py's store, without the database, is not)

    def __init__(self, url: str, *, echo: bool = False) -> None:
        """Create the engine (no connection is made until first use)."""
        try:
            parsed = make_url(url)
        except SQLAlchemyError:
            # SQLAlchemy's message quotes the URL, password and all.
            raise StoreError(
                "invalid database URL: expected sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"
            ) from None
        backend = parsed.get_backend_name()
        if backend not in ("sqlite", "postgresql"):
            raise StoreError(f"unsupported database {backend!r}: use sqlite or postgresql")
        kwargs: dict[str, Any] = {}
        if backend == "sqlite":
            database = parsed.database or ""
            if database in ("", ":memory:") or parsed.query.get("mode") == "memory":
                # Each pooled connection would get its own empty database.
                raise StoreError("in-memory SQLite is not supported: give a file path")
            if not parsed.query.get("uri"):
                try:
                    Path(database).parent.mkdir(parents=True, exist_ok=True)
                except OSError:
                    pass  # connecting will fail with SQLite's own message, as a StoreError
            kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_S}
        else:
            if "connect_timeout" not in parsed.query:
                kwargs["connect_args"] = {"connect_timeout": PG_CONNECT_TIMEOUT_S}
            # No pool_pre_ping: _checkout()'s BEGIN finds a dead connection, under the request's deadline.
            kwargs["json_serializer"] = dumps  # JSONB gets the same compact, readable text as SQLite
        try:
            # Parameters hold callers' phone numbers: keep them out of errors and logs.
            self.engine: Engine = create_engine(parsed, echo=echo, hide_parameters=True, **kwargs)
        except (SQLAlchemyError, ImportError) as exc:
            # ImportError: a driver that is not installed, e.g. psycopg2 for plain postgresql://.
            raise StoreError(f"cannot use database URL {_masked(parsed)}: {exc}") from exc
        self.backend = backend
        # Observers (ivr/metrics.py): a committed turn's events, and each database failure. Never raise.
        self.on_commit: Callable[[list[tuple[str, dict[str, Any], str | None]]], None] | None = None
        self.on_error: Callable[[], None] | None = None
        # The outbox sender's first try (ivr/outbox): the rows a committed turn added. Never raises.
        self.on_enqueued: Callable[[list[int]], None] | None = None
        # Before each turn's transaction: record the messages sent without the database (ivr/outbox/direct.py).
        self.before_turn: Callable[[], None] | None = None
        self.outbox = OutboxStore(self)
        self._sql = statements.for_backend(backend)
        self._fast = statements.precompiled(backend, self.engine.dialect)  # the turn's, on the driver's cursor
        # pool.connect() may raise the driver's own error for a failed connect, unwrapped.
        self._driver_error: type[Exception] = self.engine.dialect.loaded_dbapi.Error
        self.outage = outage.Outage()  # this process's memory that PostgreSQL does not answer
        self._held = Connections(self.engine)  # every transaction's connection (ivr/store/connections.py)
        # SQLAlchemy's Connection over a transaction the store began itself: its begin sends nothing.
        self._begun: Engine = self.engine.execution_options(ivr_begun=True)
        if backend == "sqlite":
            _configure_sqlite(self.engine)
        else:
            _connect_within_deadline(self.engine)
            _configure_postgresql(self.engine)

    @property
    def url(self) -> str:
        """The database URL with any password masked."""
        return self.engine.url.render_as_string(hide_password=True)

    def upgrade(self) -> str:
        """Run the schema migrations up to this program's head; safe to run again. The revision."""
        try:
            with self._connection() as conn:
                if self.backend == "postgresql":
                    # Two processes starting at once must not both migrate: the second waits
                    # here, then finds the schema at head. Held until this transaction ends.
                    conn.execute(select(func.pg_advisory_xact_lock(PG_UPGRADE_LOCK)))
                return migrate.upgrade(conn)
        except migrate.MigrationError as exc:
            raise StoreError(str(exc)) from None

    def check_schema(self) -> str:
        """The schema's revision if the database answers and is at the head migration; else StoreError."""
        with self._connection(read_only=True) as conn:
            revision = migrate.current(conn)
        if revision != migrate.head():
            # E.g. a database dropped and recreated empty: every webhook would fail.
            raise StoreError(f"database schema at {revision or 'no revision'}, this program needs {migrate.head()}")
        return revision

    def ping(self) -> None:
        """Check that the database answers."""
        with self._connection(read_only=True) as conn:
            conn.execute(select(1)).scalar_one()

    @contextmanager
    def session(
        self, session_id: str, channel: str, now: datetime, caller: str | None = None,
        expect: dict[str, Any] | None = None,
    ) -> Iterator[SessionRecord]:
        """Lock and read a session, yield it, then save it and its events in one transaction.

        expect: the session's data as the caller already holds it (a call's carried state). The row is
        then not read: the record comes without data, caller or seq, and the turn's write goes through
        only if the row still holds exactly `expect`; otherwise the transaction is rolled back and
        StaleSession raised, and the caller runs the turn again without `expect` (the locked read).
        """
        _check_length("session id", session_id, 100)
        _check_length("channel", channel, 10)
        if caller is not None:
            _check_length("caller", caller, 32)
        sql = self._fast
        at = _aware(now)  # the turn's one moment
        if self.before_turn is not None:
            self.before_turn()  # never raises; a no-op unless a direct send waits to be recorded
        with self._transaction() as held:
            dbapi = held.dbapi
            if expect is None:
                # SQLite: BEGIN IMMEDIATE already holds the database's write lock, so a plain read
                # is enough. PostgreSQL: an upsert that creates a missing row and row-locks it.
                row = sql.lock_session.execute(dbapi, {"id": session_id, "channel": channel, "caller": caller,
                                                       "now": at}).first()
                is_new, row_exists = row is None or row.data is None, row is not None
                record = _record(session_id, row, channel, caller)
            else:
                # The write below locks the row (PostgreSQL) or runs under BEGIN IMMEDIATE's lock (SQLite).
                is_new, row_exists = False, True
                record = _UnreadRecord.start(session_id, channel, caller)
            turn = record._turn = _Turn(held, self._begun, sql, at)
            try:
                yield record
            finally:
                record.turn_enqueued = turn.enqueued
                record._turn = None  # the transaction is gone once this block ends
            self._save(dbapi, record, at, is_new, row_exists=row_exists, expect=expect)
        if self.on_commit is not None and record.events:
            self.on_commit(record.events)  # committed: only now did these happen
        if self.on_enqueued is not None and record.turn_enqueued:
            self.on_enqueued(list(record.turn_enqueued))  # committed: now they may go out

    @contextmanager
    def other_session(self, via: SessionRecord, session_id: str, channel: str,
                      caller: str | None = None) -> Iterator[SessionRecord]:
        """Lock, read and save a second session inside an open session's transaction.

        A call handed over to SMS writes the SMS conversation in the call's own turn:
        both are saved, or neither. (A second transaction would wait on SQLite for the
        write lock this turn already holds.)
        """
        turn = via._turn
        if turn is None:
            raise RuntimeError("other_session() only works inside Store.session()")
        _check_length("session id", session_id, 100)
        if caller is not None:
            _check_length("caller", caller, 32)
        row = turn.sql.lock_session.execute(turn.dbapi, {"id": session_id, "channel": channel, "caller": caller,
                                                        "now": turn.at}).first()
        record = _record(session_id, row, channel, caller)
        record._turn = turn
        try:
            yield record
        finally:
            record._turn = None
        self._save(turn.dbapi, record, turn.at, row is None or row.data is None, row_exists=row is not None)

    def latest_by_caller(self, caller_key: str, channel: str, since: datetime, exclude: str,
                         via: SessionRecord | None = None) -> tuple[str, dict[str, Any]] | None:
        """A caller's latest session of a channel updated since a moment (not `exclude`): its id and data."""
        with self._driver(via, read_only=True) as dbapi:
            row = self._fast.latest_by_caller.execute(dbapi, {"caller_key": caller_key, "channel": channel,
                                                             "since": _aware(since), "exclude": exclude}).first()
        return None if row is None or row.data is None else (str(row.id), dict(row.data))

    def get(self, session_id: str) -> SessionRecord | None:
        """Read a session without locking it; None if there is none."""
        with self._transaction(read_only=True) as held:
            row = self._fast.select_session.execute(held.dbapi, {"id": session_id}).first()
        return None if row is None else _record(session_id, row, row.channel, None)

    def sessions_by_ref(self, ref: str) -> list[SessionRecord]:
        """The sessions whose receipt carried this code, oldest first (one indexed range; usually one)."""
        with self._connection(read_only=True) as conn:
            rows = conn.execute(self._sql.select_by_ref, {"ref": ref}).all()
        return [_record(row.id, row, row.channel, None) for row in rows]

    def events(self, session_id: str | None = None) -> list[dict[str, Any]]:
        """Events in the order written, for one session or all."""
        query = select(events_table).order_by(events_table.c.id)
        if session_id is not None:
            query = query.where(events_table.c.session_id == session_id)
        with self._connection(read_only=True) as conn:
            rows = conn.execute(query).all()
        return [
            {
                "id": row.id,
                "session_id": row.session_id,
                "seq": row.seq,
                "at": row.at,
                "kind": row.kind,
                "channel": row.channel,
                "system": row.system,
                "data": row.data,
                "caller_key": row.caller_key,
            }
            for row in rows
        ]

    def dispose(self) -> None:
        """Close every idle connection: the store's own (ivr/store/connections.py) and the engine's pool."""
        self._held.close_all()
        self.engine.dispose()

    def _save(self, dbapi: Any, record: SessionRecord, at: datetime, is_new: bool, row_exists: bool,
              expect: dict[str, Any] | None = None) -> None:
        """Write the session row (or delete it) and append its queued events.

        expect: the row was not read (Store.session); written only if it still holds this data, else StaleSession.
        """
        sql = self._fast
        if expect is not None:
            seq = self._save_unread(dbapi, record, at, expect)
        else:
            seq = record.seq + 1
            self._write_row(dbapi, record, at, seq, is_new, row_exists)
        if record.events:
            # One executemany for the turn's events.
            sql.insert_event.execute_many(dbapi, [
                {"session_id": record.id, "seq": seq, "at": at, "kind": kind, "channel": record.channel,
                 "system": system, "data": data, "caller_key": record.caller_key}
                for kind, data, system in record.events])

    def _save_unread(self, dbapi: Any, record: SessionRecord, at: datetime, expect: dict[str, Any]) -> int:
        """The conditional write of a session not read this turn; its new seq, or StaleSession (nothing written)."""
        sql = self._fast
        if record.delete or record.data is None:
            row = sql.delete_unread.execute(dbapi, {"id": record.id, "expect": expect}).first()
        else:
            ref = record.__dict__.get("_ref")  # set by this turn, or None: the row keeps its own (never read here)
            ref = None if ref is _UNSET else ref
            self._check_row(record.caller, ref)
            row = sql.update_unread.execute(dbapi, {
                "key": record.id, "expect": expect, "data": record.data, "now": at, "caller": record.caller,
                "ref": ref, "caller_key": record.caller_key}).first()
        if row is None:
            raise StaleSession(record.id)
        # RETURNING gives the updated row's new seq, or the deleted row's last one: the events' seq is the turn's.
        seq = int(row.seq) + 1 if record.delete or record.data is None else int(row.seq)
        record.seq = seq - 1
        return seq

    def _check_row(self, caller: str | None, ref: str | None) -> None:
        if caller is not None:
            _check_length("caller", caller, 32)
        if ref is not None:
            _check_length("reference code", ref, 8)

    def _write_row(self, dbapi: Any, record: SessionRecord, at: datetime, seq: int, is_new: bool,
                   row_exists: bool) -> None:
        """Write (insert, update or delete) a session's row as read at the start of its turn."""
        sql = self._fast
        if record.delete or (is_new and record.data is None):
            # A first turn that stored nothing leaves no row (nor the placeholder).
            if row_exists:
                sql.delete_session.execute(dbapi, {"id": record.id})
        else:
            # Written every turn, so that setting caller to None forgets a finished call's number.
            self._check_row(record.caller, record.ref)
            values = {"channel": record.channel, "caller": record.caller, "data": record.data, "seq": seq, "now": at,
                      "ref": record.ref, "caller_key": record.caller_key}
            if row_exists:
                sql.update_session.execute(dbapi, {"key": record.id, **values})
            else:
                sql.insert_session.execute(dbapi, {"id": record.id, **values})

    def enqueue(self, record: SessionRecord, message: Outgoing) -> int | None:
        """Write an outbound message in the open turn's transaction; its row id, or None if its key is there.

        The one way a turn sends anything (an SMS, later a call-back, an alert, a ticket): the row
        commits with the turn's decision or not at all, and the outbox sender (ivr/outbox) sends
        it after the commit, retrying with backoff. The key names the conversation and the
        decision, e.g. f"{record.id}:manager_sms:{attempt}": a replayed or retried webhook
        enqueues the same key again, which adds nothing and so sends nothing new. Use it through
        ivr.outbox.send(), which also covers a turn without its database.
        """
        turn = record._turn
        if turn is None:
            raise RuntimeError("enqueue() only works inside Store.session()")
        _check_length("outbox key", message.key, 200)
        _check_length("outbox kind", message.kind, 20)
        _check_length("outbox target", message.target, 200)
        row_id = turn.sql.enqueue.execute(turn.dbapi, {
            "key": message.key, "kind": message.kind, "channel": message.channel, "target": message.target,
            "body": message.body(), "session_id": record.id, "at": turn.at,
            "next_at": turn.at + message.delay}).scalar()
        if row_id is None:
            return None  # already there: a replay
        record.queued.append(message)
        turn.enqueued.append(int(row_id))
        return int(row_id)

    @property
    def statements(self) -> Statements:
        """The database's prepared statements, for the store's own modules (ivr/store/outbox.py)."""
        return self._sql

    def reading(self, via: SessionRecord | None) -> AbstractContextManager[Connection]:
        """The open turn's connection when given one, else a read-only transaction (the store's own modules)."""
        return self._reading(via)

    def driver_reading(self, via: SessionRecord | None) -> AbstractContextManager[Any]:
        """As reading(), the driver's connection: for precompiled statements (the store's own modules)."""
        return self._driver(via, read_only=True)

    def driver_writing(self, via: SessionRecord | None) -> AbstractContextManager[Any]:
        """The open turn's driver connection when given one, else a write transaction of its own: for
        precompiled statements that write (the store's own modules)."""
        return self._driver(via, read_only=False)

    @property
    def compiled(self) -> Compiled:
        """The precompiled statements, for the store's own modules (ivr/store/incidents.py, outbox.py)."""
        return self._fast

    def transaction(self, *, read_only: bool = False) -> AbstractContextManager[Connection]:
        """A transaction for the store's own modules (ivr/store/outbox.py); failures become StoreError."""
        return self._connection(read_only=read_only)

    def report(self, record: SessionRecord, system: str, at: datetime, window: timedelta) -> None:
        """Count a caller as a reporter about a system, in the open turn's transaction (an upsert each)."""
        turn = record._turn
        if turn is None:
            raise RuntimeError("report() only works inside Store.session()")
        _check_length("report system", system, 40)
        moment = _aware(at)
        refresh_before = moment - REPORT_REFRESH
        # Hidden numbers have no key: they extend the run but count as no one.
        if record.caller_key is not None:
            turn.sql.upsert_reporter.execute(turn.dbapi, {"system": system, "caller_key": record.caller_key,
                                                         "at": moment, "refresh_before": refresh_before})
        turn.sql.upsert_run.execute(turn.dbapi, {"system": system, "at": moment, "run_from": moment - window,
                                                "refresh_before": refresh_before})

    def reporter_count(self, system: str, since: datetime, until: datetime, also: str | None = None,
                       via: SessionRecord | None = None) -> int:
        """Distinct reporters about a system in [since, until], plus `also` (a caller key) if not among them.

        Reads one index range of one row per reporter: its cost does not grow with the number of calls.
        """
        with self._driver(via, read_only=True) as dbapi:
            total, mine = self._fast.count_reporters.execute(dbapi, {
                "system": system, "since": _aware(since), "until": _aware(until), "me": also}).one()
        return int(total) + (1 if also is not None and not mine else 0)

    def other_reporters(self, system: str, since: datetime, until: datetime, me: str | None,
                        via: SessionRecord | None = None) -> int:
        """Distinct reporters about a system in [since, until] other than `me` (a caller key; None: hidden)."""
        with self._driver(via, read_only=True) as dbapi:
            total, mine = self._fast.count_reporters.execute(dbapi, {
                "system": system, "since": _aware(since), "until": _aware(until), "me": me}).one()
        return int(total) - int(mine)

    def incident_run(self, system: str, via: SessionRecord | None = None) -> tuple[datetime, datetime] | None:
        """The first and last report of a system's latest run of reports, if there was one."""
        with self._driver(via, read_only=True) as dbapi:
            row = self._fast.select_run.execute(dbapi, {"system": system}).first()
        return None if row is None else (row.first_at, row.last_at)

    def wrong_pin(self, record: SessionRecord, at: datetime) -> None:
        """Note a wrong staff code from this caller, in the open turn's transaction."""
        turn = record._turn
        if turn is None:
            raise RuntimeError("wrong_pin() only works inside Store.session()")
        turn.conn.execute(insert(pin_guesses_table).values(caller_key=record.caller_key or HIDDEN_CALLER,
                                                           at=_aware(at)))

    def wrong_pins(self, record: SessionRecord, since: datetime) -> int:
        """Wrong staff codes from this caller (every hidden number counts as one caller) since a moment."""
        key = record.caller_key or HIDDEN_CALLER
        with self._reading(record) as conn:
            count = conn.execute(select(func.count()).select_from(pin_guesses_table).where(
                pin_guesses_table.c.caller_key == key, pin_guesses_table.c.at >= _aware(since))).scalar_one()
        return int(count)

    def announce(self, system: str, text: str, until: datetime | None, now: datetime, by: str) -> None:
        """Post (or replace) a system's known-outage announcement."""
        _check_length("announcement author", by, 64)
        values = {"text": text, "until": None if until is None else _aware(until), "created_at": _aware(now),
                  "created_by": by}
        with self._connection() as conn:
            conn.execute(delete(announcements_table).where(announcements_table.c.system == system))
            conn.execute(insert(announcements_table).values(system=system, **values))

    def clear_announcement(self, system: str) -> bool:
        """Remove a system's announcement; False if there was none."""
        with self._connection() as conn:
            result = conn.execute(delete(announcements_table).where(announcements_table.c.system == system))
        return bool(result.rowcount)

    def announcements(self, now: datetime, via: SessionRecord | None = None) -> dict[str, dict[str, Any]]:
        """Announcements in force now, by system (expired ones are ignored, not deleted)."""
        moment = _aware(now)
        with self._driver(via, read_only=True) as dbapi:
            rows = self._fast.select_announcements.execute(dbapi).all()
        return {system: {"text": text, "until": until, "created_at": created_at, "by": created_by}
                for system, text, until, created_at, created_by in rows if until is None or until > moment}

    def add_oncall_override(self, values: dict[str, Any], now: datetime, by: str, *,
                            session_id: str = ADMIN_ONCALL_SESSION, by_key: str | None = None) -> int:
        """Store a checked on-call swap (flows.oncall.new_change) and its one audit event, in one transaction; its id.

        `by` is who did it (`ivr oncall --by`, or the console's masked number); the console also
        passes its admin's session id and keyed hash, so the event reads as its other actions do.
        """
        _check_length("swap author", by, 64)
        row = {**values, "starts_at": _aware(values["starts_at"]), "ends_at": _aware(values["ends_at"]),
               "created_at": _aware(now), "created_by": by}
        with self._connection() as conn:
            new_id = conn.execute(insert(oncall_overrides_table).values(**row)
                                  .returning(oncall_overrides_table.c.id)).scalar_one()
            audit = {"by": by, "id": new_id, "person": values.get("person"), "replaces": values.get("replaces"),
                     "from": row["starts_at"].isoformat(), "until": row["ends_at"].isoformat()}
            conn.execute(insert(events_table).values(
                session_id=session_id, seq=0, at=_aware(now), kind=EventKind.ONCALL_OVERRIDE_SET.value,
                channel="admin", system=None, data=audit, caller_key=by_key))
        return int(new_id)

    def clear_oncall_override(self, override_id: int, now: datetime, by: str, *,
                              session_id: str = ADMIN_ONCALL_SESSION, by_key: str | None = None) -> bool:
        """End a swap now (the row stays for the audit trail); False if there is no such swap in force."""
        _check_length("swap author", by, 64)
        moment = _aware(now)
        table = oncall_overrides_table
        with self._connection() as conn:
            changed = conn.execute(update(table).where(table.c.id == override_id, table.c.cleared_at.is_(None),
                                                       table.c.ends_at > moment)
                                   .values(cleared_at=moment)).rowcount
            if changed:
                conn.execute(insert(events_table).values(
                    session_id=session_id, seq=0, at=moment, kind=EventKind.ONCALL_OVERRIDE_CLEARED.value,
                    channel="admin", system=None, data={"by": by, "id": override_id}, caller_key=by_key))
        return bool(changed)

    def oncall_overrides(self, now: datetime) -> list[dict[str, Any]]:
        """The swaps not yet ended nor cleared, oldest first (one indexed range on ends_at)."""
        table = oncall_overrides_table
        query = (select(table).where(table.c.ends_at > _aware(now), table.c.cleared_at.is_(None))
                 .order_by(table.c.id))
        with self._connection(read_only=True) as conn:
            return [dict(row._mapping) for row in conn.execute(query).all()]

    def purge(self, before: datetime, forget_callers_before: datetime, *, dry_run: bool = False) -> dict[str, int]:
        """Delete sessions, events, webhook ids and incidents older than `before`; forget numbers of quiet sessions.

        dry_run: the same statements, rolled back, so the counts are exactly what a real purge would take.
        """
        cutoff, forget = _aware(before), _aware(forget_callers_before)
        with self._connection() as conn:
            counts = {
                "sessions": conn.execute(delete(sessions_table).where(sessions_table.c.updated_at < cutoff)).rowcount,
                "events": conn.execute(delete(events_table).where(events_table.c.at < cutoff)).rowcount,
                "processed_messages": conn.execute(
                    delete(processed_messages_table).where(processed_messages_table.c.at < cutoff)).rowcount,
                "announcements": conn.execute(delete(announcements_table).where(
                    announcements_table.c.until.is_not(None), announcements_table.c.until < cutoff)).rowcount,
                "incident_reporters": conn.execute(delete(incident_reporters_table).where(
                    incident_reporters_table.c.last_at < cutoff)).rowcount,
                "incident_runs": conn.execute(delete(incident_runs_table).where(
                    incident_runs_table.c.last_at < cutoff)).rowcount,
                # An incident goes with its callers (their keyed hashes, facts and workplaces) once its last
                # news is older than the history kept: the callers first, by their incident.
                "incident_callers": conn.execute(delete(incident_callers_table).where(
                    incident_callers_table.c.incident_id.in_(
                        select(incidents_table.c.id).where(incidents_table.c.updated_at < cutoff)))).rowcount,
                "incidents": conn.execute(delete(incidents_table).where(
                    incidents_table.c.updated_at < cutoff)).rowcount,
                # Wrong staff codes only matter for their window (an hour): a day is plenty.
                "pin_guesses": conn.execute(delete(pin_guesses_table).where(
                    pin_guesses_table.c.at < max(cutoff, forget))).rowcount,
                "oncall_overrides": conn.execute(delete(oncall_overrides_table).where(
                    oncall_overrides_table.c.ends_at < cutoff)).rowcount,
                # The console's sign-in: an expired code is useless, attempts only count for minutes.
                "admin_codes": conn.execute(delete(admin_codes_table).where(
                    admin_codes_table.c.expires_at < max(cutoff, forget))).rowcount,
                "admin_attempts": conn.execute(delete(admin_attempts_table).where(
                    admin_attempts_table.c.at < max(cutoff, forget))).rowcount,
                # Every message's row, sent or given up, goes with the rest of the history.
                "outbox": conn.execute(delete(outbox_table).where(outbox_table.c.created_at < cutoff)).rowcount,
                # A number and a text (which may hold the caller's number) kept no longer than numbers are:
                # a message whose delivery receipt never came is not blanked by its final state.
                "outbox_blanked": conn.execute(update(outbox_table).where(
                    outbox_table.c.updated_at < forget, outbox_table.c.target.is_not(None))
                    .values(target=None, body=None)).rowcount,
                "callers_forgotten": conn.execute(
                    update(sessions_table)
                    .where(sessions_table.c.updated_at < forget, sessions_table.c.caller.is_not(None))
                    .values(caller=None, caller_key=None)).rowcount,
            }
            # The pseudonym only serves to resume a call within minutes: forgotten with the numbers.
            conn.execute(update(sessions_table).where(sessions_table.c.updated_at < forget,
                                                      sessions_table.c.caller_key.is_not(None))
                         .values(caller_key=None))
            if dry_run:
                conn.get_transaction().rollback()  # type: ignore[union-attr]
                return {key: int(value or 0) for key, value in counts.items()}
        if self.backend == "sqlite":
            # secure_delete zeroed the blanked numbers in the pages; the old pages still sit in the log.
            self._checkpoint_truncate()
        return {key: int(value or 0) for key, value in counts.items()}

    def forget(self, number: str, caller_key: str, *, dry_run: bool = False) -> dict[str, int]:
        """Erase one caller (a data subject's request): sessions, events, webhook ids, staff-code guesses, reports,
        her rows in incidents.

        Found by the number itself where it is still kept (a session in progress) and by its keyed hash
        everywhere else; an SMS conversation's id is the hash too. dry_run: counted, then rolled back.
        """
        sms_id = f"sms:{caller_key}"
        with self._connection() as conn:
            ids = set(conn.execute(select(sessions_table.c.id).where(
                (sessions_table.c.caller == number) | (sessions_table.c.caller_key == caller_key)
                | (sessions_table.c.id == sms_id))).scalars())
            ids.add(sms_id)
            counts = {
                "sessions": conn.execute(delete(sessions_table).where(sessions_table.c.id.in_(ids))).rowcount,
                "events": conn.execute(delete(events_table).where(
                    (events_table.c.caller_key == caller_key) | events_table.c.session_id.in_(ids))).rowcount,
                "processed_messages": conn.execute(delete(processed_messages_table).where(
                    processed_messages_table.c.session_id.in_(ids))).rowcount,
                "pin_guesses": conn.execute(delete(pin_guesses_table).where(
                    pin_guesses_table.c.caller_key == caller_key)).rowcount,
                "incident_reporters": conn.execute(delete(incident_reporters_table).where(
                    incident_reporters_table.c.caller_key == caller_key)).rowcount,
                # Her place in incidents (facts, workplace, an SMS when fixed); the incidents themselves stay.
                "incident_callers": conn.execute(delete(incident_callers_table).where(
                    (incident_callers_table.c.caller_key == caller_key)
                    | incident_callers_table.c.session_id.in_(ids))).rowcount,
                "outbox": conn.execute(delete(outbox_table).where(
                    outbox_table.c.session_id.in_(ids) | (outbox_table.c.target == number))).rowcount,
            }
            if dry_run:
                conn.get_transaction().rollback()  # type: ignore[union-attr]
                return {key: int(value or 0) for key, value in counts.items()}
        if self.backend == "sqlite":
            self._checkpoint_truncate()  # as after a purge: the old pages leave the write-ahead log too
        return {key: int(value or 0) for key, value in counts.items()}

    @contextmanager
    def _reading(self, via: SessionRecord | None) -> Iterator[Connection]:
        """The open session's connection when given one (the same turn), else a read-only transaction's."""
        if via is not None and via._turn is not None:
            yield via._turn.conn  # its errors become StoreError where that transaction ends
            return
        with self._connection(read_only=True) as conn:
            yield conn

    @contextmanager
    def _driver(self, via: SessionRecord | None, *, read_only: bool) -> Iterator[Any]:
        """The open turn's driver connection when given one, else a transaction of its own: for precompiled
        statements."""
        if via is not None and via._turn is not None:
            yield via._turn.dbapi  # its errors become StoreError where that transaction ends
            return
        with self._transaction(read_only=read_only) as held:
            yield held.dbapi

    @contextmanager
    def _connection(self, *, read_only: bool = False) -> Iterator[Connection]:
        """A committed-on-success transaction on SQLAlchemy's Connection; database failures become StoreError.

        The store's own modules and its commands; a turn's transaction (session()) runs on the driver's
        connection, and makes this Connection only for a statement that is not precompiled.
        """
        with self._transaction(read_only=read_only) as held:
            conn = held.connection(self._begun)
            yield conn
            conn.commit()  # the driver's commit; then the one below finds no transaction and does nothing

    @contextmanager
    def _transaction(self, *, read_only: bool = False) -> Iterator[Held]:
        """A committed-on-success transaction on one of the store's driver connections; failures become StoreError.

        The one way into the database. Its BEGIN and COMMIT are sent on the driver's connection
        (ivr/store/connections.py says why): on SQLite, writers begin with BEGIN IMMEDIATE (read_only: a
        plain BEGIN), and a writer that finds another's lock waits in SQLite's busy handler, up to
        SQLITE_BUSY_TIMEOUT_S. On PostgreSQL every wait ends at the request's deadline, and a process
        that found the database not answering does not wait on it again for a while (ivr/store/outage.py).
        """
        postgres = self.backend == "postgresql"
        if postgres:
            try:
                self.outage.admit()
            except outage.DatabaseDown as exc:
                self._failed()
                raise StoreError(f"database error: {exc}") from None
        watch: outage.Watch | None = None
        connected = False
        try:
            held, watch = self._checkout(read_only)
            connected = True
            try:
                yield held
                held.dbapi.commit()
            except BaseException as exc:
                self._end_failed(held, exc, watch)
                raise
            self._release(held, watch)
            if postgres:
                self.outage.answered()
        except StaleSession:
            if postgres:
                self.outage.answered()  # the database answered (the row was not as expected): rolled back
            raise
        except outage.DatabaseDown as exc:
            if not isinstance(exc, outage.NoTimeLeft):
                self.outage.failed(str(exc))
            self._failed()
            raise StoreError(f"database error: {exc}") from None
        except StatementError as exc:
            if not isinstance(exc, DBAPIError) and isinstance(exc.orig, (TypeError, ValueError)):
                # Raised in Python before the database saw anything (a value no column type takes,
                # e.g. data that is not JSON): a bug to show as itself, not a database failure.
                raise exc.orig from None
            raise self._database_error(exc, connected, watch) from exc
        except (SQLAlchemyError, self._driver_error) as exc:
            raise self._database_error(exc, connected, watch) from exc

    def _end_failed(self, held: Held, exc: BaseException, watch: outage.Watch | None) -> None:
        """A transaction that failed (or was abandoned): rolled back and its connection kept, or closed.

        On PostgreSQL a driver's error (a deadline reached, a server gone) closes the connection: it is
        never given back in an unknown state. Otherwise the transaction is rolled back on it (still
        watched: a rollback waits no longer than the request may); a rollback that fails closes it too.
        """
        if self.backend == "postgresql" and isinstance(exc, (self._driver_error, DBAPIError)):
            self._discard(held, watch)
            return
        try:
            held.dbapi.rollback()
        except self._driver_error as failed:
            log.warning("rollback failed, the connection is closed: %s", _short(failed))
            self._discard(held, watch)
            return
        self._release(held, watch)

    def _release(self, held: Held, watch: outage.Watch | None) -> None:
        """A connection whose transaction ended, given back: the watch first stops (its timer must not shut
        an idle connection down), and a connection it did shut down is closed instead."""
        if watch is not None:
            watch.disarm()
            if watch.fired:  # read after disarm(): it cannot fire any more
                held.close()
                return
        self._held.give_back(held)

    @staticmethod
    def _discard(held: Held, watch: outage.Watch | None) -> None:
        """A connection in an unknown state, closed, never given back; its watch stopped first."""
        if watch is not None:
            watch.disarm()
        held.close()

    def _checkout(self, read_only: bool) -> tuple[Held, outage.Watch | None]:
        """A connection with its transaction begun, watched until the request's deadline (PostgreSQL).

        SQLite: BEGIN IMMEDIATE (a writer) or BEGIN, sent here. PostgreSQL: the transaction's own BEGIN
        is its first round trip, and it is what finds a connection that died in the pool (a server
        restart): the pool is then discarded and a new connection made once, within the same deadline.
        So a turn whose connection dropped is made again before any of its work is done (nothing happens
        twice). Why no ping: measured, the ping was one of six round trips a turn (bench/README.md,
        December 2026), and psycopg sent its own BEGIN as a separate round trip anyway; the connections
        run in psycopg's autocommit mode (_configure_postgresql) so that this BEGIN is ours, and psycopg's
        commit() and rollback() still end the transaction it opened.
        """
        if self.backend != "postgresql":
            held = self._held.take()
            try:
                held.dbapi.execute("BEGIN" if read_only else SQLITE_BEGIN_WRITE)
            except BaseException:
                held.close()
                raise
            return held, None
        for attempt in (1, 2):
            seconds = outage.remaining()  # None: no deadline (a command), no watch; NoTimeLeft: none left
            held = self._held.take()
            watch = None if seconds is None else outage.Watch(held.dbapi.fileno(), seconds)
            try:
                held.dbapi.execute("BEGIN")
            except BaseException as exc:
                retry = (attempt == 1 and isinstance(exc, self._driver_error) and not (watch and watch.fired)
                         and self._disconnected(exc, held.dbapi))
                self._discard(held, watch)
                if not retry:
                    raise
                log.warning("a pooled database connection was dead: the pool is discarded, trying a new one")
                self._held.close_all()
                self.engine.dispose()
                continue
            return held, watch
        raise AssertionError("unreachable")

    def _disconnected(self, exc: Exception, dbapi: Any) -> bool:
        """Whether a driver error means the connection is gone (not a refused statement)."""
        return bool(getattr(dbapi, "closed", False)) or self.engine.dialect.is_disconnect(exc, dbapi, None)  # type: ignore[arg-type]

    def _database_error(self, exc: Exception, connected: bool, watch: outage.Watch | None) -> StoreError:
        """The StoreError for a driver's failure; a timeout or a failed connect marks the database down."""
        self._failed()
        if watch is not None and watch.fired:
            self.outage.failed("no answer before the request's deadline")
            return StoreError("database error: no answer before the request's deadline")
        if self.backend == "postgresql" and not connected:
            self.outage.failed(_short(exc))
            return StoreError(f"database error: {_short(exc)}")
        # A connection that drops after its BEGIN is not tried again here: the turn's work (an SMS sent)
        # may have begun. It was closed (_end_failed); the call goes on from its carried state.
        return StoreError(f"database error: {_short(exc)}")

    def _failed(self) -> None:
        if self.on_error is not None:
            self.on_error()

    def _checkpoint_truncate(self) -> None:
        """Copy SQLite's write-ahead log into the database and empty it (outside any transaction)."""
        try:
            with self.engine.connect() as conn:
                conn.execution_options(ivr_autocommit=True)
                busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()[0]
                conn.commit()
        except (SQLAlchemyError, self._driver_error) as exc:
            log.warning("SQLite checkpoint failed (the log keeps its pages until one succeeds): %s", _short(exc))
            return
        if busy:
            log.warning("SQLite TRUNCATE checkpoint could not finish: another connection was reading")


def _connect_within_deadline(engine: Engine) -> None:
    """PostgreSQL: a new connection is waited for until the request's deadline only (ivr/store/outage.py)."""

    @event.listens_for(engine, "do_connect")
    def connect(dialect: Any, connection_record: Any, cargs: Any, cparams: Any) -> Any:
        return outage.connect_within(lambda: dialect.connect(*cargs, **cparams), lambda late: late.close())


def _configure_postgresql(engine: Engine) -> None:
    """psycopg in autocommit mode: every transaction's BEGIN is sent by Store._checkout, as its first round trip.

    psycopg's commit() and rollback() look at the server's transaction status, not at this mode, so
    SQLAlchemy's commit, rollback and the pool's reset on check-in still end that transaction.
    """

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        dbapi_connection.autocommit = True


def _configure_sqlite(engine: Engine) -> None:
    """WAL, and BEGIN IMMEDIATE so that writers queue (in SQLite's busy handler) instead of deadlocking.

    SQLite checkpoints the write-ahead log itself, from a commit once the log holds 1000
    pages (wal_autocheckpoint, left at its default).
    """

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        # Take BEGIN away from the sqlite3 module: it would defer it past our SELECT.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            _use_wal(cursor)
            # In WAL mode NORMAL syncs at checkpoints, not at every commit: a killed process loses
            # nothing (tests/test_failures.py kills -9 between webhooks); a power cut may lose the
            # last turns, and a call in progress then hears the step before again.
            cursor.execute("PRAGMA synchronous = NORMAL")
            # Deleted and overwritten values (a blanked caller number) are zeroed, not left in free space.
            cursor.execute("PRAGMA secure_delete = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Connection) -> None:
        # The store's transactions send their own BEGIN (Store._checkout; ivr_begun here): this is for a
        # Connection taken from the engine directly (the checkpoint, tools, tests).
        # IMMEDIATE takes the write lock up front: a read-modify-write cannot interleave
        # with another process's, and there is no lock upgrade to fail with SQLITE_BUSY.
        options = conn.get_execution_options()
        if options.get("ivr_autocommit") or options.get("ivr_begun"):
            return  # a checkpoint: no transaction at all; or begun by the store on the driver's connection
        conn.exec_driver_sql("BEGIN" if options.get("ivr_read_only") else SQLITE_BEGIN_WRITE)


def _use_wal(cursor: Any) -> None:
    """WAL lets readers (health checks, the whisper leg) run beside a writer.

    Switching a new file to WAL needs it to itself, and SQLite answers "database is
    locked" at once, without its busy handler, to the other connections that open it
    meanwhile (several workers starting on a new file): they try again, within the busy
    timeout. A file already in WAL mode answers at once.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _record(session_id: str, row: Row[Any] | None, channel: str, caller: str | None) -> SessionRecord:
    """A session as read from its row; no row, or the placeholder without data, is a new session."""
    if row is None or row.data is None:
        return SessionRecord(id=session_id, channel=row.channel if row is not None else channel,
                             caller=caller or (row.caller if row is not None else None), data=None,
                             seq=row.seq if row is not None else 0, created_at=None, updated_at=None,
                             ref=row.ref if row is not None else None)
    return SessionRecord(id=session_id, channel=row.channel, caller=caller or row.caller, data=row.data,
                         seq=row.seq, created_at=row.created_at, updated_at=row.updated_at, ref=row.ref)


def _masked(url: URL) -> str:
    """A URL fit for messages: the password masked."""
    return url.render_as_string(hide_password=True)


def _aware(value: datetime) -> datetime:
    """The same moment in UTC; naive datetimes are refused."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: the store needs a timezone-aware one")
    return value.astimezone(UTC)


def _check_length(what: str, value: str, limit: int) -> None:
    """Fail alike on both databases: PostgreSQL rejects long strings, SQLite keeps them."""
    if len(value) > limit:
        # The value is left out: it may be a phone number, and this message gets logged.
        raise ValueError(f"{what} longer than {limit} characters")


def _short(exc: BaseException) -> str:
    """The driver's first line, without SQL or parameters."""
    source: BaseException = exc
    if isinstance(exc, StatementError) and exc.orig is not None:
        source = exc.orig
    lines = str(source).strip().splitlines()
    return lines[0] if lines else type(source).__name__

