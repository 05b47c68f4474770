"""Config changes without a restart: a real `ivr serve --production` (two gunicorn workers), the roster
changed, `ivr reload` or SIGHUP, and the next signed after-hours call rings the new person; a bad YAML is
refused and calls keep ringing the last good one."""

from __future__ import annotations

import importlib.util
import itertools
import os
import shutil
import signal
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from flows.line import DEFAULT_CONFIG
from ivr import create_app
from ivr.cli import main
from ivr.operations.reload import config_status
from tests.conftest import CALLER, LINE_NUMBER, FrozenClock, Twilio, app_config, local
from tests.log_wait import text_once
from tests.test_failures import Server, free_port

ANNA, BENGT, CECILIA = "+46701740610", "+46701740612", "+46701740613"
TONIGHT = "2026-11-25T22:00:00+01:00"  # a Wednesday evening: after hours, Anna's duty week
calls = itertools.count()


def override(person: str) -> str:
    return f"  - {{from: 2026-11-25T08:00, to: 2026-11-26T08:00, person: {person}, note: byte}}\n"


def set_override(config: Path, person: str) -> None:
    path = config / "roster.yaml"
    text = path.read_text("utf-8")
    marker = "overrides:\n"
    head, tail = text.split(marker)
    tail = "".join(line for line in tail.splitlines(keepends=True) if "note: byte" not in line)
    path.write_text(head + marker + override(person) + tail, "utf-8")


def first_on_call(post: object) -> str:
    """A whole signed call, Viva at 22:00 with every step confirmed: the number the line dials first."""
    sid = f"CA{next(calls):032d}"
    send = post  # type: ignore[assignment]
    send("/voice", CallSid=sid, From=CALLER, To=LINE_NUMBER)  # type: ignore[operator]
    body = ""
    for key in ("1", "2", "1", "1"):
        body = send("/voice/input", CallSid=sid, From=CALLER, To=LINE_NUMBER, Digits=key)  # type: ignore[operator]
    numbers = [node.text for node in ET.fromstring(body).iter("Number")]
    assert numbers, body
    return str(numbers[0])


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG, folder)
    monkeypatch.setenv("IVR_CONFIG_DIR", str(folder))
    monkeypatch.setenv("IVR_RELOAD_STAMP", str(tmp_path / "reload.json"))
    return folder


def reload() -> tuple[int, str]:
    result = CliRunner().invoke(main, ["reload"])
    return result.exit_code, result.output


