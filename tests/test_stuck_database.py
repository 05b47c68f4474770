"""A PostgreSQL that hangs: a real socket on a loopback port that accepts connections and never answers
(not a mock) is the line's database. Every signed webhook still answers valid TwiML on the fault
policy's path within 2.5 s; a request waits on the database at most once (the on-call swap cache's wait
is the turn's too); the process then answers without it until its next probe; the fallback URL never
tries it. Also through a real `ivr serve --production`.
"""

from __future__ import annotations

import http.client
import importlib.util
import socket
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.engine import make_url as make_url_object

from ivr import create_app
from ivr.channels.voice.carried_state import PARAM
from tests.conftest import CALLER, LINE_NUMBER, PUBLIC_URL, FrozenClock, Twilio, app_config, local
from tests.conftest_db import PG_SKIP_REASON, fresh_url, pg_url
from tests.test_failures import START_DEADLINE_S, Server, free_port
from tests.twiml_helpers import verbs

FAULT_PATH_S = 2.5  # the bound the README gives for a webhook with the database hanging
CALL = "CA" + "7" * 32


class StuckDatabase:
    """A TCP listener that accepts every connection, reads nothing and answers nothing."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = int(self.listener.getsockname()[1])
        self.accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/test"

    def _serve(self) -> None:
        self.listener.settimeout(0.05)
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted.append(conn)  # kept open, never read: the client waits for an answer

    def connections(self) -> int:
        """How many connections it has accepted so far (after a moment for the accept loop)."""
        time.sleep(0.2)
        return len(self.accepted)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.listener.close()
        for conn in self.accepted:
            conn.close()


@pytest.fixture
def stuck() -> Iterator[StuckDatabase]:
    database = StuckDatabase()
    yield database
    database.close()


@pytest.fixture
def app(stuck: StuckDatabase, tmp_path: Path) -> Iterator[Flask]:
    clock = FrozenClock(local("2026-11-25T22:00"))  # after hours: the stricter fault path
    application = create_app(app_config(stuck.url, clock, DB_AUTO_UPGRADE=False,
                                        ALERT_STAMP=str(tmp_path / "alert"), RELOAD_STAMP=str(tmp_path / "r")))
    yield application
    application.extensions["ivr.store"].dispose()


def timed(send: object, *args: str, **params: str) -> tuple[bytes, float]:
    """A signed webhook's body (asserted 200 and XML) and the seconds it took."""
    started = time.monotonic()
    response = send(*args, **params)  # type: ignore[operator]
    took = time.monotonic() - started
    assert response.status_code == 200, response.data
    ET.fromstring(response.data)
    return response.data, took


def test_every_webhook_answers_within_the_bound_and_waits_at_most_once(app: Flask, stuck: StuckDatabase) -> None:
    twilio = Twilio(app.test_client())
    store = app.extensions["ivr.store"]
    store.outage.retry_s = 2.0  # (3 s by default) the process tries the database again after this

    first, took = timed(twilio.call, "/voice", CALL)
    assert took < FAULT_PATH_S
    assert verbs(first) == ["Gather", "Redirect"] or "Gather" in verbs(first)
    assert stuck.connections() == 1  # the swap cache tried once; the turn did not wait again
    assert store.outage.down

    gather = ET.fromstring(first).find("Gather")
    assert gather is not None and PARAM in str(gather.get("action"))  # the call's state rides in its URL
    step, took = timed(twilio.call, str(gather.get("action")).removeprefix(PUBLIC_URL), CALL, Digits="1")
    assert took < FAULT_PATH_S
    assert "Gather" in verbs(step)  # the checklist goes on without the database
    text, took = timed(twilio.post, "/sms", From=CALLER, To=LINE_NUMBER, Body="viva", MessageSid="SM" + "1" * 32)
    assert took < FAULT_PATH_S
    assert verbs(text) == ["Message"]
    assert stuck.connections() == 1  # known down: neither waited

    time.sleep(store.outage.retry_s)  # a probe is due now
    fallback, took = timed(twilio.call, "/voice/fallback", CALL, ErrorCode="11205")
    assert took < FAULT_PATH_S
    assert "Dial" in verbs(fallback) or "Say" in verbs(fallback)
    assert stuck.connections() == 1  # the fallback never tries the database, even when a probe is due

    probe, took = timed(twilio.call, "/voice", "CA" + "8" * 32)
    assert took < FAULT_PATH_S and "Gather" in verbs(probe)
    assert stuck.connections() == 2  # a due probe: one more try, within the same bound


def test_health_says_unavailable_at_once_while_the_database_is_known_down(app: Flask, stuck: StuckDatabase) -> None:
    client = app.test_client()
    assert client.get("/healthz").status_code == 503  # waits once, within the deadline
    started = time.monotonic()
    assert client.get("/healthz").status_code == 503
    assert time.monotonic() - started < 0.5  # remembered: no second wait
    assert stuck.connections() == 1


