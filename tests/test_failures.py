"""Failures: a server killed mid-call, and fuzzed webhooks (loopback only, bounded in time).

- The kill test starts gunicorn on a free loopback port, plays a call to step 2
  over real HTTP with signed requests, SIGKILLs the master and its worker (the
  whole process group), starts a new server on the same database, and checks
  that "*" repeats step 2.
- The fuzz test sends FUZZ_EXAMPLES (default 10,000) signed webhooks with odd,
  missing and huge fields to every webhook path through the Flask test client,
  and checks that every answer is a 200 with a TwiML body. Ten requests per
  hypothesis example, each strategy built once: ~34 s CPU (~18 s of it in the
  POSTs, ~3 s start-up); was ~42 s with one request per example.
  An exception the app's error handler rescued (into fallback TwiML) fails the
  request that raised it: the caller heard TwiML, but the log holds a traceback.
- NUL bytes: PostgreSQL refuses them in text, SQLite keeps them; TwiML either way.
"""

from __future__ import annotations

import http.client
import importlib.util
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from urllib.parse import quote, urlencode

import flask
import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from ivr import create_app
from ivr.notify import LogNotifier
from ivr.simulator.voice import spoken_text
from ivr.store import Store
from tests.conftest import CALLER, LINE_NUMBER, TOKEN, FrozenClock, Twilio, local

ROOT = Path(__file__).resolve().parent.parent
START_DEADLINE_S = 10.0
REQUEST_TIMEOUT_S = 10.0


# --- kill -9 between two webhooks ------------------------------------------------------------


def free_port() -> int:
    """A loopback port nobody listens on (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`gunicorn -w 1 'ivr:create_app()'` (or argv) on a loopback port, in its own process group."""

    def __init__(self, port: int, database_url: str, log: Path, argv: list[str] | None = None) -> None:
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.database_url = database_url
        self.log = log
        self.argv = argv or [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}",
                             "--graceful-timeout", "1", "ivr:create_app()"]
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {
            **os.environ, "TWILIO_AUTH_TOKEN": TOKEN, "IVR_PUBLIC_URL": self.base,
            "IVR_DATABASE_URL": self.database_url, "IVR_PSEUDONYM_KEY": "failure-test-pseudonym-key",
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("TWILIO_ACCOUNT_SID", None)  # never send anything to Twilio from a test
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                self.argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )
        self.wait_until_healthy()

    def wait_until_healthy(self) -> None:
        deadline = time.monotonic() + START_DEADLINE_S
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                pytest.fail(f"gunicorn exited with {self.proc.returncode}:\n{self.log_text()}")
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
            try:
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass  # not listening yet, or a worker still booting dropped the connection
            finally:
                conn.close()
            time.sleep(0.05)
        pytest.fail(f"gunicorn did not answer /healthz within {START_DEADLINE_S} s:\n{self.log_text()}")

    def kill_everything(self) -> None:
        """SIGKILL the master and its workers at once: no shutdown code runs anywhere."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)  # start_new_session: pgid == the master's pid
        self.proc.wait(timeout=REQUEST_TIMEOUT_S)
        deadline = time.monotonic() + START_DEADLINE_S
        while time.monotonic() < deadline:  # the worker shares the listening socket: closed once it is dead too
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            except ConnectionRefusedError:
                return
            time.sleep(0.05)
        pytest.fail("a gunicorn process survived SIGKILL of its process group")

    def stop(self) -> None:
        """Clean up after the test, whatever state it left."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=REQUEST_TIMEOUT_S)

    def post(self, path: str, **params: str) -> str:
        """A signed form POST, as Twilio sends it; the TwiML body (asserts 200)."""
        signature = RequestValidator(TOKEN).compute_signature(self.base + path, params)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT_S)
        try:
            conn.request("POST", path, body=urlencode(params), headers={
                "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature,
            })
            response = conn.getresponse()
            body = response.read().decode()
        finally:
            conn.close()
        assert response.status == 200, f"{path}: HTTP {response.status}\n{body}\n{self.log_text()}"
        return body

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""


