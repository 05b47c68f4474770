"""Session store: one row per call or SMS conversation, an event log, processed webhooks."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, delete, event, func, insert, select, update
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from ivr.store import migrate
from ivr.store.schema import (
    announcements_table,
    events_table,
    incident_reporters_table,
    incident_runs_table,
    processed_messages_table,
    sessions_table,
)
from ivr.store.sqlite_lock import WriteLock
from ivr.store.turn_sql import SessionRow, TurnSql

__all__ = ["SessionRecord", "Store", "StoreError", "sessions_table"]

# Seconds a SQLite writer waits for another process's transaction before failing.
SQLITE_BUSY_TIMEOUT_S = 10
# IMMEDIATE takes SQLite's write lock up front: a read-modify-write cannot interleave with
# another process's, and there is no lock upgrade to fail with SQLITE_BUSY.
SQLITE_BEGIN_WRITE = "BEGIN IMMEDIATE"
# SQLite copies the write-ahead log into the database (a checkpoint, with two fsyncs) from
# inside a commit once the log holds 1000 pages: under our writer lock, so every other
# writer waited for the fsyncs too. Each process checkpoints itself instead, after every
# CHECKPOINT_EVERY writes and with the lock released; SQLite's own stays as a backstop.
CHECKPOINT_EVERY = 100
SQLITE_BACKSTOP_CHECKPOINT_PAGES = 10_000
# A webhook must answer within Twilio's 15 s; a dead PostgreSQL host must not eat that.
PG_CONNECT_TIMEOUT_S = 5
# Any constant will do: it only has to be the same in every process running upgrade().
PG_UPGRADE_LOCK = 0x1F5E_1DE5


log = logging.getLogger(__name__)


class StoreError(RuntimeError):
    """The database is unreachable or failing."""


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
    # Set by Store.session() for the life of its transaction only.
    _claim: Callable[[str], bool] | None = field(default=None, repr=False, compare=False)
    # The session's own DBAPI cursor, for reads that belong to the same turn (no second transaction).
    _cursor: Any = field(default=None, repr=False, compare=False)

    def add_event(
        self, kind: str, data: dict[str, Any] | None = None, system: str | None = None
    ) -> None:
        """Queue an event, written with the session in the same transaction."""
        _check_length("event kind", kind, 40)
        if system is not None:
            _check_length("event system", system, 40)
        self.events.append((kind, dict(data or {}), system))

    def claim(self, sid: str) -> bool:
        """Mark a webhook's MessageSid as processed; False if it already was (a retry)."""
        if self._claim is None:
            raise RuntimeError("claim() only works inside Store.session()")
        _check_length("message sid", sid, 64)
        return self._claim(sid)