class StuckServer(Server):
    """`ivr serve --production` on the stuck database: /healthz answers 503, which is what it should."""

    def wait_until_healthy(self) -> None:
        deadline = time.monotonic() + START_DEADLINE_S
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                pytest.fail(f"the server exited with {self.proc.returncode}:\n{self.log_text()}")
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                conn.request("GET", "/healthz")
                if conn.getresponse().status in (200, 503):
                    return
            except OSError:
                pass
            finally:
                conn.close()
            time.sleep(0.05)
        pytest.fail(f"no answer from /healthz within {START_DEADLINE_S} s:\n{self.log_text()}")


@pytest.mark.skipif(importlib.util.find_spec("gunicorn") is None,
                    reason="gunicorn is not installed (pip install -e '.[production]')")
def test_a_production_server_on_a_stuck_database_answers_every_webhook_in_time(
        stuck: StuckDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IVR_DB_AUTO_UPGRADE", "false")
    monkeypatch.setenv("IVR_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("RUNTIME_DIRECTORY", raising=False)
    port = free_port()
    argv = [sys.executable, "-c", "from ivr.cli import main; main()", "serve", "--production", "--no-outbound",
            "--accept-placeholders", "--workers", "2", "--host", "127.0.0.1", "--port", str(port)]
    server = StuckServer(port, stuck.url, tmp_path / "server.log", argv)
    server.start()
    try:
        for number in range(4):  # two workers: each finds the database stuck once, then knows
            sid = f"CA{number:032d}"
            started = time.monotonic()
            body = server.post("/voice", CallSid=sid, From=CALLER, To=LINE_NUMBER)
            assert time.monotonic() - started < FAULT_PATH_S
            assert "<Gather" in body
            started = time.monotonic()
            body = server.post("/sms", From=CALLER, To=LINE_NUMBER, Body="viva", MessageSid=f"SM{number:032d}")
            assert time.monotonic() - started < FAULT_PATH_S
            assert "<Message>" in body
            started = time.monotonic()
            body = server.post("/voice/fallback", CallSid=sid, From=CALLER, To=LINE_NUMBER, ErrorCode="11205")
            assert time.monotonic() - started < FAULT_PATH_S
            assert "<Say" in body
        assert "database not answering" in server.log.read_text(errors="replace")
    finally:
        server.stop()


class Relay:
    """A TCP relay to the real PostgreSQL that can freeze (stop relaying, connections kept open, as a hung
    server) or drop every connection (as a restarted one)."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.frozen = threading.Event()
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        self.listener.settimeout(0.05)
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            self.pairs.append((client, server))
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        source.settimeout(0.05)
        while not self._stop.is_set():
            if self.frozen.is_set():
                time.sleep(0.05)
                continue
            try:
                data = source.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not data:
                # The other end closed: close this side too, as one TCP connection would. Else a
                # server that got a late statement keeps its transaction (and the turn's row lock)
                # open for good, which no real connection does once its client has gone.
                try:
                    target.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            try:
                target.sendall(data)
            except OSError:
                return

    def drop_all(self) -> None:
        """Close every relayed connection at once."""
        for client, server in self.pairs:
            for end in (client, server):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                end.close()
        self.pairs.clear()

    def close(self) -> None:
        self._stop.set()
        self.drop_all()
        self.listener.close()


@pytest.mark.skipif(pg_url() is None, reason=PG_SKIP_REASON)
def test_a_server_that_hangs_mid_call_or_drops_its_connections(tmp_path: Path) -> None:
    real = make_url_object(fresh_url("postgresql", tmp_path))
    relay = Relay(real.host or "127.0.0.1", real.port or 5432)
    clock = FrozenClock(local("2026-11-25T22:00"))
    url = real.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    app = create_app(app_config(url, clock, ALERT_STAMP=str(tmp_path / "alert"), RELOAD_STAMP=str(tmp_path / "r")))
    store = app.extensions["ivr.store"]
    twilio = Twilio(app.test_client())
    try:
        body, _ = timed(twilio.call, "/voice", CALL)
        assert store.get(f"voice:{CALL}") is not None  # stored through the relay

        relay.drop_all()  # a restarted database: every pooled connection is dead
        body, _ = timed(twilio.call, action(body), CALL, Digits="1")  # Viva
        record = store.get(f"voice:{CALL}")
        assert record is not None and record.seq == 2  # the turn was made on a new connection, stored
        assert not store.outage.down

        store.outage.retry_s = 0.5  # (3 s by default) how soon it is tried again below
        relay.frozen.set()  # connected, then no answer: the watch ends the wait at the deadline
        body, took = timed(twilio.call, action(body), CALL, Digits="2")  # Viva's first step: still a problem
        assert took < FAULT_PATH_S and "Gather" in verbs(body)  # the call goes on from its carried state
        assert store.outage.down

        relay.frozen.clear()
        time.sleep(store.outage.retry_s)
        timed(twilio.call, action(body), CALL, Digits="1")
        assert not store.outage.down  # a probe found it back
    finally:
        store.dispose()
        relay.close()


def action(body: bytes) -> str:
    """The first <Gather>'s action, as a path."""
    gather = ET.fromstring(body).find("Gather")
    assert gather is not None, body
    return str(gather.get("action")).removeprefix(PUBLIC_URL)
