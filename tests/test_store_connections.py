"""The store's own driver connections (ivr/store/connections.py): each transaction's BEGIN and COMMIT sent by
the store on the driver's connection, connections reused, and every one closed by the store itself."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, text

from ivr.store import connections, outage
from ivr.store.connections import Connections, Held
from ivr.store.store import Store, StoreError
from tests.conftest_db import database_params, open_store

T0 = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
SID = "voice:CA123"


@pytest.fixture(params=database_params())
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    store = open_store(str(request.param), tmp_path)
    yield store
    store.dispose()


def made(store: Store) -> list[Any]:
    """The driver connections the store makes from now on (after closing the ones it has)."""
    store.dispose()
    connections: list[Any] = []
    event.listen(store.engine, "connect", lambda dbapi, record: connections.append(dbapi))
    return connections


def is_closed(dbapi: Any) -> bool:
    if isinstance(dbapi, sqlite3.Connection):
        try:
            dbapi.execute("SELECT 1")
        except sqlite3.ProgrammingError:
            return True
        return False
    return bool(dbapi.closed)


def test_a_turn_is_one_begin_immediate_and_one_commit_on_a_reused_connection(tmp_path: Path) -> None:
    store = open_store("sqlite", tmp_path)
    try:
        connections = made(store)
        sent: list[str] = []
        event.listen(store.engine, "connect", lambda dbapi, record: dbapi.set_trace_callback(sent.append))
        for minute in range(2):
            with store.session(SID, "voice", T0.replace(minute=minute)) as record:
                record.data = {"steg": minute}
                record.add_event("step_answered", {"svar": True})
        turns = [sent[:sent.index("COMMIT") + 1], sent[sent.index("COMMIT") + 1:]]
        for turn in turns:
            # BEGIN IMMEDIATE first (the write lock before the read), one COMMIT last: durable once per turn.
            assert turn[0] == "BEGIN IMMEDIATE" and turn[-1] == "COMMIT", turn
            assert sum(statement.startswith(("BEGIN", "COMMIT", "ROLLBACK")) for statement in turn) == 2, turn
        assert len(connections) == 1  # the second turn took the first one's connection
    finally:
        store.dispose()


def test_dispose_closes_every_connection_the_store_made(store: Store) -> None:
    connections = made(store)
    with store.session(SID, "voice", T0) as record:
        record.data = {"steg": 1}
        assert store.get("voice:other") is None  # a second transaction beside the turn: a second connection
    with pytest.raises(RuntimeError), store.session(SID, "voice", T0):
        raise RuntimeError("a turn that fails: rolled back, its connection given back")
    assert store.incident_run("viva") is None
    store.announce("viva", "Viva är nere.", None, T0, "test")  # SQLAlchemy's Connection over the store's own
    assert len(connections) == 2
    assert not any(is_closed(dbapi) for dbapi in connections)  # kept for the next transactions
    store.dispose()
    assert all(is_closed(dbapi) for dbapi in connections)


def test_a_postgresql_connection_lost_mid_turn_is_closed_and_the_next_turn_gets_a_new_one(store: Store) -> None:
    if store.backend != "postgresql":
        pytest.skip("PostgreSQL's lost connection")
    connections = made(store)
    with pytest.raises(StoreError), store.session(SID, "voice", T0) as record:
        record.data = {"steg": 1}
        assert record._turn is not None
        pid = record._turn.dbapi.info.backend_pid
        admin = create_engine(store.engine.url)  # not the store's: its connection is not counted
        try:
            with admin.connect() as conn:  # the server ends the turn's session (a restart, a killed backend)
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        finally:
            admin.dispose()
    assert len(connections) == 1 and is_closed(connections[0])  # not given back to serve another transaction
    with store.session(SID, "voice", T0) as record:
        record.data = {"steg": 1}
    got = store.get(SID)
    assert got is not None and got.data == {"steg": 1}
    assert len(connections) == 2


def test_a_transaction_that_ends_after_dispose_closes_its_connection(store: Store) -> None:
    """Another thread's transaction (the outbox worker's) still open at dispose: its connection is closed as
    it comes back, not kept idle for a store nobody will dispose again."""
    connections = made(store)
    with store.session(SID, "voice", T0) as record:
        record.data = {"steg": 1}
        store.dispose()  # the app shuts down meanwhile
    assert len(connections) == 1 and is_closed(connections[0])
    assert store.get(SID) is not None  # a store used after dispose opens a new one
    assert len(connections) == 2


def test_at_most_max_open_connections_and_a_transaction_waits_for_one(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'capped.sqlite3'}")
    pool = Connections(engine, max_open=2)
    first, second = pool.take(), pool.take()
    try:
        token = outage.set_deadline(0.2)
        try:
            started = time.monotonic()
            with pytest.raises(outage.NoTimeLeft):
                pool.take()  # a webhook waits until its request's deadline, no longer
            assert 0.15 < time.monotonic() - started < 2
        finally:
            outage.reset_deadline(token)

        taken: list[Held] = []
        waiter = threading.Thread(target=lambda: taken.append(pool.take()))
        waiter.start()
        time.sleep(0.1)
        assert not taken  # waiting: two are open
        pool.give_back(first)
        waiter.join(5)
        assert taken == [first]  # the one given back, not a third

        waiter = threading.Thread(target=lambda: taken.append(pool.take()))
        waiter.start()
        time.sleep(0.1)
        assert len(taken) == 1
        second.close()  # closed: room to make one
        waiter.join(5)
        assert len(taken) == 2 and taken[1] not in (first, second)
    finally:
        for held in (first, *taken[1:]):
            held.close()
        engine.dispose()


def test_a_turn_that_finds_every_connection_in_use_fails_by_its_deadline_without_blaming_the_database(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connections, "MAX_OPEN", 1)
    store = open_store("sqlite", tmp_path)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with store.session(SID, "voice", T0) as record:
            record.data = {"steg": 1}
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(5)
        token = outage.set_deadline(0.2)
        try:
            with pytest.raises(StoreError):
                store.get("voice:other")
        finally:
            outage.reset_deadline(token)
        assert not store.outage.down  # the database answered: the line was only busy
    finally:
        release.set()
        holder.join(5)
    assert store.get(SID) is not None  # the connection came back and is used again
    store.dispose()
