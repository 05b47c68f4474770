"""Test databases: SQLite always, PostgreSQL when IVR_TEST_DATABASE_URL is set.

Use from a test module or conftest::

    from tests.conftest_db import database_params, fresh_url

    @pytest.fixture(params=database_params())
    def database_url(request, tmp_path):
        return fresh_url(request.param, tmp_path)
"""

from __future__ import annotations

import atexit
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url as make_url_object

from ivr.store import Store
from ivr.store.schema import metadata

PG_ENV = "IVR_TEST_DATABASE_URL"
PG_SKIP_REASON = f"{PG_ENV} not set: PostgreSQL tests skipped"


def pg_url() -> str | None:
    """The PostgreSQL test database from the environment, if any."""
    return os.environ.get(PG_ENV) or None


def database_params() -> list[Any]:
    """pytest params "sqlite" and "postgresql" (the latter skipped without a server URL)."""
    return [
        pytest.param("sqlite", id="sqlite"),
        pytest.param(
            "postgresql",
            id="postgresql",
            marks=pytest.mark.skipif(pg_url() is None, reason=PG_SKIP_REASON),
        ),
    ]


def make_url(param: str, tmp_path: Path) -> str:
    """The URL for a param of database_params(): a fresh file, or this run's schema in PostgreSQL."""
    if param == "sqlite":
        return f"sqlite:///{tmp_path / 'ivr.sqlite3'}"
    url = pg_url()
    if param != "postgresql" or url is None:
        raise ValueError(f"no test database for {param!r}")
    return private_schema_url(url)


_SCHEMAS: dict[str, str] = {}


def private_schema_url(url: str) -> str:
    """The same database, but a schema of this test process's own.

    Two test runs against one server (a developer's and CI's, or two sessions)
    would otherwise drop each other's tables mid-test.

    Its connections commit without waiting for the server's disk (synchronous_commit=off): what a test
    sees is the same (a commit is visible to every other connection at once), only a crash of the
    PostgreSQL server itself, which no test makes, could lose the last commits. Why: waiting for the
    disk at every commit was over half of the PostgreSQL tests' time (the SMS goldens 33 -> 14 s wall,
    December 2026). The line's own connections in production are not touched; the bench measures with it on.
    """
    if url in _SCHEMAS:
        return _SCHEMAS[url]
    schema = f"ivr_test_{os.getpid()}"
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    finally:
        engine.dispose()
    atexit.register(_drop_schema, url, schema)
    parsed = make_url_object(url)
    private = parsed.update_query_dict({"options": f"-csearch_path={schema} -csynchronous_commit=off"})
    _SCHEMAS[url] = private.render_as_string(hide_password=False)
    return _SCHEMAS[url]


def _drop_schema(url: str, schema: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    finally:
        engine.dispose()


def reset(url: str) -> None:
    """Drop the store's tables, so that each test starts from an empty database."""
    parsed = make_url_object(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").exists():
        return  # nothing to drop, and connecting would create the file (or fail on its folder)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            metadata.drop_all(conn)
            # Migrations' bookkeeping, and the table the store kept its version in before them.
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
            conn.exec_driver_sql("DROP TABLE IF EXISTS schema_version")
    finally:
        engine.dispose()


def empty_at_head(url: str) -> None:
    """Every store table emptied, the schema at this program's head: a database after the line's first start.

    Why: dropping the tables and running the eight migrations again was most of a PostgreSQL test's time
    (DDL; the golden conversations ~0.5 s a test, December 2026). One TRUNCATE of the store's tables
    keeps the schema; a schema not at head (a migration test's) is dropped and migrated as before.
    """
    from ivr.store import migrate

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            if migrate.current(conn) == migrate.head():
                quote = conn.dialect.identifier_preparer.quote
                tables = ", ".join(quote(table.name) for table in metadata.sorted_tables)
                conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
                return
    finally:
        engine.dispose()
    reset(url)
    store = Store(url)
    try:
        store.upgrade()
    finally:
        store.dispose()


def fresh_url(param: str, tmp_path: Path) -> str:
    """make_url() with its tables dropped (shared PostgreSQL keeps them between tests)."""
    url = make_url(param, tmp_path)
    reset(url)
    return url


def open_store(param: str, tmp_path: Path) -> Store:
    """An upgraded Store on an empty database; the caller must dispose() it."""
    store = Store(fresh_url(param, tmp_path))
    try:
        store.upgrade()
    except BaseException:
        store.dispose()
        raise
    return store
