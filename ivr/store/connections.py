"""The store's own driver connections: each transaction takes one, sends its BEGIN and COMMIT on it, gives it back.

Why not SQLAlchemy's Connection and pool around every transaction (measured, bench/README.md, December
2026): the pool's checkout and check-in (its queue and lock, the record, the reset's rollback), the
Connection and its Transaction objects and the begin event that sent BEGIN IMMEDIATE were ~12 % of a
turn's Python in cProfile (SQLite). Here a transaction pops a connection off a list and appends it
back: SQLAlchemy's Python calls per turn 173 -> 9.5 (what is left: the columns' bind processors), all
calls per turn 3539 -> 3258 on bench/ref_turn.py's Viva script (cProfile, 2000 turns, SQLite; with the
incident read precompiled). The engine's pool still makes each new connection (its connect events:
SQLite's WAL and pragmas, psycopg's autocommit, the request's deadline on PostgreSQL's connect),
detached from the pool at once: it is then ours alone, and the store closes it (Store.dispose, a
failed transaction on PostgreSQL): nothing is left to the garbage collector.

A statement that is not precompiled (ivr/store/statements.py) still runs on SQLAlchemy's Connection,
made over the same driver connection and so in the same transaction (Held.connection()).
"""

from __future__ import annotations

import logging
import os
import weakref
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

log = logging.getLogger(__name__)

# Idle connections kept: as SQLAlchemy's default pool_size. A sync worker uses one at a time; a threaded
# server's extra ones beyond this are closed as they come back.
KEEP_IDLE = 5


class Held:
    """One driver connection of the store's, and (made on demand) SQLAlchemy's Connection over it."""

    __slots__ = ("dbapi", "_fairy", "generation")

    def __init__(self, fairy: Any, generation: int) -> None:
        self.generation = generation  # Connections.close_all() since it was made: one taken before is not kept
        self._fairy = fairy  # the pool's proxy, detached: what SQLAlchemy's Connection is made over
        self.dbapi: Any = fairy.dbapi_connection  # the driver's own connection: precompiled statements, BEGIN, COMMIT

    def connection(self, engine: Engine) -> Connection:
        """SQLAlchemy's Connection over this driver connection, inside the transaction already begun on it.

        engine: one with the execution option ivr_begun (ivr/store/store.py), so that SQLAlchemy's begin
        (its begin event) sends no second BEGIN. Never closed: closing would close the driver connection,
        which is the store's to give back; SQLAlchemy's commit and rollback are the driver's own.
        """
        conn = Connection(engine, self._fairy)
        conn.begin()
        return conn

    @property
    def usable(self) -> bool:
        """False once SQLAlchemy has invalidated it (a lost connection seen by one of its statements)."""
        return self._fairy.dbapi_connection is not None

    def close(self) -> None:
        """Close the driver connection; a failure to (a connection already gone) is only logged."""
        try:
            self.dbapi.close()
        except Exception as exc:  # noqa: BLE001 - closing a broken connection must not hide the error that broke it
            log.debug("closing a database connection failed: %s", exc)


class Connections:
    """The idle driver connections of one store, newest last."""

    def __init__(self, engine: Engine, keep: int = KEEP_IDLE) -> None:
        self._engine = engine
        self._keep = keep
        self._idle: list[Held] = []
        self._generation = 0
        # A forked worker must neither use nor close the connections it inherited (closing would end the
        # parent's sessions): it sets them aside, still referenced (ivr serve --production's master
        # disposes the store before forking, so there are none unless it opened one again).
        ref = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: _forget(ref))

    def take(self) -> Held:
        """An idle connection, else a new one (the driver's error, or outage.DatabaseDown, if none can be made)."""
        try:
            return self._idle.pop()  # list.pop is atomic: two threads never get the same one
        except IndexError:
            pass
        fairy = self._engine.raw_connection()
        fairy.detach()
        return Held(fairy, self._generation)

    def give_back(self, held: Held) -> None:
        """A connection whose transaction has ended, idle again; or closed: one SQLAlchemy invalidated, a surplus,
        or one taken before close_all() (a transaction of another thread that ended after Store.dispose, or
        after the pool was found dead), which nothing would close again."""
        if held.usable and held.generation == self._generation and len(self._idle) < self._keep:
            self._idle.append(held)
        else:
            held.close()

    def close_all(self) -> None:
        """Close every idle connection, and each one in use as it comes back (Store.dispose, or a pool found dead)."""
        self._generation += 1
        idle, self._idle = self._idle, []
        for held in idle:
            held.close()


# What a forked child inherited: kept referenced, never used (see Connections.__init__).
_inherited: list[Held] = []


def _forget(ref: weakref.ref[Connections]) -> None:
    connections = ref()
    if connections is not None:
        _inherited.extend(connections._idle)
        connections._idle = []