def spoken(body: str) -> list[str]:
    """Every <Say> of a TwiML document, in order."""
    return [spoken_text(node) for node in ET.fromstring(body).iter("Say")]


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    if importlib.util.find_spec("gunicorn") is None:
        pytest.skip("gunicorn is not installed (pip install -e '.[production]'): kill -9 test skipped")
    running = Server(free_port(), database_url, tmp_path / "gunicorn.log")
    try:
        yield running
    finally:
        running.stop()


def test_a_call_continues_at_the_same_step_after_kill_9(server: Server) -> None:
    sid = "CA" + "7" * 32

    def call(path: str, **params: str) -> str:
        return server.post(path, CallSid=sid, From=CALLER, To=LINE_NUMBER, **params)

    server.start()
    call("/voice")
    call("/voice/input", Digits="1")  # Viva
    before = spoken(call("/voice/input", Digits="2"))  # step 1 (W: drive): no -> step 2
    assert "Steg 2 av 3." in before
    server.kill_everything()

    server.start()
    again = spoken(call("/voice/input", Digits="*"))
    assert "Steg 2 av 3." in again
    # The same step, word for word; a repeat (*) then names every key in full once more
    # (ivr/channels/voice/key_hints.py).
    assert before[-2:] == ["Ja 1, nej 2, vet inte 3.", "Mer tid 5."]
    assert again[:len(before) - 2] == before[:-2]
    assert again[len(before) - 2:] == ["Tryck 1 för ja, 2 för nej, 3 om du inte vet.",
                                       "Tryck 5 för mer tid, 8 för sms."]
    assert "Steg 3 av 3." in spoken(call("/voice/input", Digits="1"))  # and the call goes on from there


def test_two_servers_on_one_database_serve_calls_interleaved(database_url: str, tmp_path: Path) -> None:
    """Behind a load balancer each webhook may reach either instance: two calls, turns alternating."""
    if importlib.util.find_spec("gunicorn") is None:
        pytest.skip("gunicorn is not installed (pip install -e '.[production]')")
    servers = [Server(free_port(), database_url, tmp_path / f"gunicorn{n}.log") for n in (1, 2)]
    try:
        for server in servers:
            server.start()
        calls = {"CA" + "a" * 32: ["4", "1", "2", "2", "2", "1"],  # NPÖ: every step answered
                 "CA" + "b" * 32: ["1", "2", "1"]}  # Viva to step 3
        heard: dict[str, list[str]] = {sid: [] for sid in calls}
        for sid in calls:
            servers[0].post("/voice", CallSid=sid, From=CALLER, To=LINE_NUMBER)
        for turn in range(max(len(keys) for keys in calls.values())):
            for index, (sid, keys) in enumerate(calls.items()):
                if turn < len(keys):
                    server = servers[(turn + index) % 2]  # every turn on the other instance
                    body = server.post("/voice/input", CallSid=sid, From=CALLER, To=LINE_NUMBER, Digits=keys[turn])
                    heard[sid].append(" ".join(spoken(body)))
        assert "Steg 5 av 5." in heard["CA" + "a" * 32][-2]
        assert "Steg 3 av 3." in heard["CA" + "b" * 32][-1]
        store = Store(database_url)
        try:
            npo = store.events("voice:CA" + "a" * 32)
        finally:
            store.dispose()
        # Every answer recorded once, in order, whichever instance took it (the outcome depends on the hour).
        assert [e["data"]["yes"] for e in npo if e["kind"] == "answer"] == [True, False, False, False, True]
        assert [e["seq"] for e in npo] == sorted(e["seq"] for e in npo)
        assert [e["data"]["checklist"] for e in npo if e["kind"] == "outcome"] == ["npo"]
    finally:
        for server in servers:
            server.stop()


