"""`ivr serve --production` on PostgreSQL: each gunicorn worker has its own connections.

The app is built (and its settings validated) in gunicorn's master before the
fork. A connection the master opened then and kept in its pool would be shared
by every worker: two workers talking on one socket garble each other's
statements ("prepared statement _pg3_0 already exists", a result read by the
wrong worker), and a webhook that fails answers with the error TwiML. This test
starts the production server several times on a private database and sends
concurrent signed calls right after each start: every one must get the menu.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from ivr.simulator.voice import spoken_text
from tests.conftest import CALLER, LINE_NUMBER
from tests.conftest_db import PG_SKIP_REASON, pg_url
from tests.test_failures import Server, free_port

STARTS = 5
CONCURRENT_CALLS = 8

pytestmark = pytest.mark.skipif(pg_url() is None, reason=PG_SKIP_REASON)


@pytest.fixture
def private_database() -> Iterator[str]:
    """A database of this test's own on the test server, dropped afterwards (never the shared one)."""
    if importlib.util.find_spec("gunicorn") is None:
        pytest.skip("gunicorn is not installed (pip install -e '.[production]')")
    shared = pg_url()
    assert shared is not None
    name = f"ivr_fork_{uuid.uuid4().hex[:12]}"
    admin = create_engine(shared, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
        yield make_url(shared).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def is_menu(body: str) -> bool:
    """The welcome menu: a Gather, and no apology for a technical error."""
    root = ET.fromstring(body)
    said = " ".join(spoken_text(node) for node in root.iter("Say"))
    return root.find("Gather") is not None and "tekniskt fel" not in said and "technical error" not in said


def test_concurrent_calls_right_after_each_start_all_get_the_menu(private_database: str, tmp_path: Path) -> None:
    port = free_port()
    # The shipped config's placeholders are this test's: it rehearses, it does not go live.
    argv = [sys.executable, "-c", "from ivr.cli import main; main()", "serve", "--production", "--no-outbound",
            "--accept-placeholders", "--workers", "2", "--host", "127.0.0.1", "--port", str(port)]
    server = Server(port, private_database, tmp_path / "gunicorn.log", argv)
    answers: list[str] = []
    for start in range(STARTS):
        server.start()
        try:
            ready = threading.Barrier(CONCURRENT_CALLS)

            def call(n: int, start: int = start, ready: threading.Barrier = ready) -> str:
                ready.wait()  # all at once, so both workers serve some
                return server.post("/voice", CallSid=f"CA{start:02d}{n:02d}" + "f" * 28, From=CALLER, To=LINE_NUMBER)

            with ThreadPoolExecutor(CONCURRENT_CALLS) as pool:
                answers += pool.map(call, range(CONCURRENT_CALLS))
        finally:
            server.stop()
    errors = [body for body in answers if not is_menu(body)]
    assert len(answers) == STARTS * CONCURRENT_CALLS
    assert errors == [], f"{len(errors)} error answers, e.g. {errors[0]}\n{server.log_text()}"
