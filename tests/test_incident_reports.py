"""Incident reporters: one row per system and caller, counted on an index whatever the traffic."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, insert, select

from ivr.store import Store
from ivr.store.schema import incident_reporters_table
from tests.conftest_db import database_params, open_store

T0 = datetime(2026, 11, 25, 21, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=30)


@pytest.fixture(params=database_params())
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An upgraded store on an empty database."""
    store = open_store(str(request.param), tmp_path)
    yield store
    store.dispose()


def test_many_calls_from_few_callers_leave_one_row_each(store: Store) -> None:
    for n in range(60):
        with store.session(f"voice:CA{n}", "voice", T0 + timedelta(seconds=n)) as record:
            record.data = {}
            record.caller_key = f"caller{n % 3}"
            store.report(record, "viva", T0 + timedelta(seconds=n), WINDOW)
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(incident_reporters_table)).scalar_one() == 3
    assert store.reporter_count("viva", T0, T0 + WINDOW) == 3


def test_threshold_count_reads_the_system_and_time_index(store: Store) -> None:
    # A busy day: many reporters on many systems, so a planner would rather scan if it could.
    rows = [{"system": f"system{n % 9}", "caller_key": f"k{n}", "last_at": T0 - timedelta(seconds=n)}
            for n in range(20_000)]
    with store.engine.begin() as conn:
        conn.execute(insert(incident_reporters_table), rows)
        if store.backend == "postgresql":
            conn.exec_driver_sql("ANALYZE incident_reporters")
    explain = "EXPLAIN QUERY PLAN " if store.backend == "sqlite" else "EXPLAIN "
    params = {"system": "system3", "since": T0 - WINDOW, "until": T0, "me": "k3"}
    sent: list[tuple[str, Any]] = []
    with store.engine.connect() as conn:
        # The SQL and parameters exactly as SQLAlchemy hands them to the driver, explained.
        event.listen(conn, "before_cursor_execute", lambda *args: sent.append((args[2], args[3])))
        conn.execute(store._sql.count_reporters, params).one()
        statement, parameters = sent[-1]  # after SQLite's BEGIN
        cursor = conn.connection.cursor()
        cursor.execute(explain + statement, parameters)
        plan = "\n".join(" ".join(str(part) for part in row) for row in cursor.fetchall())
    assert "incident_reporters_system_last_at" in plan, plan
    assert "Seq Scan" not in plan and "SCAN incident_reporters" not in plan, plan


def test_a_reporters_time_is_rewritten_at_most_once_a_minute(store: Store) -> None:
    """Every answer of a busy system would otherwise rewrite the same rows (dead row versions on PostgreSQL)."""
    def report(at: datetime) -> None:
        with store.session("voice:CA1", "voice", at) as record:
            record.data = {}
            record.caller_key = "caller"
            store.report(record, "viva", at, WINDOW)

    def last_at() -> datetime:
        with store.engine.connect() as conn:
            return conn.execute(select(incident_reporters_table.c.last_at)).scalar_one().astimezone(UTC)

    report(T0)
    report(T0 + timedelta(seconds=30))
    assert last_at() == T0
    report(T0 + timedelta(seconds=90))
    assert last_at() == T0 + timedelta(seconds=90)
    assert store.incident_run("viva") == (T0, T0 + timedelta(seconds=90))