class Store:
    """Sessions, events and processed webhooks in SQLite or PostgreSQL."""

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
            # A server restart leaves dead connections in the pool; test them on checkout.
            kwargs["pool_pre_ping"] = True
        try:
            # Parameters hold callers' phone numbers: keep them out of errors and logs.
            self.engine: Engine = create_engine(parsed, echo=echo, hide_parameters=True, **kwargs)
        except (SQLAlchemyError, ImportError) as exc:
            # ImportError: a driver that is not installed, e.g. psycopg2 for plain postgresql://.
            raise StoreError(f"cannot use database URL {_masked(parsed)}: {exc}") from exc
        self.backend = backend
        self._sql = TurnSql(self.engine)
        self._write_lock: WriteLock | None = None
        self._writes_since_checkpoint = 0
        if backend == "sqlite":
            _configure_sqlite(self.engine)
            uri = bool(parsed.query.get("uri"))
            self._write_lock = WriteLock(None if uri else f"{parsed.database}.writer-lock")

    @property
    def url(self) -> str:
        """The database URL with any password masked."""
        return self.engine.url.render_as_string(hide_password=True)

    def upgrade(self) -> str:
        """Run the schema migrations up to this program's head; safe to run again. The revision."""
        try:
            with self._transaction() as conn:
                if self.backend == "postgresql":
                    # Two processes starting at once must not both migrate: the second waits
                    # here, then finds the schema at head. Held until this transaction ends.
                    conn.execute(select(func.pg_advisory_xact_lock(PG_UPGRADE_LOCK)))
                return migrate.upgrade(conn)
        except migrate.MigrationError as exc:
            raise StoreError(str(exc)) from None

    def check_schema(self) -> str:
        """The schema's revision if the database answers and is at the head migration; else StoreError."""
        with self._transaction(read_only=True) as conn:
            revision = migrate.current(conn)
        if revision != migrate.head():
            # E.g. a database dropped and recreated empty: every webhook would fail.
            raise StoreError(f"database schema at {revision or 'no revision'}, this program needs {migrate.head()}")
        return revision

    def ping(self) -> None:
        """Check that the database answers."""
        with self._transaction(read_only=True) as conn:
            conn.execute(select(1)).scalar_one()

    @contextmanager
    def session(
        self, session_id: str, channel: str, now: datetime, caller: str | None = None
    ) -> Iterator[SessionRecord]:
        """Lock and read a session, yield it, then save it and its events in one transaction."""
        _check_length("session id", session_id, 100)
        _check_length("channel", channel, 10)
        if caller is not None:
            _check_length("caller", caller, 32)
        sql = self._sql
        at = sql.time_in(_aware(now))  # the turn's one moment, as the driver takes it
        with self._raw_transaction(write=True) as cursor:
            # SQLite: BEGIN IMMEDIATE already holds the database's write lock, so a plain read
            # is enough. PostgreSQL: an upsert that creates a missing row and row-locks it.
            row = sql.session_row(sql.lock_session.run(
                cursor, id=session_id, channel=channel, caller=caller, now=at).fetchone())
            is_new = row is None or row.data is None
            record = _record(session_id, row, channel, caller)

            def claim(sid: str) -> bool:
                return sql.claim.run(cursor, sid=sid, session_id=session_id, at=at).fetchone() is not None

            record._claim = claim
            record._cursor = cursor
            try:
                yield record
            finally:
                record._claim = None  # the transaction is gone once this block ends
                record._cursor = None
            self._save(cursor, record, at, is_new, row_exists=row is not None)

    def get(self, session_id: str) -> SessionRecord | None:
        """Read a session without locking it; None if there is none."""
        with self._raw_transaction() as cursor:
            row = self._sql.session_row(self._sql.select_session.run(cursor, id=session_id).fetchone())
        return None if row is None else _record(session_id, row, row.channel, None)

    def events(self, session_id: str | None = None) -> list[dict[str, Any]]:
        """Events in the order written, for one session or all."""
        query = select(events_table).order_by(events_table.c.id)
        if session_id is not None:
            query = query.where(events_table.c.session_id == session_id)
        with self._transaction(read_only=True) as conn:
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
                "data": json.loads(row.data),
                "caller_key": row.caller_key,
            }
            for row in rows
        ]

    def dispose(self) -> None:
        """Close all pooled connections."""
        self.engine.dispose()

    def _save(self, cursor: Any, record: SessionRecord, at: Any, is_new: bool, row_exists: bool) -> None:
        """Write the session row (or delete it) and append its queued events (at: the driver's timestamp)."""
        sql = self._sql
        seq = record.seq + 1
        if record.delete or (is_new and record.data is None):
            # A first turn that stored nothing leaves no row (nor the placeholder).
            if row_exists:
                sql.delete_session.run(cursor, id=record.id)
        else:
            # Written every turn, so that setting caller to None forgets a finished call's number.
            if record.caller is not None:
                _check_length("caller", record.caller, 32)
            statement = sql.update_session if row_exists else sql.insert_session
            statement.run(cursor, id=record.id, channel=record.channel, caller=record.caller,
                          data=None if record.data is None else _dumps(record.data), seq=seq, now=at)
        for kind, data, system in record.events:
            sql.insert_event.run(cursor, session_id=record.id, seq=seq, at=at, kind=kind, channel=record.channel,
                                 system=system, data=_dumps(data), caller_key=record.caller_key)

    def claim_once(self, key: str, now: datetime) -> bool:
        """Claim a one-time action (an incident's SMS) across all instances; False if already claimed."""
        _check_length("claim key", key, 64)
        sql = self._sql
        with self._raw_transaction(write=True) as cursor:
            claimed = sql.claim.run(cursor, sid=key, session_id="-", at=sql.time_in(_aware(now))).fetchone()
        return claimed is not None

    def report(self, record: SessionRecord, system: str, at: datetime, window: timedelta) -> None:
        """Count a caller as a reporter about a system, in the open turn's transaction (an upsert each)."""
        if record._cursor is None:
            raise RuntimeError("report() only works inside Store.session()")
        _check_length("report system", system, 40)
        sql = self._sql
        moment = sql.time_in(_aware(at))
        # Hidden numbers have no key: they extend the run but count as no one.
        if record.caller_key is not None:
            sql.upsert_reporter.run(record._cursor, system=system, caller_key=record.caller_key, at=moment)
        sql.upsert_run.run(record._cursor, system=system, at=moment, run_from=sql.time_in(_aware(at - window)))

    def reporter_count(self, system: str, since: datetime, until: datetime, also: str | None = None,
                       via: SessionRecord | None = None) -> int:
        """Distinct reporters about a system in [since, until], plus `also` (a caller key) if not among them.

        Reads one index range of one row per reporter: its cost does not grow with the number of calls.
        """
        sql = self._sql
        with self._reading(via) as cursor:
            total, mine = sql.count_reporters.run(
                cursor, system=system, since=sql.time_in(_aware(since)), until=sql.time_in(_aware(until)),
                me=also).fetchone()
        return int(total) + (1 if also is not None and not mine else 0)

    def incident_run(self, system: str, via: SessionRecord | None = None) -> tuple[datetime, datetime] | None:
        """The first and last report of a system's latest run of reports, if there was one."""
        sql = self._sql
        with self._reading(via) as cursor:
            row = sql.select_run.run(cursor, system=system).fetchone()
        return None if row is None else (sql.time_out(row[0]), sql.time_out(row[1]))

    def announce(self, system: str, text: str, until: datetime | None, now: datetime, by: str) -> None:
        """Post (or replace) a system's known-outage announcement."""
        _check_length("announcement author", by, 64)
        values = {"text": text, "until": None if until is None else _aware(until), "created_at": _aware(now),
                  "created_by": by}
        with self._transaction() as conn:
            conn.execute(delete(announcements_table).where(announcements_table.c.system == system))
            conn.execute(insert(announcements_table).values(system=system, **values))

    def clear_announcement(self, system: str) -> bool:
        """Remove a system's announcement; False if there was none."""
        with self._transaction() as conn:
            result = conn.execute(delete(announcements_table).where(announcements_table.c.system == system))
        return bool(result.rowcount)

    def announcements(self, now: datetime, via: SessionRecord | None = None) -> dict[str, dict[str, Any]]:
        """Announcements in force now, by system (expired ones are ignored, not deleted)."""
        moment = _aware(now)
        sql = self._sql
        with self._reading(via) as cursor:
            rows = sql.select_announcements.run(cursor).fetchall()
        found = {}
        for system, text, until, created_at, created_by in rows:
            ends = None if until is None else sql.time_out(until)
            if ends is None or ends > moment:
                found[system] = {"text": text, "until": ends, "created_at": sql.time_out(created_at), "by": created_by}
        return found

    def purge(self, before: datetime, forget_callers_before: datetime) -> dict[str, int]:
        """Delete sessions, events and webhook ids older than `before`; forget numbers of quiet sessions."""
        cutoff, forget = _aware(before), _aware(forget_callers_before)
        with self._transaction() as conn:
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
                "callers_forgotten": conn.execute(
                    update(sessions_table)
                    .where(sessions_table.c.updated_at < forget, sessions_table.c.caller.is_not(None))
                    .values(caller=None)).rowcount,
            }
        if self.backend == "sqlite":
            # secure_delete zeroed the blanked numbers in the pages; the old pages still sit in the log.
            self._checkpoint("TRUNCATE")
        return {key: int(value or 0) for key, value in counts.items()}

    @contextmanager
    def _reading(self, via: SessionRecord | None) -> Iterator[Any]:
        """The open session's cursor when given one (the same turn), else a read-only transaction's."""
        if via is not None and via._cursor is not None:
            yield via._cursor  # its errors become StoreError where that transaction ends
            return
        with self._raw_transaction() as cursor:
            yield cursor

    @contextmanager
    def _raw_transaction(self, *, write: bool = False) -> Iterator[Any]:
        """A DBAPI cursor in a transaction committed on success; database failures become StoreError.

        Writers on SQLite take the write lock first, and then BEGIN IMMEDIATE, which takes
        SQLite's own write lock up front: a read-modify-write cannot interleave with another
        process's, and there is no lock upgrade to fail with SQLITE_BUSY.
        """
        driver_error = self.engine.dialect.loaded_dbapi.Error
        with self._writer(write):
            try:
                connection = self.engine.raw_connection()
            except (SQLAlchemyError, driver_error) as exc:
                # The pool raises the driver's own error for a failed connect, unwrapped.
                raise StoreError(f"database error: {_short(exc)}") from exc
            cursor = connection.cursor()
            try:
                if write and self.backend == "sqlite":
                    cursor.execute(SQLITE_BEGIN_WRITE)
                yield cursor
                connection.commit()
            except driver_error as exc:
                _rollback(connection)
                if self.engine.dialect.is_disconnect(exc, connection.dbapi_connection, cursor):
                    connection.invalidate()  # a server restart: do not hand this connection out again
                raise StoreError(f"database error: {_short(exc)}") from exc
            except BaseException:
                _rollback(connection)
                raise
            finally:
                cursor.close()
                connection.close()  # back to the pool
        if write and self._write_lock is not None:
            self._writes_since_checkpoint += 1
            if self._writes_since_checkpoint >= CHECKPOINT_EVERY:
                self._writes_since_checkpoint = 0
                self._checkpoint()

    def _checkpoint(self, mode: str = "PASSIVE") -> None:
        """Copy SQLite's write-ahead log into the database; PASSIVE waits for no one, TRUNCATE empties the log."""
        try:
            connection = self.engine.raw_connection()
        except SQLAlchemyError:
            return  # the turn itself committed; the next checkpoint (or SQLite's backstop) catches up
        cursor = connection.cursor()
        try:
            busy = cursor.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()[0]
            if busy:
                log.warning("SQLite %s checkpoint could not finish: another connection was reading", mode)
        except self.engine.dialect.loaded_dbapi.Error as exc:
            log.warning("SQLite checkpoint failed (the log keeps growing until one succeeds): %s", _short(exc))
        finally:
            cursor.close()
            connection.close()

    def _writer(self, write: bool) -> Any:
        """Writers on SQLite queue on the write lock; everyone else goes straight in."""
        if write and self._write_lock is not None:
            return self._write_lock.held()
        return nullcontext()

    @contextmanager
    def _transaction(self, *, read_only: bool = False) -> Iterator[Connection]:
        """A committed-on-success transaction; database failures become StoreError."""
        try:
            with self._writer(not read_only), self.engine.connect() as conn:
                if read_only:
                    conn = conn.execution_options(ivr_read_only=True)
                with conn.begin():
                    yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"database error: {_short(exc)}") from exc


