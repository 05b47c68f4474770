"""Schema migrations: Alembic up to head, from nothing or from the old create_all schema, once at a time."""

from __future__ import annotations

import threading
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from setuptools import find_packages
from sqlalchemy import Column, Index, Integer, MetaData, String, Table, Text, create_engine, inspect, text

from ivr import create_app
from ivr.cli import main
from ivr.store import Store
from ivr.store.migrate import head
from ivr.store.schema import UTCDateTime, metadata
from tests.conftest import FrozenClock, app_config
from tests.conftest_db import database_params, fresh_url

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(params=database_params())
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a new SQLite file, or this run's PostgreSQL schema emptied."""
    return fresh_url(str(request.param), tmp_path)


@pytest.fixture
def store(url: str) -> Iterator[Store]:
    """A store on the empty database, not upgraded."""
    store = Store(url)
    yield store
    store.dispose()


def schema_differences(store: Store) -> list[object]:
    """What the database lacks or has beyond the tables the program queries (ivr.store.schema)."""
    with store.engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), metadata))


def legacy_metadata() -> MetaData:
    """The schema as `create_all` made it before migrations (ivr/store/schema.py at schema_version 1)."""
    old = MetaData()
    Table("schema_version", old, Column("version", Integer, nullable=False))
    Table("sessions", old, Column("id", String(100), primary_key=True), Column("channel", String(10), nullable=False),
          Column("caller", String(32)), Column("data", Text), Column("seq", Integer, nullable=False),
          Column("created_at", UTCDateTime, nullable=False), Column("updated_at", UTCDateTime, nullable=False))
    Table("events", old, Column("id", Integer, primary_key=True, autoincrement=True),
          Column("session_id", String(100), nullable=False, index=True), Column("seq", Integer, nullable=False),
          Column("at", UTCDateTime, nullable=False), Column("kind", String(40), nullable=False),
          Column("channel", String(10), nullable=False), Column("system", String(40)),
          Column("data", Text, nullable=False), Column("caller_key", String(64)),
          Index("events_system_at", "system", "at"))
    Table("announcements", old, Column("system", String(40), primary_key=True), Column("text", Text, nullable=False),
          Column("until", UTCDateTime), Column("created_at", UTCDateTime, nullable=False),
          Column("created_by", String(64), nullable=False))
    Table("processed_messages", old, Column("sid", String(64), primary_key=True),
          Column("session_id", String(100), nullable=False), Column("at", UTCDateTime, nullable=False))
    return old


def test_upgrade_creates_exactly_the_schema_the_store_uses(store: Store) -> None:
    assert store.upgrade() == head()
    assert schema_differences(store) == []
    with store.engine.connect() as conn:
        assert "schema_version" not in inspect(conn).get_table_names()


def test_first_migration_is_the_old_create_all_schema(url: str) -> None:
    """Migrating to 0001 and the old create_all give the same tables, columns and indexes."""
    from alembic import command

    from ivr.store.migrate import config

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            command.upgrade(config(conn), "0001")
            differences = list(compare_metadata(MigrationContext.configure(conn), legacy_metadata()))
    finally:
        engine.dispose()
    # The one table alembic_version replaces.
    assert [(kind, table.name) for kind, table in differences] == [("add_table", "schema_version")]


def test_a_database_made_by_the_old_create_all_is_stamped_and_upgraded(store: Store) -> None:
    with store.engine.begin() as conn:
        legacy_metadata().create_all(conn)
        conn.execute(text("INSERT INTO schema_version (version) VALUES (1)"))
        conn.execute(text("INSERT INTO announcements (system, text, created_at, created_by) "
                          "VALUES ('viva', 'Viva nere', '2026-11-25 10:00:00', 'test')"))
    assert store.upgrade() == head()
    assert schema_differences(store) == []
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT text FROM announcements")).scalars().all() == ["Viva nere"]
        assert "schema_version" not in inspect(conn).get_table_names()
    assert store.upgrade() == head()  # and again: nothing to do


def test_an_unknown_old_schema_version_is_refused(store: Store) -> None:
    from ivr.store import StoreError

    with store.engine.begin() as conn:
        legacy_metadata().create_all(conn)
        conn.execute(text("INSERT INTO schema_version (version) VALUES (7)"))
    with pytest.raises(StoreError, match=r"\[7\]"):
        store.upgrade()


