"""What-if settings for the benchmarks: measure a proposed change without editing the app.

Each applies to an app create_app() returned, by adjusting its store's SQLAlchemy
engine (bench only: the app itself is unchanged):

- sqlite-sync-normal  PRAGMA synchronous = NORMAL on every SQLite connection. In WAL
                      mode a commit then writes the WAL without fsync; a killed
                      process loses nothing, a power cut may lose the last commits.
- pg-async-commit     SET synchronous_commit = off on every PostgreSQL connection: the
                      same trade on PostgreSQL (a server crash may lose < 1 s of commits).

(no-pre-ping is gone: the store no longer pings; a transaction's own BEGIN finds a dead connection.)

`bench/load.py --what-if NAME` runs gunicorn on `bench.whatif:create_app()`, which
reads BENCH_WHAT_IF (comma-separated names).
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from sqlalchemy import event

NAMES = ("sqlite-sync-normal", "pg-async-commit")


def apply(app: Flask, names: list[str]) -> Flask:
    """Apply the named what-ifs to the app's store; new connections get them."""
    unknown = set(names) - set(NAMES)
    if unknown:
        raise ValueError(f"unknown what-if {sorted(unknown)}: choose from {', '.join(NAMES)}")
    engine = app.extensions["ivr.store"].engine
    if "sqlite-sync-normal" in names:
        event.listen(engine, "connect", _pragma("PRAGMA synchronous = NORMAL"))
    if "pg-async-commit" in names:
        event.listen(engine, "connect", _pg_set("SET synchronous_commit = off"))
    engine.dispose()  # the pool's connections were made before the listeners
    return app


def _pragma(sql: str) -> Any:
    def on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(sql)
        finally:
            cursor.close()

    return on_connect


def _pg_set(sql: str) -> Any:
    def on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(sql)
        dbapi_connection.commit()  # else the pool's rollback on check-in undoes the SET

    return on_connect


def create_app() -> Flask:
    """gunicorn entry point: ivr.create_app() from the environment, plus BENCH_WHAT_IF."""
    from ivr import create_app as ivr_create_app

    names = [name for name in os.environ.get("BENCH_WHAT_IF", "").split(",") if name]
    return apply(ivr_create_app(), names)
