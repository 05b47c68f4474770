"""/healthz logs nothing while the line is healthy (a load balancer probes it every few seconds); a failure says why."""

from __future__ import annotations

import http.client
import importlib.util
import json
import logging
import sys
import time
from pathlib import Path

import pytest
from flask import Flask

from ivr import create_app
from tests.conftest import FrozenClock, app_config
from tests.test_failures import Server, free_port


def test_a_healthy_probe_logs_nothing(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # every logger's records, Alembic's INFO lines among them
    client = app.test_client()
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert [f"{record.name}: {record.getMessage()}" for record in caplog.records] == []


def test_a_failing_probe_says_why(tmp_path: Path, clock: FrozenClock, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "line.sqlite3"
    app = create_app(app_config(f"sqlite:///{path}", clock))
    store = app.extensions["ivr.store"]
    store.dispose()
    for leftover in tmp_path.glob("line.sqlite3*"):
        leftover.unlink()
    path.touch()  # an empty database where the line's was: no schema
    caplog.set_level(logging.INFO)
    try:
        assert app.test_client().get("/healthz").status_code == 503
    finally:
        store.dispose()
    errors = [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
    assert any(message.startswith("health check: database unavailable: database schema at no revision")
               for message in errors), errors
    # Alembic's set-up chatter stays out of a failing probe's lines too.
    assert not [record for record in caplog.records if record.name.startswith("alembic")]


def test_the_upgrade_still_logs_what_it_runs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from ivr.store import Store

    caplog.set_level(logging.INFO)
    store = Store(f"sqlite:///{tmp_path / 'new.sqlite3'}")
    try:
        store.upgrade()
    finally:
        store.dispose()
    messages = [record.getMessage() for record in caplog.records if record.name.startswith("alembic")]
    assert any(message.startswith("Running upgrade") for message in messages), messages
    assert not any(message.startswith(("Context impl", "Will assume")) for message in messages), messages


def whole_log(server: Server) -> str:
    """The server's whole log (Server.log_text keeps only the last 4000 characters)."""
    return server.log.read_text(errors="replace")


@pytest.mark.skipif(importlib.util.find_spec("gunicorn") is None,
                    reason="gunicorn is not installed (pip install -e '.[production]')")
def test_a_production_server_logs_no_line_for_a_healthy_probe(tmp_path: Path) -> None:
    port = free_port()
    argv = [sys.executable, "-c", "from ivr.cli import main; main()", "serve", "--production", "--no-outbound",
            "--accept-placeholders", "--workers", "1", "--host", "127.0.0.1", "--port", str(port)]
    server = Server(port, f"sqlite:///{tmp_path / 'line.sqlite3'}", tmp_path / "server.log", argv)
    server.start()  # answers /healthz
    try:
        started = len(whole_log(server))  # the whole file: log_text() keeps only its tail
        for _ in range(5):
            assert get(port, "/healthz") == 200
        assert get(port, "/no-such-page") == 404  # an access line that must appear, after the probes
        deadline = time.monotonic() + 10
        while "/no-such-page" not in whole_log(server)[started:] and time.monotonic() < deadline:
            time.sleep(0.05)
        lines = whole_log(server)[started:].splitlines()
    finally:
        server.stop()
    assert len(lines) == 1, lines  # neither an access line nor Alembic's per probe
    assert json.loads(lines[0])["path"] == "/no-such-page"


def get(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    finally:
        conn.close()
