"""`ivr serve --production`: gunicorn's control socket per instance (or off), and an access log without queries."""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ivr.cli.production import control_socket_settings
from tests.conftest import CALLER, LINE_NUMBER
from tests.log_wait import text_once
from tests.test_failures import Server, free_port

needs_gunicorn = pytest.mark.skipif(importlib.util.find_spec("gunicorn") is None,
                                    reason="gunicorn is not installed (pip install -e '.[production]')")


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    """`ivr serve --production` with one worker, SQLite, and a home folder of its own."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "xdg"))
    monkeypatch.delenv("RUNTIME_DIRECTORY", raising=False)
    (tmp_path / "home").mkdir()
    (tmp_path / "xdg").mkdir()
    port = free_port()
    argv = [sys.executable, "-c", "from ivr.cli import main; main()", "serve", "--production", "--no-outbound",
            "--accept-placeholders", "--workers", "1", "--host", "127.0.0.1", "--port", str(port)]
    running = Server(port, f"sqlite:///{tmp_path / 'line.sqlite3'}", tmp_path / "gunicorn.log", argv)
    try:
        yield running
    finally:
        running.stop()


@needs_gunicorn
def test_the_control_socket_goes_in_the_units_runtime_directory(server: Server, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = tmp_path / "run" / "felsokningslinjen"
    runtime.mkdir(parents=True)
    monkeypatch.setenv("RUNTIME_DIRECTORY", str(runtime))  # what systemd's RuntimeDirectory= sets
    server.start()
    socket = runtime / "gunicorn.ctl"
    deadline = time.monotonic() + 10  # the master opens it beside its workers, not before them
    while not socket.is_socket() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert socket.is_socket()
    assert not (tmp_path / "home" / ".gunicorn").exists()
    assert list((tmp_path / "xdg").iterdir()) == []


@needs_gunicorn
def test_without_a_runtime_directory_there_is_no_control_socket(server: Server, tmp_path: Path) -> None:
    server.start()
    server.post("/voice", CallSid="CA" + "4" * 32, From=CALLER, To=LINE_NUMBER)
    time.sleep(2)  # gunicorn opens the socket after its workers: give it the time it takes above
    assert not (tmp_path / "home" / ".gunicorn").exists()
    assert list((tmp_path / "xdg").iterdir()) == []
    assert "gunicorn.ctl" not in server.log_text()


def json_lines(server: Server) -> list[dict[str, object]]:
    """Every line the server wrote, each parsed as JSON (fails on a line that is not)."""
    lines = [line for line in server.log.read_text(errors="replace").splitlines() if line.strip()]
    return [json.loads(line) for line in lines]


@needs_gunicorn
def test_the_access_log_has_each_request_as_json_without_its_query_or_number(server: Server) -> None:
    server.start()
    body = server.post("/voice?probe=state-that-must-not-be-logged", CallSid="CA" + "5" * 32, From=CALLER,
                       To=LINE_NUMBER)
    assert "<Gather" in body
    log = text_once(server.log_text, '"path": "/voice"')  # gunicorn writes the access line after the response
    access = [entry for entry in json_lines(server) if entry["logger"] == "gunicorn.access"]
    posted = [entry for entry in access if entry["method"] == "POST"]
    assert len(posted) == 1, access
    assert {key: posted[0][key] for key in ("path", "status", "level", "message")} == {
        "path": "/voice", "status": 200, "level": "INFO", "message": "access"}
    assert isinstance(posted[0]["duration_ms"], int) and isinstance(posted[0]["bytes"], int)
    assert "state-that-must-not-be-logged" not in log
    assert CALLER not in log and CALLER[3:] not in log


@needs_gunicorn
def test_gunicorn_and_the_app_write_only_json_lines(server: Server) -> None:
    server.start()
    server.post("/voice", CallSid="CA" + "6" * 32, From=CALLER, To=LINE_NUMBER)
    server.post("/voice/input", CallSid="CA" + "6" * 32, From=CALLER, To=LINE_NUMBER, Digits="7")
    text_once(server.log_text, '"path": "/voice/input"')
    entries = json_lines(server)  # every line, gunicorn's own among them
    loggers = {str(entry["logger"]) for entry in entries}
    assert {"gunicorn.error", "gunicorn.access"} <= loggers, loggers
    assert any("Booting worker" in str(entry["message"]) for entry in entries)
    assert any(name.startswith("ivr") for name in loggers)  # the app's own, in the same form
    text = server.log.read_text()
    assert CALLER not in text and CALLER[3:] not in text


def test_the_control_socket_rule() -> None:
    assert control_socket_settings({"RUNTIME_DIRECTORY": "/run/ivr:/run/other"}) == {
        "control_socket": "/run/ivr/gunicorn.ctl"}
    assert control_socket_settings({"XDG_RUNTIME_DIR": "/run/user/1000"}) == {"control_socket_disable": True}
