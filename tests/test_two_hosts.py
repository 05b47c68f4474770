"""Two hosts, one database: two real `ivr serve --production` behind a round-robin proxy, on one PostgreSQL.

Each host has what a host of its own would: its port, its state folder (IVR_STATE_DIR: the reload's
stamp and copies), its copy of the config folder, its outbox file (IVR_OUTBOX_FILE: the SMS and calls
it "sent"; no Twilio account) and its log. What they share is the database (a schema of this test's
own) and the secrets (the Twilio token, IVR_PSEUDONYM_KEY, from which the console's cookie key
comes). The proxy (a thread on a loopback port) sends request 1 to host A, 2 to B, 3 to A, ...,
with its Host header and path unchanged; IVR_PUBLIC_URL on both hosts is the proxy's URL, which
is what Twilio signs. Only this test talks through the proxy, one request at a time, so which host
answers which turn is known.

Shown through the real interfaces:
- a call whose turns alternate between the hosts reaches Chef i beredskap, and the manager SMS and
  the receipt leave once each; an SMS conversation alternates too and its RING places one call;
- the outbox's worker threads of both hosts send rows put in the database directly: each once;
- a reload (SIGHUP to A's master, `ivr reload` into B's state folder) is each host's own: config
  files are deployed to every host and every host reloaded;
- an on-call swap made with `ivr oncall set` (with host A's settings) is used by both hosts within
  IVR_ONCALL_REFRESH_SECONDS;
- the console's sign-in limit counts the attempts made through both hosts together.

The hosts' clock is frozen (tests/frozen_serve.py) on a Wednesday evening far ahead, so that the
swap the CLI makes with the real clock is in force at the servers' moment and nothing depends on
today's date.
"""

from __future__ import annotations

import http.client
import importlib.util
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from twilio.request_validator import RequestValidator

from flows.line import DEFAULT_CONFIG
from ivr.store import Store
from ivr.store.outbox import Outgoing
from tests.conftest import CALLER, LINE_NUMBER, TOKEN
from tests.conftest_db import PG_SKIP_REASON, fresh_url, pg_url
from tests.test_failures import REQUEST_TIMEOUT_S, ROOT, Server, free_port

pytestmark = [
    pytest.mark.skipif(pg_url() is None, reason=f"{PG_SKIP_REASON} (two hosts need a shared database server)"),
    pytest.mark.skipif(importlib.util.find_spec("gunicorn") is None,
                       reason="gunicorn is not installed (pip install -e '.[production]')"),
]

EVENING = "2099-03-04T22:00:00+01:00"  # a Wednesday, after hours
PSEUDONYM_KEY = "two-hosts-test-pseudonym-key"  # one value on every host, as the README asks
DINA = "+46701740619"  # not in roster.yaml: the swap's stand-in, given by number
NOT_AN_ADMIN = "070-174 06 77"
REFRESH_S = 1  # IVR_ONCALL_REFRESH_SECONDS on both hosts: how stale a worker's copy of the swaps may be
WAIT_S = 20.0  # the longest any one wait below may take (the outbox worker polls every 5 s)
calls = itertools.count()