# --- fuzzed webhooks -------------------------------------------------------------------------

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10000"))  # requests, not hypothesis examples
# Requests per hypothesis example; FUZZ_EXAMPLES is rounded up to whole batches (and the few examples hypothesis
# discards as too long may have posted some requests too: ~10,130 in all). Why: with one request per example,
# hypothesis's engine per example was paid 10,000 times; measured, the CPU outside the app's POSTs went from
# ~31 s to ~22 s (drawing 10,000 requests alone: ~20 s to ~11 s).
FUZZ_BATCH = 10
FUZZ_BASE = "https://ivr.fuzz.invalid"
CALL_SIDS = ["CA" + str(n) * 32 for n in range(1, 5)]
ADMIN = "+46701740698"  # config/line.yaml admins: may post announcements by SMS
NUMBERS = [CALLER, ADMIN, "+46701740610", "+266696687"]  # the last: Twilio's "anonymous"
MOMENTS = [local("2026-11-25T10:00"), local("2026-11-25T22:00"), local("2026-12-24T14:00")]
KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "*", "#", ""]
WORDS = ["ja", "nej", "JA!", "viva", "Viva omsorg", "npö", "RING", "meny", "hjälp", "avsluta", "english",
         "svenska", "completed", "no-answer", "busy", "failed", "in-progress"]


def weighted(*choices: tuple[int, st.SearchStrategy[str]]) -> st.SearchStrategy[str]:
    """One of the strategies, picked in proportion to its weight."""
    return st.sampled_from([strategy for weight, strategy in choices for _ in range(weight)]).flatmap(lambda s: s)


odd_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
# Huge values are rare on purpose: parsing a 100 kB form costs ~50 ms (werkzeug's unquote), a typical turn ~2 ms.
huge = st.sampled_from(["x" * 100_000, "ö" * 100_000, "A" * 5000, "1" * 5000, "\u202e" * 2000, "\x00" * 1000])
value = weighted((150, st.sampled_from(KEYS + WORDS + NUMBERS + CALL_SIDS)), (150, odd_text),
                 (40, st.integers().map(str)), (1, huge))
FIELDS = ["CallSid", "From", "To", "Digits", "Body", "MessageSid", "DialCallStatus", "DialCallSid",
          "CallStatus", "ParentCallSid", "AccountSid"]


query_value = weighted((50, st.sampled_from(CALL_SIDS + NUMBERS + ["0", "1", "2", "-1", ""])), (40, odd_text),
                       (1, huge))
dial_kind = st.one_of(st.sampled_from(["it_support", "local", "on_call"]), st.text(
    st.characters(exclude_categories=["Cs", "Cc"], exclude_characters="/?#%;"), min_size=1, max_size=20))
field_names = st.lists(st.sampled_from(FIELDS), unique=True, max_size=6)


@st.composite
def form_fields(draw: st.DrawFn) -> dict[str, str]:
    """Like st.dictionaries(st.sampled_from(FIELDS), value, max_size=6) (same sizes, keys and values), cheaper:
    unique names from a list (no filter that redraws a whole key-value pair when a name repeats)."""
    return {name: draw(value) for name in draw(field_names)}


odd_fields = st.dictionaries(odd_text, value, min_size=1, max_size=2)


# Administrators' texts (DRIFT/KLAR <system> <text>): the announcement is then heard in every call that
# chooses that system, so it must stay valid TwiML. Text from GSM-7 (else it is refused) and odd text.
gsm7_text = st.text(st.sampled_from(list("abcxyzÅÄÖåäö019 .,!?-:;()\"'@£$¥èéÇØæßÉ^{}[]~|€\\&<>\n\r\x0c")), max_size=40)
admin_body = st.builds("{} {} {}".format, st.sampled_from(["DRIFT", "KLAR", "drift"]),
                       st.sampled_from(["viva", "Viva omsorg", "npö", "1", "x"]),
                       st.one_of(gsm7_text, odd_text))
body = weighted((4, st.sampled_from(WORDS)), (1, admin_body))
route = st.sampled_from(["voice", "input", "dial", "whisper", "accept", "callback", "fallback", "fallback_dial", "sms"])
fallback_to = st.sampled_from(["on_call", "it_support"])
coin, one_in_4, one_in_8 = st.booleans(), st.integers(0, 3), st.integers(0, 7)
call_sid, number, key = st.sampled_from(CALL_SIDS), st.sampled_from(NUMBERS), st.sampled_from(KEYS)
sid_bits = st.integers(0, 2**128 - 1)
# 0 means "no request": what the shrinker tries first, so the requests a failure does not need become one
# choice each, which it can delete (a whole request is ~10-40 choices: too many to delete at once).
skip = st.integers(0, 255)
moment = st.sampled_from(MOMENTS)
SIGNER = RequestValidator(TOKEN)


