"""The schema check, an upgrade from the first migration under a call in progress, and backups restored.

Each continuation is judged the same way: the next key pressed on the upgraded or restored
database gets the very answer the original database gives to that key.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ivr import create_app
from ivr.cli import main
from ivr.store.migrate import head
from tests.conftest import FrozenClock, Twilio, app_config
from tests.conftest_db import PG_SKIP_REASON, database_params, fresh_url, pg_url

# The columns revision 0001 has; later migrations only add to them.
SESSION_COLUMNS = "id, channel, caller, data, seq, created_at, updated_at"
EVENT_COLUMNS = "session_id, seq, at, kind, channel, system, data, caller_key"


@pytest.fixture(params=database_params())
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a new SQLite file, or this run's PostgreSQL schema emptied."""
    return fresh_url(str(request.param), tmp_path)


def start_app(database_url: str, clock: FrozenClock) -> Flask:
    return create_app(app_config(database_url, clock))


def stop(app: Flask) -> None:
    app.extensions["ivr.store"].dispose()


def call_to_viva_step_one(app: Flask) -> Twilio:
    """A call that has chosen Viva (key 1) and hears its first step."""
    twilio = Twilio(app.test_client())
    twilio.call("/voice")
    body = twilio.call("/voice/input", Digits="1").data
    assert b"<Gather" in body
    return twilio


def next_key(app: Flask) -> bytes:
    """The answer to the call's next key (no: the first step did not help); read from the database."""
    response = Twilio(app.test_client()).call("/voice/input", Digits="2")
    assert response.status_code == 200
    assert b"<Gather" in response.data  # the checklist's second step, asked
    return response.data


def db(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["db", *args])
    return result.exit_code, result.output


# -- ivr db check ---------------------------------------------------------------------------


def test_db_check_says_what_it_found_and_what_it_needs(url: str) -> None:
    if url.startswith("sqlite"):
        Path(str(make_url(url).database)).touch()  # an empty database, as a fresh PostgreSQL one is
    code, output = db("check", "--database", url)
    assert code != 0
    assert f"database schema at no revision, this program needs {head()}" in output
    assert "ivr db upgrade" in output
    assert db("upgrade", "--database", url)[0] == 0
    code, output = db("check", "--database", url)
    assert code == 0, output
    assert f"revision {head()}" in output


def test_db_check_and_backup_of_a_missing_sqlite_file_create_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "line.sqlite3"
    for args in (["check"], ["backup", str(tmp_path / "copy.sqlite3")]):
        code, output = db(*args, "--database", f"sqlite:///{missing}")
        assert code != 0 and "Ingen databas" in output, output
    assert not missing.parent.exists() and not (tmp_path / "copy.sqlite3").exists()


def test_db_check_on_an_unreachable_database_fails_with_a_message() -> None:
    code, output = db("check", "--database", "postgresql+psycopg://postgres@127.0.0.1:1/x?connect_timeout=1")
    assert code != 0
    assert "database error" in output and "Traceback" not in output


# -- an upgrade from the first migration with a call in progress ------------------------------


def test_a_call_written_at_revision_0001_goes_on_after_the_upgrade(url: str, tmp_path: Path,
                                                                     clock: FrozenClock) -> None:
    from alembic import command

    from ivr.store.migrate import config

    # The call as a running line wrote it: copied, rows and all, into a database at 0001.
    reference = start_app(f"sqlite:///{tmp_path / 'reference.sqlite3'}", clock)
    call_to_viva_step_one(reference)
    engine = reference.extensions["ivr.store"].engine
    with engine.connect() as conn:
        sessions = [dict(row._mapping) for row in conn.execute(text(f"SELECT {SESSION_COLUMNS} FROM sessions"))]
        events = [dict(row._mapping) for row in conn.execute(text(f"SELECT {EVENT_COLUMNS} FROM events"))]
    assert sessions and events

    old = create_engine(url)
    try:
        with old.begin() as conn:
            command.upgrade(config(conn), "0001")
            for row in sessions:
                conn.execute(text(f"INSERT INTO sessions ({SESSION_COLUMNS}) VALUES "
                                  "(:id, :channel, :caller, :data, :seq, :created_at, :updated_at)"), row)
            for row in events:
                conn.execute(text(f"INSERT INTO events ({EVENT_COLUMNS}) VALUES "
                                  "(:session_id, :seq, :at, :kind, :channel, :system, :data, :caller_key)"), row)
    finally:
        old.dispose()
    assert all(isinstance(row["data"], str) for row in sessions)  # JSON text, as 0001 kept it
    code, output = db("check", "--database", url)
    assert code != 0 and f"database schema at 0001, this program needs {head()}" in output

    upgraded = start_app(url, clock)  # starts with the upgrade, as `ivr serve` does
    try:
        assert db("check", "--database", url)[0] == 0
        expected = next_key(reference)
        assert b"<Gather" in expected
        assert next_key(upgraded) == expected
        kinds = [event["kind"] for event in upgraded.extensions["ivr.store"].events()]
        assert kinds[: len(events)] == [row["kind"] for row in events]
        assert len(kinds) > len(events)  # the old audit trail, and the new turn after it
    finally:
        stop(upgraded)
        stop(reference)