class RoundRobin:
    """An HTTP proxy on a loopback port: each request to the next upstream in turn, Host and path unchanged."""

    def __init__(self, upstreams: list[int]) -> None:
        self.upstreams = upstreams
        self.served: list[tuple[int, str, str]] = []  # (upstream index, method, path) of every request
        self._lock = threading.Lock()
        self._turn = itertools.cycle(range(len(upstreams)))
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                proxy.forward(self)

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                proxy.forward(self)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
                pass  # quiet: the hosts log every request

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def forward(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            index = next(self._turn)
            self.served.append((index, handler.command, handler.path.split("?")[0]))
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else None
        headers = {name: value for name, value in handler.headers.items() if name.lower() != "connection"}
        conn = http.client.HTTPConnection("127.0.0.1", self.upstreams[index], timeout=REQUEST_TIMEOUT_S)
        try:
            conn.request(handler.command, handler.path, body=body, headers=headers)  # Host as the client sent it
            response = conn.getresponse()
            payload = response.read()
            handler.send_response(response.status, response.reason)
            for name, value in response.getheaders():
                if name.lower() not in ("connection", "transfer-encoding", "content-length"):
                    handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
        finally:
            conn.close()

    def hosts_of(self, start: int) -> list[int]:
        """Which upstream answered each request since the start-th."""
        return [index for index, _, _ in self.served[start:]]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Host(Server):
    """`ivr serve --production` as one host: its own port, state folder, config copy, outbox file and log."""

    def __init__(self, name: str, folder: Path, database_url: str, public_url: str, port: int) -> None:
        self.name = name
        self.folder = folder
        argv = [sys.executable, "-c", "from tests.frozen_serve import main; main()", "serve", "--production",
                "--accept-placeholders", "--no-outbound", "--workers", "2", "--host", "127.0.0.1", "--port", str(port)]
        super().__init__(port, database_url, folder / "server.log", argv)
        self.base = public_url  # what Twilio signs: the load balancer's URL, the same on every host
        folder.mkdir()
        shutil.copytree(DEFAULT_CONFIG, self.config)
        self.state.mkdir()

    @property
    def config(self) -> Path:
        return self.folder / "config"

    @property
    def state(self) -> Path:
        return self.folder / "state"

    @property
    def sent_file(self) -> Path:
        return self.folder / "sent.jsonl"

    def environment(self) -> dict[str, str]:
        """The host's environment: what a unit's environment file would hold, with this host's folders."""
        env = {
            **os.environ, "TWILIO_AUTH_TOKEN": TOKEN, "IVR_PUBLIC_URL": self.base,
            "IVR_DATABASE_URL": self.database_url, "IVR_PSEUDONYM_KEY": PSEUDONYM_KEY, "PYTHONUNBUFFERED": "1",
            "IVR_CONFIG_DIR": str(self.config), "IVR_STATE_DIR": str(self.state),
            "IVR_OUTBOX_FILE": str(self.sent_file), "IVR_TEST_FROZEN_CLOCK": EVENING,
            "IVR_ONCALL_REFRESH_SECONDS": str(REFRESH_S), "IVR_ADMIN_COOKIE_SECURE": "false",  # plain http on loopback
        }
        for name in ("TWILIO_ACCOUNT_SID", "IVR_RELOAD_STAMP", "IVR_ALERT_STAMP", "STATE_DIRECTORY",
                     "RUNTIME_DIRECTORY", "IVR_METRICS_TOKEN", "IVR_CHECKLISTS_DIR"):
            env.pop(name, None)  # never Twilio from a test; nothing shared between the hosts but the database
        return env

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(self.argv, cwd=ROOT, env=self.environment(), stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        self.wait_until_healthy()

    def ivr(self, *args: str) -> subprocess.CompletedProcess[str]:
        """An operator's `ivr` command on this host (its environment file's settings)."""
        return subprocess.run([sys.executable, "-c", "from ivr.cli import main; main()", *args], cwd=ROOT,
                              env=self.environment(), capture_output=True, text=True, timeout=60, check=False)

    def sent(self) -> list[dict[str, Any]]:
        """What this host sent (SMS and calls), in order."""
        if not self.sent_file.exists():
            return []
        return [json.loads(line) for line in self.sent_file.read_text("utf-8").splitlines() if line.strip()]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return fresh_url("postgresql", tmp_path)


@pytest.fixture
def hosts(tmp_path: Path, database_url: str) -> Iterator[tuple[Host, Host, RoundRobin]]:
    """Hosts A and B started at once (both migrate at start: the schema lock makes one wait), and the proxy."""
    ports = [free_port(), free_port()]
    proxy = RoundRobin(ports)
    pair = [Host(name, tmp_path / name, database_url, proxy.base, port) for name, port in zip("ab", ports, strict=True)]
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(Host.start, pair))
        yield pair[0], pair[1], proxy
    finally:
        for host in pair:
            host.stop()
        proxy.close()


def post(base: str, port: int, path: str, **params: str) -> str:
    """A signed webhook (signed for base, Twilio's URL) sent to a loopback port; the TwiML (asserts 200)."""
    signature = RequestValidator(TOKEN).compute_signature(base + path, params)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
    try:
        conn.request("POST", path, body=urlencode(params), headers={
            "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature})
        response = conn.getresponse()
        body = response.read().decode()
    finally:
        conn.close()
    assert response.status == 200, f"{path}: HTTP {response.status}\n{body}"
    return body


def through(proxy: RoundRobin) -> Any:
    """post() through the proxy."""
    return lambda path, **params: post(proxy.base, proxy.port, path, **params)


def action(twiml: str) -> str:
    """The path and query of the answer's next webhook (its state rides in the query)."""
    for element in ET.fromstring(twiml).iter():
        if element.get("action"):
            parts = urlsplit(element.get("action", ""))
            return f"{parts.path}?{parts.query}" if parts.query else parts.path
    raise AssertionError(f"no action in {twiml}")


def dialled(twiml: str) -> list[str]:
    return [node.text or "" for node in ET.fromstring(twiml).iter("Number")]


def call_to_on_call(send: Any) -> tuple[str, str, list[str]]:
    """A call after hours about Viva with every step confirmed: (call sid, last answer, numbers dialled first)."""
    sid = f"CA{next(calls):032d}"
    answer = send("/voice", CallSid=sid, From=CALLER, To=LINE_NUMBER)
    for key in ("1", "2", "1", "1"):  # after hours, Viva, then its steps
        answer = send(action(answer), CallSid=sid, From=CALLER, To=LINE_NUMBER, Digits=key)
    numbers = dialled(answer)
    assert numbers, answer
    return sid, answer, numbers


def first_on_call(send: Any) -> str:
    return call_to_on_call(send)[2][0]


def wait_for(what: str, check: Any, timeout: float = WAIT_S) -> Any:
    """check()'s first true value, polled until timeout."""
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        time.sleep(0.1)
    return value


def everything_sent(*hosts: Host) -> list[dict[str, Any]]:
    return [message for host in hosts for message in host.sent()]


def test_two_hosts_share_calls_texts_the_outbox_swaps_and_limits(
        hosts: tuple[Host, Host, RoundRobin], database_url: str) -> None:
    a, b, proxy = hosts
    send = through(proxy)

    # --- a call whose turns alternate between the hosts, through to Chef i beredskap and the manager SMS.
    start = len(proxy.served)
    sid, answer, numbers = call_to_on_call(send)
    rostered = numbers[0]
    for _ in range(5):  # nobody answers: the next in the chain, until the chain ends
        answer = send(action(answer), CallSid=sid, From=CALLER, To=LINE_NUMBER, DialCallStatus="no-answer")
        if "<Dial" not in answer:
            break
    assert "<Dial" not in answer, answer
    send("/voice/status", CallSid=sid, From=CALLER, To=LINE_NUMBER, CallStatus="completed", CallDuration="90")
    turns = proxy.hosts_of(start)
    assert set(turns) == {0, 1} and all(this != after for this, after in itertools.pairwise(turns)), turns
    wait_for("the call's two texts", lambda: len(everything_sent(a, b)) >= 2)
    texts = everything_sent(a, b)
    to = sorted(message["to"] for message in texts)
    assert to == sorted([CALLER, rostered]), texts  # the receipt and the manager SMS, once each
    assert all(message["kind"] == "sms" for message in everything_sent(a, b))

    # --- an SMS conversation, its messages alternating between the hosts; RING places one call back.
    texter = "+46701740655"  # a staff number (the staff prefix), not the caller above
    start = len(proxy.served)
    replies: list[str] = []
    for number, body in enumerate(("hej", "viva", "nej", "ja", "ja", "RING", "ring")):
        twiml = send("/sms", From=texter, To=LINE_NUMBER, Body=body, MessageSid=f"SM{texter[-4:]}{number:028d}")
        replies.append(" ".join(node.text or "" for node in ET.fromstring(twiml).iter("Message")))
    turns = proxy.hosts_of(start)
    assert set(turns) == {0, 1} and all(this != after for this, after in itertools.pairwise(turns)), turns
    assert "Svara RING" in replies[4], replies
    assert replies[5].startswith("Vi ringer upp dig nu"), replies
    assert replies[6].startswith("Vi har redan ringt upp dig"), replies
    call_backs = [m for m in everything_sent(a, b) if m["kind"] == "call"]
    assert [m["to"] for m in call_backs] == [texter]

    # --- the outbox's worker threads on both hosts: rows put in the database are each sent once.
    store = Store(database_url)
    moment = datetime.fromisoformat(EVENING)
    keys: list[str] = []
    try:
        def enqueue(number: int) -> None:
            with store.session(f"voice:CAqueued{number:026d}", "voice", moment) as record:
                record.data = {}
                key = f"{record.id}:receipt"
                store.enqueue(record, Outgoing(kind="receipt", key=key, target=CALLER, text=f"kö {number}",
                                               sender=LINE_NUMBER))
                keys.append(key)

        def senders() -> set[str]:
            return {host.name for host in (a, b) for m in host.sent() if m.get("body", "").startswith("kö ")}

        # A row every quarter second until both hosts' workers have taken some (each polls every 5 s).
        deadline = time.monotonic() + WAIT_S
        while senders() != {"a", "b"}:
            assert time.monotonic() < deadline, f"only host(s) {senders()} sent the outbox's rows"
            enqueue(len(keys))
            time.sleep(0.25)
        wait_for("every queued row sent", lambda: not store.outbox.rows(state="pending")
                 and not store.outbox.rows(state="sending"))
    finally:
        store.dispose()
    queued = sorted(m.get("body", "") for m in everything_sent(a, b) if m.get("body", "").startswith("kö "))
    assert queued == sorted(f"kö {number}" for number in range(len(keys)))  # every row once, none twice

    # --- a reload is each host's own: the same files go to both; A by SIGHUP, B by `ivr reload`.
    stand_in = next(person for person in ("+46701740612", "+46701740613") if person != rostered)
    name = {"+46701740612": "bengt", "+46701740613": "cecilia"}[stand_in]
    for host in (a, b):
        roster = host.config / "roster.yaml"
        roster.write_text(roster.read_text("utf-8").replace(
            "overrides:\n", f"overrides:\n  - {{from: 2099-03-04T08:00, to: 2099-03-05T08:00, person: {name}}}\n"),
            "utf-8")
    assert a.proc is not None
    os.kill(a.proc.pid, signal.SIGHUP)
    wait_for("host A's reload", lambda: "config reload: version" in a.log.read_text(errors="replace"))
    a.wait_until_healthy()
    direct_a = lambda path, **params: post(proxy.base, a.port, path, **params)  # noqa: E731
    direct_b = lambda path, **params: post(proxy.base, b.port, path, **params)  # noqa: E731
    first_on_call(direct_a)  # an old worker may answer once more while gunicorn replaces them
    assert {first_on_call(direct_a) for _ in range(3)} == {stand_in}
    assert {first_on_call(direct_b) for _ in range(2)} == {rostered}  # B has the files, not yet reloaded
    reloaded = b.ivr("reload")
    assert reloaded.returncode == 0, reloaded.stderr
    assert {first_on_call(send) for _ in range(4)} == {stand_in}  # both hosts now

    # --- an on-call swap, made with host A's settings, used by both hosts within the refresh interval.
    swap = a.ivr("oncall", "set", "070-174 06 19", "--name", "Dina Ek", "--from", "2099-03-04T18:00",
                 "--until", "2099-03-05T08:00", "--by", "two-hosts-test")
    assert swap.returncode == 0, swap.stderr
    # Each worker reads the swaps again at its first request a refresh interval after its last read, so a
    # worker that read just before the swap may answer with the old manager for up to REFRESH_S (a CI run
    # once asked host A 0.1 s after B had it). One interval and a margin after the swap every worker of
    # both hosts must have it.
    time.sleep(REFRESH_S + 0.5)
    assert {first_on_call(direct_a) for _ in range(3)} == {DINA}
    assert {first_on_call(direct_b) for _ in range(3)} == {DINA}
    assert {first_on_call(send) for _ in range(2)} == {DINA}

    # --- the console's sign-in limit counts attempts through both hosts together. The form is fetched once
    # (its session cookie and CSRF token then pass on either host: one key, from IVR_PSEUDONYM_KEY).
    cookie, token = sign_in_form(proxy)
    start = len(proxy.served)
    answers = [ask_for_code(proxy, cookie, token) for _ in range(4)]
    turns = proxy.hosts_of(start)
    assert sorted(turns) == [0, 0, 1, 1] and turns[0] != turns[1], turns  # A, B, A, B (or B, A, B, A)
    assert answers == [302, 302, 302, 429]  # three codes per number per window (ivr/admin/signin.py), not six
    assert ask_for_code(proxy, cookie, token) == 429  # and on the other host too


def sign_in_form(proxy: RoundRobin) -> tuple[str, str]:
    """The console's sign-in page through the proxy: its session cookie and CSRF token."""
    conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=REQUEST_TIMEOUT_S)
    try:
        conn.request("GET", "/admin/logga-in")
        response = conn.getresponse()
        page = response.read().decode()
    finally:
        conn.close()
    assert response.status == 200, page
    cookie = (response.getheader("Set-Cookie") or "").split(";")[0]
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert found is not None and cookie, page
    return cookie, found.group(1)


def ask_for_code(proxy: RoundRobin, cookie: str, token: str) -> int:
    """A code asked for one (non-admin) number through the proxy: the HTTP status (302 on, 429 refused)."""
    conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=REQUEST_TIMEOUT_S)
    try:
        conn.request("POST", "/admin/logga-in", body=urlencode({"number": NOT_AN_ADMIN, "csrf_token": token}),
                     headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()