@st.composite
def webhook(draw: st.DrawFn) -> tuple[str, dict[str, str], datetime] | None:
    """A path with its query, the form Twilio would sign, and the moment it is sent; now and then None (skip)."""
    if draw(skip) == 0:
        return None
    choice = draw(route)
    # The dial kind is drawn for dial requests only (it was drawn for every request: ~3 of its ~26 draws).
    path = f"/voice/dial/{draw(dial_kind)}" if choice == "dial" else {
        "voice": "/voice", "input": "/voice/input", "fallback": "/voice/fallback", "sms": "/sms",
        "whisper": "/voice/whisper", "accept": "/voice/whisper/accept",
        "callback": "/voice/callback", "fallback_dial": "/voice/fallback/dial",
    }[choice]
    query: dict[str, str] = {}
    for name in {"whisper": ["call", "attempt"], "accept": ["call", "attempt"], "callback": ["sms"],
                 "dial": ["attempt"], "fallback_dial": ["to", "attempt"]}.get(choice, []):
        if draw(coin):
            query[name] = draw(fallback_to if name == "to" else query_value)
    if query:
        path += "?" + urlencode(query)
    form = draw(FORM_FIELDS)
    # Most requests look like Twilio's, so that calls and conversations get somewhere.
    if draw(one_in_4) != 0:
        form.setdefault("CallSid", draw(call_sid))
        form.setdefault("From", draw(number))
        form.setdefault("To", LINE_NUMBER)
        form.setdefault("Digits", draw(key))
        form.setdefault("Body", draw(body))
        form.setdefault("MessageSid", f"SM{draw(sid_bits):032x}")
    if draw(one_in_8) == 0:  # now and then, fields Twilio never sends (rare: they cost generation time)
        form.update(draw(odd_fields))
    return path, form, draw(moment)


# Each strategy built once: one made per draw is validated by hypothesis at every draw (~15 % of the test's CPU).
FORM_FIELDS = form_fields()
WEBHOOK = webhook()


