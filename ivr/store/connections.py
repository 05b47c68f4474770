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

As that pool did, at most MAX_OPEN are open at once; a transaction beyond them waits for one (below).

A statement that is not precompiled (ivr/store/statements.py) still runs on SQLAlchemy's Connection,
made over the same driver connection and so in the same transaction (Held.connection()).
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from ivr.store import outage

log = logging.getLogger(__name__)

# Idle connections kept: as SQLAlchemy's default pool_size. A sync worker uses one at a time; a threaded
# server's extra ones beyond this are closed as they come back.
KEEP_IDLE = 5
# Open at once, idle or in use: as SQLAlchemy's pool allowed (pool_size 5 + max_overflow 10). A sync worker
# never gets near it; a threaded server (`ivr serve` without --production) in a burst waits for one instead
# of opening one per thread until PostgreSQL refuses them all (max_connections).
MAX_OPEN = 15
# How long a transaction without a request's deadline (a command, the outbox thread) waits for one: as
# SQLAlchemy's pool_timeout. A webhook waits until its request's deadline only (ivr/store/outage.py).
WAIT_S = 30.0


class Held:
    """One driver connection of the store's, and (made on demand) SQLAlchemy's Connection over it."""

    __slots__ = ("dbapi", "_fairy", "generation", "_on_close")

    def __init__(self, fairy: Any, generation: int, on_close: Callable[[], None] | None = None) -> None:
        self.generation = generation  # Connections.close_all() since it was made: one taken before is not kept
        self._fairy = fairy  # the pool's proxy, detached: what SQLAlchemy's Connection is made over
        self.dbapi: Any = fairy.dbapi_connection  # the driver's own connection: precompiled statements, BEGIN, COMMIT
        self._on_close = on_close  # told once, at the first close: one open connection fewer

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
        on_close, self._on_close = self._on_close, None
        if on_close is not None:
            on_close()


class Connections:
    """The idle driver connections of one store, newest last."""

    def __init__(self, engine: Engine, keep: int = KEEP_IDLE, max_open: int | None = None) -> None:
        self._engine = engine
        self._keep = keep
        self._max_open = MAX_OPEN if max_open is None else max_open
        self._open = 0  # made and not yet closed, idle or in use
        self._changed = threading.Condition()  # a connection given back or closed: one may be taken or made
        self._idle: list[Held] = []
        self._generation = 0
        # A forked worker must neither use nor close the connections it inherited (closing would end the
        # parent's sessions): it sets them aside, still referenced (ivr serve --production's master
        # disposes the store before forking, so there are none unless it opened one again).
        ref = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: _forget(ref))

    def take(self) -> Held:
        """An idle connection, else a new one (the driver's error, or outage.DatabaseDown, if none can be made).

        With MAX_OPEN open, it waits for one to come back: until the request's deadline (then
        outage.NoTimeLeft, which does not mark the database down: it answered), or WAIT_S without one.
        """
        try:
            return self._idle.pop()  # list.pop is atomic: two threads never get the same one
        except IndexError:
            pass
        with self._changed:
            if self._open >= self._max_open:
                held = self._wait_for_one()
                if held is not None:
                    return held
            self._open += 1
        try:
            fairy = self._engine.raw_connection()
        except BaseException:
            self._closed()
            raise
        fairy.detach()
        return Held(fairy, self._generation, self._closed)

    def _wait_for_one(self) -> Held | None:
        """With the lock held and MAX_OPEN open: an idle one as soon as one is given back, or None once one
        was closed (room to make one)."""
        left = outage.remaining()
        until = time.monotonic() + (WAIT_S if left is None else left)
        while self._open >= self._max_open:
            if self._idle:
                return self._idle.pop()
            wait = until - time.monotonic()
            if wait <= 0 or not self._changed.wait(wait):
                log.warning("all %d database connections in use: a transaction gave up waiting", self._max_open)
                raise outage.NoTimeLeft(f"all {self._max_open} database connections in use")
        return None

    def _closed(self) -> None:
        with self._changed:
            self._open -= 1
            self._changed.notify()

    def give_back(self, held: Held) -> None:
        """A connection whose transaction has ended, idle again; or closed: one SQLAlchemy invalidated, a surplus,
        or one taken before close_all() (a transaction of another thread that ended after Store.dispose, or
        after the pool was found dead), which nothing would close again."""
        if held.usable and held.generation == self._generation and len(self._idle) < self._keep:
            with self._changed:
                self._idle.append(held)
                self._changed.notify()
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
        # None of the parent's are this process's to count (its threads' did not come along), nor its lock.
        connections._open = 0
        connections._changed = threading.Condition()
