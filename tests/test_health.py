"""/healthz answers 200 only when the database answers at the schema the line needs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from ivr import create_app
from tests.conftest import FrozenClock, app_config
from tests.conftest_db import PG_SKIP_REASON, pg_url


def health(app_url: str, clock: FrozenClock) -> Iterator[int]:
    """Start the app on a database (auto-upgraded), then yield /healthz's status each time it is advanced."""
    app = create_app(app_config(app_url, clock))
    try:
        while True:
            yield app.test_client().get("/healthz").status_code
            app.extensions["ivr.store"].dispose()  # the database is about to be replaced under it
    finally:
        app.extensions["ivr.store"].dispose()


def test_sqlite_replaced_by_an_empty_file_is_unhealthy(tmp_path: Path, clock: FrozenClock) -> None:
    path = tmp_path / "line.sqlite3"
    checks = health(f"sqlite:///{path}", clock)
    assert next(checks) == 200
    for leftover in tmp_path.glob("line.sqlite3*"):
        leftover.unlink()
    path.touch()  # an empty database where the line's was
    assert next(checks) == 503
    checks.close()


@pytest.mark.skipif(pg_url() is None, reason=PG_SKIP_REASON)
def test_postgresql_dropped_and_recreated_empty_is_unhealthy(clock: FrozenClock) -> None:
    server = make_url(str(pg_url()))
    name = f"ivr_health_{os.getpid()}"  # a private database: never the shared one
    admin = create_engine(server, isolation_level="AUTOCOMMIT")

    def recreate() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.exec_driver_sql(f"CREATE DATABASE {name}")

    try:
        recreate()
        checks = health(server.set(database=name).render_as_string(hide_password=False), clock)
        assert next(checks) == 200
        recreate()
        assert next(checks) == 503
        checks.close()
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()