# -- backups ------------------------------------------------------------------------------------


def test_sqlite_online_backup_restored_continues_the_call(tmp_path: Path, clock: FrozenClock) -> None:
    live_url = f"sqlite:///{tmp_path / 'line.sqlite3'}"
    live = start_app(live_url, clock)
    try:
        call_to_viva_step_one(live)  # the line is running, its connections open
        backup = tmp_path / "backup" / "line-backup.sqlite3"
        backup.parent.mkdir()
        code, output = db("backup", str(backup), "--database", live_url)
        assert code == 0, output
        assert "Säkerhetskopia skriven" in output
        assert not list(backup.parent.glob("*.partial"))
        # Restoring: the copy is a whole database; put it where the new server's URL points.
        restored_path = tmp_path / "restored" / "line.sqlite3"
        restored_path.parent.mkdir()
        shutil.copyfile(backup, restored_path)
        restored = start_app(f"sqlite:///{restored_path}", clock)
        try:
            assert db("check", "--database", f"sqlite:///{restored_path}")[0] == 0
            assert next_key(restored) == next_key(live)
        finally:
            stop(restored)
        # A second backup to the same name is refused rather than overwriting the first.
        code, output = db("backup", str(backup), "--database", live_url)
        assert code != 0 and "already exists" in output
    finally:
        stop(live)


@pytest.mark.skipif(pg_url() is None, reason=PG_SKIP_REASON)
def test_ivr_db_backup_points_postgresql_to_pg_dump(tmp_path: Path) -> None:
    code, output = db("backup", str(tmp_path / "x"), "--database", str(pg_url()))
    assert code != 0 and "pg_dump -Fc" in output and "Traceback" not in output
    assert not (tmp_path / "x").exists()


@pytest.fixture
def pg_databases() -> Iterator[tuple[str, str]]:
    """Two private, empty PostgreSQL databases (the live one and the restore target), dropped after."""
    server = pg_url()
    if server is None:
        pytest.skip(PG_SKIP_REASON)
    missing = [tool for tool in ("pg_dump", "pg_restore") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (apt-get install postgresql-client)")
    base = make_url(server)
    names = [f"ivr_backup_{os.getpid()}", f"ivr_restore_{os.getpid()}"]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")

    def drop() -> None:
        with admin.connect() as conn:
            for name in names:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    drop()
    with admin.connect() as conn:
        for name in names:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        live, restored = (base.set(database=name).render_as_string(hide_password=False) for name in names)
        yield live, restored
    finally:
        drop()
        admin.dispose()


def libpq(url: str) -> str:
    """The SQLAlchemy URL as the PostgreSQL tools take it (no +psycopg)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def test_pg_dump_and_pg_restore_continue_the_call(pg_databases: tuple[str, str], tmp_path: Path,
                                                   clock: FrozenClock) -> None:
    live_url, restored_url = pg_databases
    live = start_app(live_url, clock)
    try:
        call_to_viva_step_one(live)
        before = [event["kind"] for event in live.extensions["ivr.store"].events()]
        dump = tmp_path / "line.dump"
        # The README's commands, as an operator runs them.
        subprocess.run(["pg_dump", "-Fc", "--no-owner", "-f", str(dump), "--dbname", libpq(live_url)],
                       check=True, timeout=60)
        subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "--dbname", libpq(restored_url), str(dump)],
                       check=True, timeout=60)
        assert db("check", "--database", restored_url)[0] == 0
        restored = start_app(restored_url, clock)
        try:
            assert next_key(restored) == next_key(live)
            after = [event["kind"] for event in restored.extensions["ivr.store"].events()]
            assert before and after[: len(before)] == before  # the audit trail came along
        finally:
            stop(restored)
    finally:
        stop(live)
