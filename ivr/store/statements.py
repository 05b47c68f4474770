"""A turn's statements, built once at import for each database; SQLAlchemy compiles each once and caches it.

Values go in at execute time by name (`bindparam`), so every execution of a
statement hits the same entry of SQLAlchemy's compiled cache; timestamps and
JSON pass through the columns' own types (ivr.store.schema).
"""

from __future__ import annotations

import functools
from collections import namedtuple
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from types import ModuleType
from typing import Any

from sqlalchemy import (
    Delete,
    Dialect,
    Insert,
    Select,
    String,
    Update,
    and_,
    bindparam,
    case,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import ReturningDelete, ReturningUpdate
from sqlalchemy.sql.elements import ClauseElement, ColumnElement

from flows.incidents import IncidentState
from ivr.store.schema import (
    announcements_table,
    events_table,
    incident_callers_table,
    incident_reporters_table,
    incident_runs_table,
    incidents_table,
    outbox_table,
    processed_messages_table,
    sessions_table,
)

SESSION_COLUMNS = ("channel", "caller", "data", "seq", "created_at", "updated_at", "ref")


@dataclass(frozen=True)
class Statements:
    """The statements of a turn for one database (its dialect's upserts)."""

    lock_session: Select | Insert  # type: ignore[type-arg]  # the row of a session, locked for the turn
    select_session: Select  # type: ignore[type-arg]
    insert_session: Insert
    update_session: Update
    update_unread: Update  # a session written without reading it first: only if it is still as expected
    delete_session: Delete
    delete_unread: ReturningDelete[Any]
    insert_event: Insert
    claim: Insert
    enqueue: Insert  # an outbox row, unless its idempotency key is already there
    upsert_reporter: Insert
    upsert_run: Insert
    count_reporters: Select  # type: ignore[type-arg]
    select_run: Select  # type: ignore[type-arg]
    select_announcements: Select  # type: ignore[type-arg]
    select_by_ref: Select  # type: ignore[type-arg]
    latest_by_caller: Select  # type: ignore[type-arg]  # a caller's latest session of a channel, since a moment
    live_incident: Select  # type: ignore[type-arg]  # a system's latest incident not resolved, with news since
    incident_counts: Select  # type: ignore[type-arg]  # an incident's callers, and those waiting for its SMS
    incident_places: Select  # type: ignore[type-arg]  # an incident's callers' distinct workplaces
    incident_caller: Select  # type: ignore[type-arg]  # one caller's row in an incident, if she is in it
    outbox_owner: Select  # type: ignore[type-arg]  # the conversation that decided an outbox row (by its key)
    ticket_keys: Select  # type: ignore[type-arg]  # a conversation's ticket rows' keys
    # A caller joining an incident (IncidentStore.join): her row, added or refreshed, and the incident's news.
    caller_notify: Select  # type: ignore[type-arg]
    insert_caller: Insert
    update_caller: Update
    touch_incident: Update
    # The outbox's first try after a turn (OutboxStore.claim with ids, accepted) and its audit events.
    claim_one: ReturningUpdate[Any]  # one row for one attempt, if it is due and no other sender holds it
    outbox_row: Select  # type: ignore[type-arg]  # one row, locked for the transaction (outbox._locked)
    accept_row: Update
    accept_row_blanked: Update  # ... reaching a final state: its number and text go
    session_meta: Select  # type: ignore[type-arg]  # what an event written outside a turn takes from its session


def _build(dml: ModuleType) -> Statements:
    """The statements, with the upserts of dml (sqlalchemy.dialects.sqlite or .postgresql)."""
    sessions, reporters, runs = sessions_table, incident_reporters_table, incident_runs_table
    incidents, callers, outbox = incidents_table, incident_callers_table, outbox_table
    columns = [sessions.c[name] for name in SESSION_COLUMNS]
    select_session = select(*columns).where(sessions.c.id == bindparam("id"))
    if dml.__name__ == "sqlalchemy.dialects.postgresql":
        # One upsert creates a missing row (two first turns cannot both see "no row") and
        # row-locks it; DO UPDATE of nothing that changes, because DO NOTHING returns no row.
        lock_session: Select | Insert = (  # type: ignore[type-arg]
            dml.insert(sessions)
            .values(id=bindparam("id"), channel=bindparam("channel"), caller=bindparam("caller"), data=None,
                    seq=0, created_at=bindparam("now"), updated_at=bindparam("now"))
            .on_conflict_do_update(index_elements=[sessions.c.id], set_={"id": bindparam("id")})
            .returning(*columns))
    else:
        # BEGIN IMMEDIATE (the engine's begin event) already holds SQLite's write lock: a plain read.
        lock_session = select_session
    upsert = dml.insert(reporters).values(system=bindparam("system"), caller_key=bindparam("caller_key"),
                                          last_at=bindparam("at"))
    run = dml.insert(runs).values(system=bindparam("system"), first_at=bindparam("at"), last_at=bindparam("at"))
    # One range of the (system, last_at) index: one row per reporter, not per call.
    in_window = (reporters.c.system == bindparam("system"), reporters.c.last_at >= bindparam("since"),
                 reporters.c.last_at <= bindparam("until"))
    # Twilio (or the log) took an outbox message: its id and state; no lease, no error left.
    accept: dict[str, Any] = {"provider_id": bindparam("provider_id"), "state": bindparam("state"),
                              "lease_until": None, "last_error": None, "updated_at": bindparam("now")}
    return Statements(
        lock_session=lock_session,
        select_session=select_session,
        insert_session=insert(sessions).values(
            id=bindparam("id"), channel=bindparam("channel"), caller=bindparam("caller"), data=bindparam("data"),
            seq=bindparam("seq"), created_at=bindparam("now"), updated_at=bindparam("now"), ref=bindparam("ref"),
            caller_key=bindparam("caller_key")),
        # WHERE by "key": SQLAlchemy keeps a column's own name for its SET value.
        update_session=update(sessions).where(sessions.c.id == bindparam("key")).values(
            data=bindparam("data"), seq=bindparam("seq"), updated_at=bindparam("now"), caller=bindparam("caller"),
            ref=bindparam("ref"),
            # A session's caller never changes: a turn that does not know it (a late webhook) keeps it.
            caller_key=func.coalesce(bindparam("caller_key", type_=String(64)), sessions.c.caller_key)),
        # A turn that did not read its row (ivr/channels/voice/call.py: the carried state held it) writes it only
        # if the row still holds exactly what the turn started from; RETURNING gives the row's new seq for
        # the turn's events, and no row says it was not (the turn then runs again on the locked read).
        update_unread=update(sessions).where(sessions.c.id == bindparam("key"),
                                             sessions.c.data == bindparam("expect")).values(
            data=bindparam("data"), seq=sessions.c.seq + 1, updated_at=bindparam("now"), caller=bindparam("caller"),
            # The receipt's code is the same for every turn of a call (reference_code(id)): unread, it is kept.
            ref=func.coalesce(bindparam("ref", type_=String(8)), sessions.c.ref),
            caller_key=func.coalesce(bindparam("caller_key", type_=String(64)), sessions.c.caller_key))
        .returning(sessions.c.seq),
        delete_session=sessions.delete().where(sessions.c.id == bindparam("id")),
        delete_unread=sessions.delete().where(sessions.c.id == bindparam("id"), sessions.c.data == bindparam("expect"))
        .returning(sessions.c.seq),
        insert_event=insert(events_table).values(
            session_id=bindparam("session_id"), seq=bindparam("seq"), at=bindparam("at"), kind=bindparam("kind"),
            channel=bindparam("channel"), system=bindparam("system"), data=bindparam("data"),
            caller_key=bindparam("caller_key")),
        # RETURNING rather than rowcount: it says plainly whether this insert made the row.
        claim=dml.insert(processed_messages_table)
        .values(sid=bindparam("sid"), session_id=bindparam("session_id"), at=bindparam("at"))
        .on_conflict_do_nothing(index_elements=[processed_messages_table.c.sid])
        .returning(processed_messages_table.c.sid),
        # DO NOTHING on the key: a replayed webhook's message is already there (RETURNING gives no row).
        enqueue=dml.insert(outbox_table)
        .values(key=bindparam("key"), kind=bindparam("kind"), channel=bindparam("channel"),
                target=bindparam("target"), body=bindparam("body"), session_id=bindparam("session_id"),
                created_at=bindparam("at"), updated_at=bindparam("at"), state="pending", attempts=0,
                next_attempt_at=bindparam("next_at"))
        .on_conflict_do_nothing(index_elements=[outbox_table.c.key])
        .returning(outbox_table.c.id),
        # The later time wins, whichever of two concurrent turns commits last. A row already
        # refreshed since refresh_before is left alone: every answer of a busy system would
        # otherwise rewrite the same rows (on PostgreSQL a dead row version each time).
        upsert_reporter=upsert.on_conflict_do_update(
            index_elements=[reporters.c.system, reporters.c.caller_key],
            set_={"last_at": case((reporters.c.last_at > upsert.excluded.last_at, reporters.c.last_at),
                                  else_=upsert.excluded.last_at)},
            where=reporters.c.last_at < bindparam("refresh_before")),
        # A report less than a window after the run's last one continues it; a later one starts a new run.
        upsert_run=run.on_conflict_do_update(
            index_elements=[runs.c.system],
            set_={"first_at": case((runs.c.last_at > bindparam("run_from"), runs.c.first_at),
                                   else_=run.excluded.first_at),
                  "last_at": case((runs.c.last_at > run.excluded.last_at, runs.c.last_at),
                                  else_=run.excluded.last_at)},
            where=runs.c.last_at < bindparam("refresh_before")),
        count_reporters=select(
            select(func.count()).select_from(reporters).where(*in_window).scalar_subquery(),
            select(func.count()).select_from(reporters)
            .where(*in_window, reporters.c.caller_key == bindparam("me")).scalar_subquery()),
        select_run=select(runs.c.first_at, runs.c.last_at).where(runs.c.system == bindparam("system")),
        # One range of the (caller_key, updated_at) index.
        latest_by_caller=select(sessions.c.id, sessions.c.data)
        .where(sessions.c.caller_key == bindparam("caller_key"), sessions.c.channel == bindparam("channel"),
               sessions.c.updated_at >= bindparam("since"), sessions.c.id != bindparam("exclude"))
        .order_by(sessions.c.updated_at.desc()).limit(1),
        select_announcements=select(
            announcements_table.c.system, announcements_table.c.text, announcements_table.c.until,
            announcements_table.c.created_at, announcements_table.c.created_by),
        # One range of the sessions_ref index.
        select_by_ref=select(sessions.c.id, *columns).where(sessions.c.ref == bindparam("ref"))
        .order_by(sessions.c.created_at),
        live_incident=select(incidents).where(
            incidents.c.system == bindparam("system"), incidents.c.state != IncidentState.RESOLVED.value,
            incidents.c.updated_at > bindparam("since")).order_by(incidents.c.id.desc()).limit(1),
        incident_counts=select(
            func.count(), func.coalesce(func.sum(func.cast(callers.c.notify, incidents.c.id.type)), 0))
        .where(callers.c.incident_id == bindparam("incident")),
        incident_places=select(callers.c.workplace).distinct().where(
            callers.c.incident_id == bindparam("incident"), callers.c.workplace.is_not(None)),
        incident_caller=select(callers.c.caller_key).where(
            callers.c.incident_id == bindparam("incident"), callers.c.caller_key == bindparam("caller_key")),
        outbox_owner=select(outbox.c.session_id).where(outbox.c.key == bindparam("key")),
        ticket_keys=select(outbox.c.key).where(outbox.c.session_id == bindparam("session_id"),
                                               outbox.c.channel == "ticket"),
        caller_notify=select(callers.c.notify).where(
            callers.c.incident_id == bindparam("incident"), callers.c.caller_key == bindparam("caller_key")),
        insert_caller=insert(callers).values(
            incident_id=bindparam("incident"), caller_key=bindparam("caller_key"), notify=bindparam("notify"),
            session_id=bindparam("session_id"), at=bindparam("at"), facts=bindparam("facts"),
            workplace=bindparam("workplace"), lang=bindparam("lang")),
        # WHERE by "incident" and "who": the SET values keep their columns' own names.
        update_caller=update(callers).where(
            callers.c.incident_id == bindparam("incident"), callers.c.caller_key == bindparam("who")).values(
            notify=bindparam("notify"), session_id=bindparam("session_id"), at=bindparam("at"),
            facts=bindparam("facts"), workplace=bindparam("workplace"), lang=bindparam("lang")),
        touch_incident=update(incidents).where(incidents.c.id == bindparam("incident")).values(
            updated_at=bindparam("at")),
        claim_one=claim_outbox(select(outbox.c.id).where(outbox.c.id == bindparam("row"), outbox_due())),
        outbox_row=select(outbox).where(outbox.c.id == bindparam("row")).with_for_update(),
        accept_row=update(outbox).where(outbox.c.id == bindparam("row")).values(**accept),
        accept_row_blanked=update(outbox).where(outbox.c.id == bindparam("row")).values(
            **accept, target=None, body=None),
        session_meta=select(sessions.c.seq, sessions.c.channel, sessions.c.caller_key)
        .where(sessions.c.id == bindparam("session_id")),
    )


def outbox_due() -> ColumnElement[bool]:
    """The outbox rows a sender may take at :now: pending and due, or claimed by a sender whose lease ran out."""
    outbox = outbox_table
    return or_(and_(outbox.c.state == "pending", outbox.c.next_attempt_at <= bindparam("now")),
               and_(outbox.c.state == "sending", outbox.c.lease_until < bindparam("now")))


def claim_outbox(pick: Select) -> ReturningUpdate[Any]:  # type: ignore[type-arg]
    """The rows pick selects, taken for one attempt each under a lease until :lease_until, as they were.

    SQLite: inside BEGIN IMMEDIATE (the store's write transaction), so two processes cannot take the same row.
    PostgreSQL: picked FOR UPDATE SKIP LOCKED, so several workers and hosts each take different rows without
    waiting on each other.
    """
    outbox = outbox_table
    return (update(outbox).where(outbox.c.id.in_(pick.with_for_update(skip_locked=True).scalar_subquery()))
            .values(state="sending", attempts=outbox.c.attempts + 1, lease_until=bindparam("lease_until"),
                    updated_at=bindparam("now"))
            .returning(outbox))


@functools.cache
def for_backend(backend: str) -> Statements:
    """The statements of one database ("sqlite" or "postgresql"), built on first use.

    Why not both at import: measured (bench/README.md, December 2026), building PostgreSQL's
    statements imported SQLAlchemy's PostgreSQL dialect into every SQLite worker, and the other
    way round.
    """
    if backend == "postgresql":
        from sqlalchemy.dialects import postgresql

        return _build(postgresql)
    from sqlalchemy.dialects import sqlite

    return _build(sqlite)


class Precompiled:
    """One statement compiled once for a database, run on the driver's own cursor.

    Why (measured, bench/README.md, December 2026): SQLAlchemy's Connection.execute costs
    about 35 us of Python per statement even with its compiled cache (cache key, parameter
    coercion, the execution context, the result object): with 4-7 statements a turn that
    was ~15 % of a turn in the profile. Here the SQL text, the parameter order and the
    columns' own bind and result processors (UTCDateTime, JSONData, the dialect's JSONB) are
    taken from SQLAlchemy's compilation once, so values are converted exactly as before;
    per execution only the processors and the driver run. It runs on the driver's connection of
    the store's transaction (ivr/store/connections.py); the driver's errors are the store's to
    turn into StoreError.
    """

    def __init__(self, statement: ClauseElement, dialect: Dialect, *, for_executemany: bool = False) -> None:
        # for_executemany: no implicit RETURNING of the primary key (PostgreSQL adds one to a lone INSERT).
        compiled = statement.compile(dialect=dialect, for_executemany=for_executemany)
        assert isinstance(compiled, SQLCompiler)
        self.sql = compiled.string
        binds = compiled.binds
        # Values the statement itself holds (e.g. the outbox row's state="pending"); the rest come per execute.
        self.defaults = {name: bind.value for name, bind in binds.items() if not bind.required}
        self.processors: list[tuple[str, Callable[[Any], Any]]] = [
            (name, processor) for name, processor in compiled._bind_processors.items() if callable(processor)]
        self.order = list(compiled.positiontup or ()) if compiled.positional else None
        self.names = list(binds)
        columns = compiled._result_columns
        self.columns = [column[0] for column in columns]
        self.row = namedtuple("Row", self.columns, rename=True) if columns else None
        self.results = [(index, processor) for index, processor in (
            (index, column[3]._cached_result_processor(dialect, None)) for index, column in enumerate(columns))
            if processor is not None]

    def arguments(self, params: Mapping[str, Any]) -> Any:
        """The driver's parameters: qmark's list or pyformat's dict, every value through its column's processor."""
        values = {**self.defaults, **params} if self.defaults else dict(params)
        for name, processor in self.processors:
            values[name] = processor(values[name])
        if self.order is not None:
            return [values[name] for name in self.order]
        return {name: values[name] for name in self.names}

    def execute(self, dbapi: Any, params: Mapping[str, Any] | None = None) -> Rows:
        """Run once on the driver's connection; the rows it returns (RETURNING or SELECT), already read."""
        cursor = dbapi.cursor()
        try:
            cursor.execute(self.sql, self.arguments(params or {}))
            return Rows([self._row(raw) for raw in cursor.fetchall()] if self.row is not None else [],
                        cursor.rowcount)
        finally:
            cursor.close()

    def execute_many(self, dbapi: Any, params: list[dict[str, Any]]) -> None:
        """Run once per parameter set, in one call to the driver (no rows back)."""
        cursor = dbapi.cursor()
        try:
            cursor.executemany(self.sql, [self.arguments(values) for values in params])
        finally:
            cursor.close()

    def _row(self, raw: Any) -> Any:
        assert self.row is not None
        if not self.results:
            return self.row(*raw)
        values = list(raw)
        for index, processor in self.results:
            values[index] = processor(values[index])
        return self.row(*values)


class Rows(list[Any]):
    """A precompiled statement's rows, read like SQLAlchemy's Result where the store reads them."""

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        super().__init__(rows)
        self.rowcount = rowcount

    def first(self) -> Any:
        """The first row or None."""
        return self[0] if self else None

    def one(self) -> Any:
        """The only row."""
        if len(self) != 1:
            raise ValueError(f"expected one row, got {len(self)}")
        return self[0]

    def scalar(self) -> Any:
        """The first column of the first row, or None."""
        return self[0][0] if self else None

    def all(self) -> list[Any]:
        """Every row."""
        return list(self)


def driver(conn: Connection) -> Any:
    """The driver's connection under SQLAlchemy's: a precompiled statement in that Connection's transaction."""
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    return dbapi


@dataclass(frozen=True)
class Compiled:
    """A turn's statements, precompiled for one database (Store.session and what runs inside it)."""

    lock_session: Precompiled
    select_session: Precompiled
    insert_session: Precompiled
    update_session: Precompiled
    update_unread: Precompiled
    delete_session: Precompiled
    delete_unread: Precompiled
    insert_event: Precompiled
    claim: Precompiled
    enqueue: Precompiled
    upsert_reporter: Precompiled
    upsert_run: Precompiled
    count_reporters: Precompiled
    select_run: Precompiled
    select_announcements: Precompiled
    latest_by_caller: Precompiled
    live_incident: Precompiled
    incident_counts: Precompiled
    incident_places: Precompiled
    incident_caller: Precompiled
    outbox_owner: Precompiled
    ticket_keys: Precompiled
    caller_notify: Precompiled
    insert_caller: Precompiled
    update_caller: Precompiled
    touch_incident: Precompiled
    claim_one: Precompiled
    outbox_row: Precompiled
    accept_row: Precompiled
    accept_row_blanked: Precompiled
    session_meta: Precompiled


def precompile(sql: Statements, dialect: Dialect) -> Compiled:
    """The turn's statements compiled for this engine's dialect."""
    return Compiled(**{
        name.name: Precompiled(getattr(sql, name.name), dialect, for_executemany=name.name == "insert_event")
        for name in fields(Compiled)})


_COMPILED: dict[tuple[str, type[Dialect]], Compiled] = {}


def precompiled(backend: str, dialect: Dialect) -> Compiled:
    """precompile() once a process for each kind of database, at a Store's creation.

    Why: a process that opens several stores (the test suite makes ~2,000; `ivr` commands run in one
    process) compiled the same statements (22 then) for each, ~6 ms a store (December 2026). A Store's
    dialect has not connected yet when it is made (no server version read), and every Store of a
    backend creates its engine with the same options, so the compilation is the same for all of them.
    """
    key = (backend, type(dialect))
    if key not in _COMPILED:
        _COMPILED[key] = precompile(for_backend(backend), dialect)
    return _COMPILED[key]