class Collect(logging.Handler):
    """Exceptions the app's error handler rescued (it answers them with fallback TwiML), by kind and place."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: Counter[str] = Counter()
        self.requests = 0  # posted by the fuzz test
        self.example: dict[str, str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        if not record.exc_info or record.exc_info[1] is None:
            return  # "voice fallback used for call ...": logged on purpose, not a failure
        exc = record.exc_info[1]
        tb = exc.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        frame = f"{Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}" if tb else "?"
        rule = flask.request.url_rule.rule if flask.has_request_context() and flask.request.url_rule else "?"
        key = f"{rule}: {type(exc).__name__} at {frame}"
        self.seen[key] += 1
        self.example.setdefault(key, ascii(str(exc))[:100])

    def summary(self) -> str:
        return "\n".join(f"  {count:5d}x {key}  e.g. {self.example[key]}" for key, count in self.seen.most_common())


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, FrozenClock, Collect]]:
    """One app for every example: calls and conversations build up state across examples."""
    clock = FrozenClock(MOMENTS[0])
    database = tmp_path_factory.mktemp("fuzz") / "fuzz.sqlite3"
    app = create_app({"TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_URL": FUZZ_BASE, "DATABASE_URL": f"sqlite:///{database}",
                      "CLOCK": clock, "NOTIFIER": LogNotifier()})
    collect = Collect()
    app.logger.addHandler(collect)
    propagate, app.logger.propagate = app.logger.propagate, False  # else 10,000 rescued tracebacks in the output
    yield app, clock, collect
    app.logger.propagate = propagate  # the "ivr" logger is shared with every other test's app
    app.logger.removeHandler(collect)
    app.extensions["ivr.store"].dispose()
    print(f"\nfuzz: {collect.requests} requests")
    if collect.seen:
        print(f"fuzz: the error handler rescued these (answered with fallback TwiML):\n{collect.summary()}")


@settings(max_examples=-(-FUZZ_EXAMPLES // FUZZ_BATCH), deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
@given(data=st.data())
def test_fuzzed_webhooks_always_get_twiml(fuzz_app: tuple[Flask, FrozenClock, Collect], data: st.DataObject) -> None:
    app, clock, collect = fuzz_app
    client = app.test_client(use_cookies=False)  # one per batch; without cookies, like Twilio and a new client
    # Drawn one at a time and posted at once: the requests after a failing one are never drawn, and the shrinker
    # turns the earlier ones the failure does not need into skips and deletes those, so a falsifying example is
    # the short sequence that fails. Skips do not count: every example posts FUZZ_BATCH requests.
    posted = 0
    while posted < FUZZ_BATCH:
        request = data.draw(WEBHOOK)
        if request is None:
            continue
        posted += 1
        path, form, clock.moment = request
        # Sign what Twilio signs: the URL exactly as requested, its PUBLIC_URL plus the escaped path and the raw
        # query. (";" is left out of paths: RequestValidator.validate() round-trips the URL through urlparse.)
        signed_path = path.split("?", 1)
        wire_path = quote(signed_path[0]) + ("?" + signed_path[1] if len(signed_path) > 1 else "")
        signature = SIGNER.compute_signature(FUZZ_BASE + wire_path, form)
        rescued = collect.seen.total()
        response = client.post(wire_path, data=form, headers={"X-Twilio-Signature": signature})
        collect.requests += 1
        # Answered, but by the error handler: a traceback in the log is a defect even when the caller hears TwiML.
        assert collect.seen.total() == rescued, f"POST {path} {form!r:.300}: rescued\n{collect.summary()}"
        body = response.get_data(as_text=True)
        assert response.status_code < 500, f"POST {path} {form!r:.300}: HTTP {response.status_code}"
        assert response.status_code == 200, f"POST {path} {form!r:.300}: HTTP {response.status_code}: {body[:300]}"
        assert response.mimetype == "text/xml"
        root = ET.fromstring(body)  # raises on anything but well-formed XML
        assert root.tag == "Response", body[:300]


@pytest.mark.parametrize(("path", "form"), [
    ("/voice", {"CallSid": "CA\x00" + "1" * 31, "From": CALLER, "To": LINE_NUMBER}),
    ("/voice/input", {"CallSid": "CA" + "2" * 32, "From": CALLER + "\x00", "To": "\x00", "Digits": "1\x00"}),
    ("/sms", {"From": CALLER, "To": LINE_NUMBER, "Body": "viva\x00", "MessageSid": "SM\x00" + "3" * 31}),
    ("/voice/callback?sms=%00", {"CallSid": "CA" + "4" * 32, "From": LINE_NUMBER, "To": CALLER}),
    ("/voice/whisper?call=%00&attempt=0", {"CallSid": "CA" + "5" * 32, "From": LINE_NUMBER, "To": CALLER}),
])
def test_nul_bytes_get_twiml_on_every_database(app: Flask, twilio: Twilio, path: str, form: dict[str, str]) -> None:
    """PostgreSQL refuses NUL in text where SQLite keeps it: either way the answer is TwiML."""
    response = twilio.post(path, **form)
    assert response.status_code == 200
    assert ET.fromstring(response.data).tag == "Response"


def test_announcement_with_esc_gives_valid_twiml(twilio: Twilio) -> None:
    """ESC (0x1B) is GSM-7 but XML cannot carry it: the announcement is refused, every answer stays TwiML."""
    posted = twilio.post("/sms", From=ADMIN, To=LINE_NUMBER, Body="DRIFT viva Viva ligger nere\x1b just nu",
                         MessageSid="SM" + "e" * 32)
    assert posted.status_code == 200
    twilio.call("/voice")
    chosen = twilio.call("/voice/input", Digits="1")  # Viva: the announcement is read out here
    ET.fromstring(chosen.data)
    texted = twilio.post("/sms", From=CALLER, To=LINE_NUMBER, Body="viva", MessageSid="SM" + "f" * 32)
    ET.fromstring(texted.data)


@pytest.mark.parametrize("text", ["Nere\x01nu", "Nere\ufffe"])
def test_refused_announcement_reply_is_valid_twiml(twilio: Twilio, text: str) -> None:
    """The refusal names odd characters by code point instead of quoting them into the XML."""
    refused = twilio.post("/sms", From=ADMIN, To=LINE_NUMBER, Body=f"DRIFT viva {text}", MessageSid="SM" + "d" * 32)
    assert refused.status_code == 200
    ET.fromstring(refused.data)