def _configure_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout, and BEGIN IMMEDIATE so that writers queue instead of deadlocking."""

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        # Take BEGIN away from the sqlite3 module: it would defer it past our SELECT.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_S * 1000}")
            # WAL lets readers (health checks, the whisper leg) run beside a writer.
            cursor.execute("PRAGMA journal_mode = WAL")
            # In WAL mode NORMAL syncs at checkpoints, not at every commit: a killed process loses
            # nothing (tests/test_failures.py kills -9 between webhooks); a power cut may lose the
            # last turns, and a call in progress then hears the step before again.
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute(f"PRAGMA wal_autocheckpoint = {SQLITE_BACKSTOP_CHECKPOINT_PAGES}")
            # Deleted and overwritten values (a blanked caller number) are zeroed, not left in free space.
            cursor.execute("PRAGMA secure_delete = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Connection) -> None:
        # IMMEDIATE takes the write lock up front: a read-modify-write cannot interleave
        # with another process's, and there is no lock upgrade to fail with SQLITE_BUSY.
        if conn.get_execution_options().get("ivr_read_only"):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql(SQLITE_BEGIN_WRITE)


def _record(session_id: str, row: SessionRow | None, channel: str, caller: str | None) -> SessionRecord:
    """A session as read from its row; no row, or the placeholder without data, is a new session."""
    if row is None or row.data is None:
        return SessionRecord(id=session_id, channel=row.channel if row is not None else channel,
                             caller=caller or (row.caller if row is not None else None), data=None,
                             seq=row.seq if row is not None else 0, created_at=None, updated_at=None)
    return SessionRecord(id=session_id, channel=row.channel, caller=caller or row.caller, data=json.loads(row.data),
                         seq=row.seq, created_at=row.created_at, updated_at=row.updated_at)


def _rollback(connection: Any) -> None:
    """Roll back, if the connection still can; the error that got us here is the one to report."""
    try:
        connection.rollback()
    except Exception:  # noqa: BLE001,S110 - a dead connection cannot roll back, and need not
        pass


def _masked(url: URL) -> str:
    """A URL fit for messages: the password masked."""
    return url.render_as_string(hide_password=True)


def _aware(value: datetime) -> datetime:
    """The same moment in UTC; naive datetimes are refused."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: the store needs a timezone-aware one")
    return value.astimezone(UTC)


# JSON as stored: readable Swedish, no ASCII escapes. One encoder: json.dumps builds a new
# one for every call with arguments like these.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _dumps(data: dict[str, Any]) -> str:
    """A session's data or an event's, as stored."""
    return _ENCODER.encode(data)


def _check_length(what: str, value: str, limit: int) -> None:
    """Fail alike on both databases: PostgreSQL rejects long strings, SQLite keeps them."""
    if len(value) > limit:
        # The value is left out: it may be a phone number, and this message gets logged.
        raise ValueError(f"{what} longer than {limit} characters")


def _short(exc: BaseException) -> str:
    """The driver's first line, without SQL or parameters."""
    source: BaseException = exc
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        source = exc.orig
    lines = str(source).strip().splitlines()
    return lines[0] if lines else type(source).__name__

