"""A webhook turn's statements: compiled once by SQLAlchemy, run on the driver's own cursor.

Why not `Connection.execute`: SQLAlchemy's per-execute work (execution context,
parameter and result processing, row objects) cost 0.5 ms of a turn on SQLite,
where the same statements through `sqlite3` take 0.03 ms (bench/README.md). The
SQL is still SQLAlchemy's, compiled from Core statements for the engine's
dialect, and timestamps still go through the column type's own processors;
only the execution is done here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Engine, bindparam, case, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import ClauseElement

from ivr.store.schema import (
    UTCDateTime,
    announcements_table,
    events_table,
    incident_reporters_table,
    incident_runs_table,
    processed_messages_table,
    sessions_table,
)

# Parameter styles that take a dict, which every statement here is run with.
NAMED_PARAMSTYLES = ("named", "pyformat")


class SessionRow(NamedTuple):
    """A sessions row as the turn reads it; timestamps are aware UTC datetimes."""

    channel: str
    caller: str | None
    data: str | None
    seq: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Prepared:
    """One compiled statement and the values it carries itself (literals in the Core statement)."""

    sql: str
    defaults: dict[str, Any]

    def run(self, cursor: Any, **values: Any) -> Any:
        """Execute on a DBAPI cursor; the cursor, for fetching."""
        cursor.execute(self.sql, {**self.defaults, **values})
        return cursor


class TurnSql:
    """The turn's statements for one engine's database."""

    def __init__(self, engine: Engine) -> None:
        """Compile every statement for the engine's dialect, with named parameters."""
        dialect = engine.dialect
        if dialect.paramstyle not in NAMED_PARAMSTYLES:
            # sqlite3 defaults to "?" placeholders; its named style takes the same dict as psycopg's.
            dialect = type(dialect)(paramstyle="named")  # type: ignore[call-arg]  # DefaultDialect takes it
        self.backend = dialect.name
        time_type = UTCDateTime().dialect_impl(dialect)
        self._time_in: Callable[[Any], Any] = time_type.bind_processor(dialect) or _same
        self._time_out: Callable[[Any], Any] = time_type.result_processor(dialect, None) or _same
        session_columns = [sessions_table.c[name] for name in SessionRow._fields]
        dml = postgresql if self.backend == "postgresql" else sqlite

        def compiled(statement: ClauseElement) -> Prepared:
            result = statement.compile(dialect=dialect)
            return Prepared(result.string, dict(result.params))

        self.select_session = compiled(select(*session_columns).where(sessions_table.c.id == bindparam("id")))
        # PostgreSQL: one upsert creates a missing row (two first turns cannot both see "no row")
        # and row-locks it; DO UPDATE of nothing that changes, because DO NOTHING returns no row.
        self.lock_session = compiled(
            postgresql.insert(sessions_table)
            .values(id=bindparam("id"), channel=bindparam("channel"), caller=bindparam("caller"), data=None,
                    seq=0, created_at=bindparam("now"), updated_at=bindparam("now"))
            .on_conflict_do_update(index_elements=[sessions_table.c.id], set_={"id": bindparam("id")})
            .returning(*session_columns)
        ) if self.backend == "postgresql" else self.select_session
        self.insert_session = compiled(insert(sessions_table).values(
            id=bindparam("id"), channel=bindparam("channel"), caller=bindparam("caller"), data=bindparam("data"),
            seq=bindparam("seq"), created_at=bindparam("now"), updated_at=bindparam("now")))
        self.update_session = compiled(
            update(sessions_table).where(sessions_table.c.id == bindparam("id"))
            .values(data=bindparam("data"), seq=bindparam("seq"), updated_at=bindparam("now"),
                    caller=bindparam("caller")))
        self.delete_session = compiled(sessions_table.delete().where(sessions_table.c.id == bindparam("id")))
        self.insert_event = compiled(insert(events_table).values(
            session_id=bindparam("session_id"), seq=bindparam("seq"), at=bindparam("at"), kind=bindparam("kind"),
            channel=bindparam("channel"), system=bindparam("system"), data=bindparam("data"),
            caller_key=bindparam("caller_key")))
        # RETURNING rather than rowcount: it says plainly whether this insert made the row.
        self.claim = compiled(
            dml.insert(processed_messages_table)
            .values(sid=bindparam("sid"), session_id=bindparam("session_id"), at=bindparam("at"))
            .on_conflict_do_nothing(index_elements=[processed_messages_table.c.sid])
            .returning(processed_messages_table.c.sid))
        reporters, runs = incident_reporters_table, incident_runs_table
        upsert = dml.insert(reporters).values(system=bindparam("system"), caller_key=bindparam("caller_key"),
                                              last_at=bindparam("at"))
        # The later time wins, whichever of two concurrent turns commits last.
        self.upsert_reporter = compiled(upsert.on_conflict_do_update(
            index_elements=[reporters.c.system, reporters.c.caller_key],
            set_={"last_at": case((reporters.c.last_at > upsert.excluded.last_at, reporters.c.last_at),
                                  else_=upsert.excluded.last_at)}))
        # A report less than a window after the run's last one continues it; a later one starts a new run.
        run = dml.insert(runs).values(system=bindparam("system"), first_at=bindparam("at"), last_at=bindparam("at"))
        self.upsert_run = compiled(run.on_conflict_do_update(
            index_elements=[runs.c.system],
            set_={"first_at": case((runs.c.last_at > bindparam("run_from"), runs.c.first_at),
                                   else_=run.excluded.first_at),
                  "last_at": case((runs.c.last_at > run.excluded.last_at, runs.c.last_at),
                                  else_=run.excluded.last_at)}))
        # One range of the (system, last_at) index: one row per reporter, not per call.
        in_window = (reporters.c.system == bindparam("system"), reporters.c.last_at >= bindparam("since"),
                     reporters.c.last_at <= bindparam("until"))
        self.count_reporters = compiled(select(
            select(func.count()).select_from(reporters).where(*in_window).scalar_subquery(),
            select(func.count()).select_from(reporters)
            .where(*in_window, reporters.c.caller_key == bindparam("me")).scalar_subquery()))
        self.select_run = compiled(select(runs.c.first_at, runs.c.last_at).where(runs.c.system == bindparam("system")))
        self.select_announcements = compiled(select(
            announcements_table.c.system, announcements_table.c.text, announcements_table.c.until,
            announcements_table.c.created_at, announcements_table.c.created_by))

    def time_in(self, value: datetime) -> Any:
        """A timestamp as the driver takes it (SQLite: text in UTC)."""
        return self._time_in(value)

    def time_out(self, value: Any) -> datetime:
        """A timestamp as read back: an aware UTC datetime."""
        result: datetime = self._time_out(value)
        return result

    def session_row(self, row: tuple[Any, ...] | None) -> SessionRow | None:
        """A fetched sessions row, typed."""
        if row is None:
            return None
        channel, caller, data, seq, created_at, updated_at = row
        return SessionRow(channel, caller, data, int(seq), self.time_out(created_at), self.time_out(updated_at))


def _same(value: Any) -> Any:
    return value