def test_ivr_db_upgrade_twice_from_any_folder(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no alembic.ini here, nor the project's files
    for _ in range(2):
        result = CliRunner().invoke(main, ["db", "upgrade", "--database", url])
        assert result.exit_code == 0, result.output
        assert f"database schema at revision {head()}" in result.output


def test_app_start_upgrades_through_the_migrations(url: str) -> None:
    app = create_app(app_config(url, FrozenClock(datetime.now(UTC))))
    store = app.extensions["ivr.store"]
    try:
        assert store.check_schema() == head()
        assert schema_differences(store) == []
    finally:
        store.dispose()


def test_two_processes_upgrading_at_once_migrate_once(url: str) -> None:
    stores = [Store(url) for _ in range(4)]
    results: list[object] = []
    barrier = threading.Barrier(len(stores))

    def upgrade(store: Store) -> None:
        barrier.wait()
        try:
            results.append(store.upgrade())
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results.append(exc)

    threads = [threading.Thread(target=upgrade, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert results == [head()] * len(stores)
        with stores[0].engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [head()]
    finally:
        for store in stores:
            store.dispose()


def test_the_migrations_are_packaged() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    packages = find_packages(str(ROOT), include=config["include"])
    assert {"ivr", "flows", "ivr.store.migrations", "ivr.store.migrations.versions"} <= set(packages)
    assert (ROOT / "ivr" / "store" / "migrations" / "env.py").exists()


def test_upgrade_from_0002_keeps_session_and_event_data(url: str) -> None:
    """0003 (JSONB on PostgreSQL, TEXT kept on SQLite) on a database with data: the store reads it all back."""
    from alembic import command

    from ivr.store.migrate import config

    written = datetime(2026, 11, 25, 21, 0, tzinfo=UTC)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            command.upgrade(config(conn), "0002")
            # Rows as the store wrote them at 0002: JSON text, readable Swedish.
            conn.execute(text("INSERT INTO sessions (id, channel, caller, data, seq, created_at, updated_at) "
                              "VALUES ('sms:+46701234567', 'sms', NULL, :data, 3, :at, :at)"),
                         {"data": '{"steg":"nätet","svar":[true,false],"n":2}', "at": written})
            conn.execute(text("INSERT INTO events (session_id, seq, at, kind, channel, system, data, caller_key) "
                              "VALUES ('sms:+46701234567', 3, :at, 'answer', 'sms', 'viva', :data, 'k1')"),
                         {"data": '{"steg":"nätet","ja":true}', "at": written})
    finally:
        engine.dispose()
    store = Store(url)
    try:
        assert store.upgrade() == head() == "0012"
        assert schema_differences(store) == []
        record = store.get("sms:+46701234567")
        assert record is not None
        assert (record.data, record.seq) == ({"steg": "nätet", "svar": [True, False], "n": 2}, 3)
        [event] = store.events("sms:+46701234567")
        assert (event["kind"], event["system"], event["data"]) == ("answer", "viva", {"steg": "nätet", "ja": True})
        with store.session("sms:+46701234567", "sms", written) as turn:  # and the store goes on writing it
            assert turn.data is not None
            turn.data = {**turn.data, "n": 3}
        again = store.get("sms:+46701234567")
        assert again is not None and again.data == {"steg": "nätet", "svar": [True, False], "n": 3}
        assert again.ref is None  # 0004: a session from before receipts has no code
        with store.session("sms:+46701234567", "sms", written) as turn:
            turn.ref = "K7M4QX"
        assert [found.id for found in store.sessions_by_ref("K7M4QX")] == ["sms:+46701234567"]
        with store.engine.connect() as conn:
            types = {(column["name"], str(column["type"])) for column in inspect(conn).get_columns("sessions")}
        assert ("data", "JSONB" if store.backend == "postgresql" else "TEXT") in types
    finally:
        store.dispose()


def test_the_call_logs_period_query_uses_the_events_at_index(tmp_path: Path) -> None:
    """0012: the call log's read of a period (no system) is an index range on events.at, not a scan (SQLite's plan)."""
    from sqlalchemy import event

    from ivr.store.console import ConsoleStore

    store = Store(f"sqlite:///{tmp_path / 'plan.sqlite3'}")
    try:
        store.upgrade()
        assert "events_at" in {index["name"] for index in inspect(store.engine).get_indexes("events")}
        seen: list[tuple[str, object]] = []

        def keep(conn: object, cursor: object, statement: str, parameters: object, *rest: object) -> None:
            if "FROM events" in statement and "events.at >=" in statement:
                seen.append((statement, parameters))

        event.listen(store.engine, "before_cursor_execute", keep)
        ConsoleStore(store).conversations(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 8, tzinfo=UTC))
        event.remove(store.engine, "before_cursor_execute", keep)
        [(statement, parameters)] = seen
        with store.engine.connect() as conn:
            plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement,
                                                                          parameters))  # type: ignore[arg-type]
        assert "INDEX events_at" in plan, plan
    finally:
        store.dispose()
