"""A reload cannot take the line down: a real `ivr serve --production` run as `nobody` (as the systemd unit
runs it as its own user) from an installation it cannot write, a real SIGHUP to its gunicorn master.

With the state folder systemd gives ($STATE_DIRECTORY) the reload is used; with a state folder it cannot
write, the reload fails, is logged, and the server keeps answering signed calls with its last config.
`ivr reload` into a folder it cannot write says so, without a traceback.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from flows.line import DEFAULT_CONFIG
from ivr.cli import main
from ivr.operations.state_folder import state_folder
from tests.log_wait import text_once
from tests.test_failures import ROOT, Server, free_port
from tests.test_reload import ANNA, BENGT, TONIGHT, first_on_call, set_override

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="starts the server as the user nobody: needs root "
                                                         "(CI runs as root)")
needs_gunicorn = pytest.mark.skipif(importlib.util.find_spec("gunicorn") is None,
                                    reason="gunicorn is not installed (pip install -e '.[production]')")
needs_setpriv = pytest.mark.skipif(shutil.which("setpriv") is None, reason="setpriv (util-linux) is not installed")
AS_NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]


def as_nobody(*command: str) -> int:
    """The exit status of a command run as nobody."""
    return subprocess.run([*AS_NOBODY, *command], check=False, capture_output=True).returncode


@pytest.fixture
def place(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder nobody can reach (pytest's tmp_path is root's only): config, a database folder, state."""
    base = Path(tempfile.mkdtemp(prefix="ivr-nobody-"))
    base.chmod(0o755)
    shutil.copytree(DEFAULT_CONFIG, base / "config")
    nobody = pwd.getpwnam("nobody")
    for name in ("db", "state"):
        (base / name).mkdir()
        os.chown(base / name, nobody.pw_uid, nobody.pw_gid)
    (base / "root-only").mkdir(mode=0o755)  # a state folder nobody cannot write
    for name in ("IVR_RELOAD_STAMP", "IVR_STATE_DIR", "IVR_ALERT_STAMP", "RUNTIME_DIRECTORY", "STATE_DIRECTORY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IVR_CONFIG_DIR", str(base / "config"))
    monkeypatch.setenv("IVR_TEST_FROZEN_CLOCK", TONIGHT)
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


def wait_for_log(server: Server, text: str, count: int = 1) -> str:
    """The whole log once it holds text count times (Server.log_text() is only its tail)."""
    whole = text_once(lambda: server.log.read_text(errors="replace"), text, count=count, within_s=20)
    assert whole.count(text) >= count, f"no '{text}' in the log:\n{whole[-6000:]}"
    return whole


def serve_as_nobody(place: Path) -> Server:
    """`ivr serve --production`, two workers, as nobody; the checkout (the installation) is not its to write."""
    port = free_port()
    argv = [*AS_NOBODY, sys.executable, "-c", "from tests.frozen_serve import main; main()", "serve",
            "--production", "--accept-placeholders", "--no-outbound", "--workers", "2", "--host", "127.0.0.1",
            "--port", str(port)]
    server = Server(port, f"sqlite:///{place / 'db' / 'line.sqlite3'}", place / "server.log", argv)
    server.start()
    return server


@needs_root
@needs_gunicorn
@needs_setpriv
def test_sighup_as_an_unprivileged_user_uses_the_state_directory(place: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    assert as_nobody("test", "-w", str(ROOT)) != 0  # the installation is read-only to the server
    assert as_nobody("test", "-w", sys.prefix) != 0
    monkeypatch.setenv("STATE_DIRECTORY", str(place / "state"))  # what the unit's StateDirectory= sets
    server = serve_as_nobody(place)
    try:
        assert first_on_call(server.post) == ANNA
        set_override(place / "config", "bengt")
        assert server.proc is not None
        os.kill(server.proc.pid, signal.SIGHUP)
        wait_for_log(server, "config reload: version")
        server.wait_until_healthy()
        assert first_on_call(server.post) in (ANNA, BENGT)  # an old worker may answer once more
        assert {first_on_call(server.post) for _ in range(6)} == {BENGT}
        assert (place / "state" / "config-reload.json").is_file()
        assert len(list((place / "state" / "config-versions").iterdir())) == 1
        assert server.proc.poll() is None
    finally:
        server.stop()


@needs_root
@needs_gunicorn
@needs_setpriv
def test_a_reload_that_cannot_write_its_state_keeps_the_line_up(place: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATE_DIRECTORY", str(place / "root-only"))  # writable by root only
    server = serve_as_nobody(place)
    try:
        set_override(place / "config", "bengt")
        assert server.proc is not None
        for count in (1, 2):  # and again: the master is still there to take a second HUP
            os.kill(server.proc.pid, signal.SIGHUP)
            wait_for_log(server, "config reload failed; the line keeps version", count)
            server.wait_until_healthy()
            assert {first_on_call(server.post) for _ in range(4)} == {ANNA}  # the running config
        assert server.proc.poll() is None
        log = server.log.read_text(errors="replace")
        assert "Unhandled exception in main loop" not in log
        assert "PermissionError" in log and "set IVR_STATE_DIR" in log
        assert list((place / "root-only").iterdir()) == []
    finally:
        server.stop()


def test_ivr_reload_into_a_folder_it_cannot_write_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", "utf-8")
    monkeypatch.delenv("IVR_RELOAD_STAMP", raising=False)
    monkeypatch.setenv("IVR_STATE_DIR", str(blocker / "state"))  # below a file: no user can write there
    result = CliRunner().invoke(main, ["reload"])
    assert result.exit_code == 1
    assert "Inte laddad: kan inte skriva i" in result.output and "IVR_STATE_DIR" in result.output
    assert "Traceback" not in result.output and result.exception is not None
    assert isinstance(result.exception, SystemExit)


def test_the_state_folder_rule(tmp_path: Path) -> None:
    assert state_folder("/srv/a", {"IVR_STATE_DIR": "/srv/b"}) == Path("/srv/a")
    assert state_folder(None, {"IVR_STATE_DIR": "/srv/b", "STATE_DIRECTORY": "/var/lib/c"}) == Path("/srv/b")
    assert state_folder(None, {"STATE_DIRECTORY": "/var/lib/c:/var/lib/d"}) == Path("/var/lib/c")
    # In a checkout: the instance folder beside the package, outside the virtualenv.
    assert state_folder(None, {}) == ROOT / "instance"
    assert not state_folder(None, {}).is_relative_to(Path(sys.prefix).resolve())
