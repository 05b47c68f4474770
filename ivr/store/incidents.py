"""Incidents in the store: open one, add its callers, move its state, read the live ones and the recent ones.

A caller's turn writes in its own transaction (pass the SessionRecord as `via`); the manager's SMS words
and the console write in one of their own. Callers are kept by their keyed hash (ivr/privacy.py), never a
number; a hidden number counts as its own conversation.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from flows.incidents import Incident, IncidentState
from ivr.store.schema import dumps, incident_callers_table, incident_reporters_table, incidents_table
from ivr.store.statements import driver
from ivr.store.store import SessionRecord, Store, _aware, _check_length

CALLERS, INCIDENTS, REPORTERS = incident_callers_table, incidents_table, incident_reporters_table


@dataclass(frozen=True)
class Waiting:
    """A caller who asked for an SMS when the incident is fixed: her conversation, in her language."""

    session_id: str
    lang: str


def caller_key_of(record: SessionRecord) -> str:
    """The key a caller is counted by: her keyed hash, or for a hidden number this conversation."""
    return record.caller_key or f"hidden:{record.id}"[:64]


@dataclass(frozen=True)
class IncidentStore:
    """The incidents' reads and writes on the line's store."""

    store: Store

    @contextmanager
    def _conn(self, via: SessionRecord | None) -> Iterator[Connection]:
        """The caller's turn's transaction when given, else one of its own."""
        if via is not None and via._turn is not None:
            yield via._turn.conn
            return
        with self.store._connection() as conn:
            yield conn

    def live(self, system: str, now: datetime, known_for: timedelta,
             via: SessionRecord | None = None) -> Incident | None:
        """The system's incident that is still known (not resolved, news within known_for), if any.

        Precompiled, on the driver's connection: it is read on every turn that chooses a system, and on
        SQLAlchemy's execute (three statements with a live incident) it was ~9 % of such a turn (measured,
        bench/README.md, December 2026; cProfile of bench/ref_turn.py's Viva script: 0.87 -> 0.05 s in 400 reads).
        """
        sql = self.store.compiled
        with self.store.driver_reading(via) as dbapi:
            row = sql.live_incident.execute(dbapi, {"system": system, "since": _aware(now - known_for)}).first()
            return None if row is None else self._counted(dbapi, row._asdict())

    def is_caller(self, record: SessionRecord, incident_id: int) -> bool:
        """Is this caller among the incident's callers already? Read in her turn (ivr/tickets/filing.py)."""
        with self.store.driver_reading(record) as dbapi:
            found = self.store.compiled.incident_caller.execute(
                dbapi, {"incident": incident_id, "caller_key": caller_key_of(record)}).first()
        return found is not None

    def live_ones(self, now: datetime, known_for: timedelta, via: SessionRecord | None = None) -> list[Incident]:
        """Every live incident, newest news first (the manager's SMS words act on these)."""
        with self._conn(via) as conn:
            rows = conn.execute(select(INCIDENTS).where(
                INCIDENTS.c.state != IncidentState.RESOLVED.value,
                INCIDENTS.c.updated_at > _aware(now - known_for)).order_by(INCIDENTS.c.updated_at.desc())).all()
            return [self._incident(conn, row._mapping) for row in rows]

    def live_counts(self, now: datetime, known_for: timedelta) -> dict[str, int]:
        """How many live incidents in each state (/metrics reads it at each scrape: one grouped count)."""
        with self.store._connection(read_only=True) as conn:
            rows = conn.execute(select(INCIDENTS.c.state, func.count()).where(
                INCIDENTS.c.state != IncidentState.RESOLVED.value,
                INCIDENTS.c.updated_at > _aware(now - known_for)).group_by(INCIDENTS.c.state)).all()
        return {str(state): int(number) for state, number in rows}

    def since(self, moment: datetime, via: SessionRecord | None = None) -> list[Incident]:
        """Incidents with news since a moment, resolved ones too (the report and the console)."""
        with self._conn(via) as conn:
            rows = conn.execute(select(INCIDENTS).where(INCIDENTS.c.updated_at >= _aware(moment))
                                .order_by(INCIDENTS.c.opened_at)).all()
            return [self._incident(conn, row._mapping) for row in rows]

    def get(self, incident_id: int, via: SessionRecord | None = None) -> Incident | None:
        """One incident by id."""
        with self._conn(via) as conn:
            row = conn.execute(select(INCIDENTS).where(INCIDENTS.c.id == incident_id)).first()
            return None if row is None else self._incident(conn, row._mapping)

    def open(self, via: SessionRecord | None, system: str, state: IncidentState, now: datetime,
             by: str | None = None) -> int:
        """A new incident about a system, in the caller's turn (or a transaction of its own); its id."""
        _check_length("incident system", system, 40)
        at = _aware(now)
        acknowledged = state is not IncidentState.OPEN
        with self._conn(via) as conn:
            result = conn.execute(insert(INCIDENTS).values(
                system=system, state=state.value, opened_at=at, updated_at=at,
                acknowledged_at=at if acknowledged else None, acknowledged_by=by if acknowledged else None,
            ).returning(INCIDENTS.c.id))
            return int(result.scalar_one())

    def join(self, record: SessionRecord, incident_id: int, now: datetime, facts: dict[str, Any],
             workplace: str | None, lang: str, notify: bool = False) -> bool:
        """Add the caller (or refresh her facts); True when she is new to the incident. Its news is now."""
        # Precompiled, on the driver's connection: every caller who finishes a checklist during an incident
        # joins it, and on SQLAlchemy's execute its three statements were ~14 % of such a turn (cProfile of
        # bench/inprocess.py's outcome turns, December 2026).
        key, at = caller_key_of(record), _aware(now)
        sql = self.store.compiled
        with self.store.driver_writing(record) as dbapi:
            found = sql.caller_notify.execute(dbapi, {"incident": incident_id, "caller_key": key}).first()
            values = {"incident": incident_id, "caller_key": key, "who": key, "session_id": record.id, "at": at,
                      "facts": dumps(facts), "workplace": workplace, "lang": lang,
                      "notify": notify if found is None else bool(found.notify) or notify}
            (sql.insert_caller if found is None else sql.update_caller).execute(dbapi, values)
            sql.touch_incident.execute(dbapi, {"incident": incident_id, "at": at})
            return found is None

    def join_reporters(self, record: SessionRecord, incident_id: int, system: str, since: datetime,
                       now: datetime) -> None:
        """The reports that opened an incident become its callers (their facts were not kept with them)."""
        at = _aware(now)
        with self._conn(record) as conn:
            keys = conn.execute(select(REPORTERS.c.caller_key).where(
                REPORTERS.c.system == system, REPORTERS.c.last_at >= _aware(since))).scalars().all()
            known = set(conn.execute(select(CALLERS.c.caller_key).where(
                CALLERS.c.incident_id == incident_id)).scalars().all())
            for key in sorted(set(keys) - known):
                conn.execute(insert(CALLERS).values(incident_id=incident_id, caller_key=key, session_id="", at=at,
                                                    facts="{}", workplace=None, notify=False, lang="sv"))

    def subscribe(self, record: SessionRecord, incident_id: int, now: datetime, lang: str,
                  workplace: str | None = None) -> None:
        """The caller asked for an SMS when the incident is fixed (she joins it if she had not)."""
        key = caller_key_of(record)
        with self._conn(record) as conn:
            found = conn.execute(select(CALLERS.c.caller_key).where(
                CALLERS.c.incident_id == incident_id, CALLERS.c.caller_key == key)).first()
            if found is None:
                conn.execute(insert(CALLERS).values(incident_id=incident_id, caller_key=key, session_id=record.id,
                                                    at=_aware(now), facts="{}", workplace=workplace, notify=True,
                                                    lang=lang))
            else:
                known = {"workplace": workplace} if workplace is not None else {}
                conn.execute(update(CALLERS).where(CALLERS.c.incident_id == incident_id,
                                                   CALLERS.c.caller_key == key)
                             .values(notify=True, session_id=record.id, lang=lang, **known))

    def move(self, incident_id: int, state: IncidentState, by: str, now: datetime,
             via: SessionRecord | None = None) -> bool:
        """Acknowledge, escalate or resolve; False when the incident is resolved already (or unknown).

        An acknowledged incident is not acknowledged again (the first person stays); escalating keeps
        the acknowledgement, and acknowledges it if nobody had.
        """
        _check_length("incident actor", by, 64)
        at = _aware(now)
        values: dict[str, Any] = {"state": state.value, "updated_at": at}
        if state is IncidentState.RESOLVED:
            values |= {"resolved_at": at, "resolved_by": by}
        elif state is IncidentState.ESCALATED:
            values |= {"escalated_at": at}
        with self._conn(via) as conn:
            row = conn.execute(select(INCIDENTS.c.state, INCIDENTS.c.acknowledged_at)
                               .where(INCIDENTS.c.id == incident_id)).first()
            if row is None or row.state == IncidentState.RESOLVED.value:
                return False
            if state is IncidentState.ACKNOWLEDGED and row.state == IncidentState.ESCALATED.value:
                values["state"] = IncidentState.ESCALATED.value  # never back from escalated
            if row.acknowledged_at is None and state is not IncidentState.RESOLVED:
                values |= {"acknowledged_at": at, "acknowledged_by": by}
            conn.execute(update(INCIDENTS).where(INCIDENTS.c.id == incident_id).values(**values))
            return True

    def waiting(self, incident_id: int, via: SessionRecord | None = None) -> list[Waiting]:
        """The callers who asked for an SMS when the incident is fixed."""
        with self._conn(via) as conn:
            rows = conn.execute(select(CALLERS.c.session_id, CALLERS.c.lang).where(
                CALLERS.c.incident_id == incident_id, CALLERS.c.notify.is_(True))).all()
        return [Waiting(str(row.session_id), str(row.lang)) for row in rows]

    def facts(self, incident_id: int, via: SessionRecord | None = None) -> list[dict[str, Any]]:
        """Each caller's facts (to tell whether a new caller adds something)."""
        with self._conn(via) as conn:
            rows = conn.execute(select(CALLERS.c.facts).where(CALLERS.c.incident_id == incident_id)).all()
        return [json.loads(row.facts or "{}") for row in rows]

    def _incident(self, conn: Connection, row: Any) -> Incident:
        """An incident row with its callers counted."""
        return self._counted(driver(conn), row)

    def _counted(self, dbapi: Any, row: Any) -> Incident:
        """An incident row with its callers counted (precompiled: live() reads it on a turn)."""
        sql = self.store.compiled
        callers, waiting = sql.incident_counts.execute(dbapi, {"incident": row["id"]}).one()
        places = [place for (place,) in sql.incident_places.execute(dbapi, {"incident": row["id"]})]
        return Incident(
            id=int(row["id"]), system=str(row["system"]), state=IncidentState(row["state"]),
            opened_at=row["opened_at"], updated_at=row["updated_at"], acknowledged_at=row["acknowledged_at"],
            acknowledged_by=row["acknowledged_by"], escalated_at=row["escalated_at"],
            resolved_at=row["resolved_at"], callers=int(callers), workplaces=tuple(sorted(map(str, places))),
            waiting=int(waiting),
        )