@pytest.fixture
def server(config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    if importlib.util.find_spec("gunicorn") is None:
        pytest.skip("gunicorn is not installed (pip install -e '.[production]')")
    monkeypatch.setenv("IVR_TEST_FROZEN_CLOCK", TONIGHT)
    port = free_port()
    argv = [sys.executable, "-c", "from tests.frozen_serve import main; main()", "serve", "--production",
            "--no-outbound", "--accept-placeholders", "--workers", "2", "--host", "127.0.0.1", "--port", str(port)]
    running = Server(port, f"sqlite:///{tmp_path / 'line.sqlite3'}", tmp_path / "server.log", argv)
    running.start()
    try:
        yield running
    finally:
        running.stop()


def wait_for_log(server: Server, text: str, count: int = 1) -> None:
    log = text_once(server.log_text, text, count=count, within_s=20)
    assert log.count(text) >= count, f"no '{text}' in the log:\n{log}"


def test_reload_and_sighup_reach_every_worker_and_a_bad_yaml_is_refused(server: Server, config: Path) -> None:
    assert first_on_call(server.post) == ANNA

    set_override(config, "bengt")
    assert first_on_call(server.post) == ANNA  # nothing changes before the reload
    code, output = reload()
    assert code == 0, output
    assert output.startswith("OK: version ")
    assert {first_on_call(server.post) for _ in range(6)} == {BENGT}  # both workers

    roster = config / "roster.yaml"
    good = roster.read_text("utf-8")
    roster.write_text(good.replace("people:", "people: [", 1), "utf-8")  # not YAML any more
    code, output = reload()
    assert code == 1
    assert "error: config/roster.yaml: line " in output and "invalid YAML" in output
    assert "Inte laddad: linjen behåller sina senaste fungerande inställningar." in output
    assert {first_on_call(server.post) for _ in range(4)} == {BENGT}

    # SIGHUP with the bad file: gunicorn starts new workers; they boot, and keep Bengt.
    assert server.proc is not None
    os.kill(server.proc.pid, signal.SIGHUP)
    wait_for_log(server, "config reload refused")
    server.wait_until_healthy()
    assert {first_on_call(server.post) for _ in range(4)} == {BENGT}

    roster.write_text(good, "utf-8")
    set_override(config, "cecilia")
    os.kill(server.proc.pid, signal.SIGHUP)
    wait_for_log(server, "config reload: version")
    server.wait_until_healthy()
    deadline = time.monotonic() + 20
    while first_on_call(server.post) != CECILIA:  # old workers may finish a request or two
        assert time.monotonic() < deadline
    assert {first_on_call(server.post) for _ in range(4)} == {CECILIA}


def test_the_status_shows_the_version_and_the_last_refused_reload(config: Path, tmp_path: Path) -> None:
    app: Flask = create_app(app_config(f"sqlite:///{tmp_path / 'line.sqlite3'}",
                                       FrozenClock(local("2026-11-25T22:00")),
                                       CONFIG_DIR=str(config), RELOAD_STAMP=str(tmp_path / "reload.json")))
    try:
        twilio = Twilio(app.test_client())

        def post(path: str, **params: str) -> str:
            return twilio.post(path, **params).get_data(as_text=True)

        first = config_status(app)
        assert first.refused is None and len(first.version) == 12
        (config / "office_hours.yaml").write_text("weekly: [\n", "utf-8")
        assert reload()[0] == 1
        refused = config_status(app)
        assert refused.version == first.version
        assert refused.refused is not None and "config/office_hours.yaml" in refused.refused
        assert refused.as_dict()["refused_at"] is not None
        assert first_on_call(post) == ANNA  # the last good config still answers
    finally:
        app.extensions["ivr.store"].dispose()


def test_a_process_loads_the_checked_copy_not_files_broken_after_the_check(config: Path, tmp_path: Path) -> None:
    app: Flask = create_app(app_config(f"sqlite:///{tmp_path / 'line.sqlite3'}",
                                       FrozenClock(local("2026-11-25T22:00")),
                                       CONFIG_DIR=str(config), RELOAD_STAMP=str(tmp_path / "reload.json")))
    try:
        twilio = Twilio(app.test_client())

        def post(path: str, **params: str) -> str:
            return twilio.post(path, **params).get_data(as_text=True)

        set_override(config, "bengt")
        assert reload()[0] == 0
        (config / "roster.yaml").write_text("people: [\n", "utf-8")  # broken before any request came
        assert first_on_call(post) == BENGT
        assert config_status(app).refused is None
    finally:
        app.extensions["ivr.store"].dispose()


def test_a_reload_reads_the_staff_directory_again_from_the_checked_copy(config: Path, tmp_path: Path) -> None:
    app: Flask = create_app(app_config(f"sqlite:///{tmp_path / 'line.sqlite3'}",
                                       FrozenClock(local("2026-11-25T22:00")),
                                       CONFIG_DIR=str(config), RELOAD_STAMP=str(tmp_path / "reload.json")))
    try:
        line_yaml = config / "line.yaml"
        line_yaml.write_text(line_yaml.read_text("utf-8").replace("  # directory: directory.csv",
                                                                  "  directory: directory.csv"), "utf-8")
        (config / "directory.csv").write_text("number,workplace\n070-174 06 01,Hemtjänst Norr\n", "utf-8")
        assert reload()[0] == 0
        (config / "directory.csv").write_text("number,workplace\n12,Söder\n", "utf-8")  # broken after the check
        twilio = Twilio(app.test_client())
        twilio.post("/voice", CallSid="CA" + "1" * 32, From=CALLER, To=LINE_NUMBER)  # a request loads the copy
        directory = app.extensions["ivr.line"].settings.staff_directory
        assert directory is not None and directory.workplace_of("+46701740601") == "Hemtjänst Norr"
        code, output = reload()  # the broken file is refused, naming its line and field
        assert code != 0 and "config/directory.csv: line 2: number: '12' is not a phone number" in output
    finally:
        app.extensions["ivr.store"].dispose()
