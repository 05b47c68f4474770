"""/metrics: scraped after signed calls, in-process and under gunicorn's workers (multiprocess mode)."""

from __future__ import annotations

import http.client
import importlib.util
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families
from twilio.request_validator import RequestValidator

from ivr import create_app
from ivr.config import ConfigError
from tests.conftest import LINE_NUMBER, TOKEN, FrozenClock, Twilio, app_config
from tests.test_failures import Server, free_port

METRICS_TOKEN = "scraper-token-not-a-secret-0123"
AUTH = {"Authorization": f"Bearer {METRICS_TOKEN}"}
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    """Every sample of a scrape by name and labels."""
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(scrape: Samples, name: str, **labels: str) -> float:
    return scrape.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def app(database_url: str, clock: FrozenClock) -> Iterator[Flask]:
    """The app with metrics on."""
    application = create_app(app_config(database_url, clock, METRICS_TOKEN=METRICS_TOKEN))
    yield application
    application.extensions["ivr.store"].dispose()


def scrape(app: Flask) -> Samples:
    response = app.test_client().get("/metrics", headers=AUTH)
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    return samples(response.get_data(as_text=True))


def viva_omsorg_to_it_support(twilio: Twilio, sid: str) -> None:
    """An office-hours call: every step 'no', IT support dialled and not answering."""
    twilio.call("/voice", sid=sid)
    for key in ("2", "2", "2", "2", "2"):
        twilio.call("/voice/input", sid=sid, Digits=key)
    twilio.call("/voice/dial/it_support", sid=sid, DialCallStatus="no-answer")


def test_a_scrape_after_signed_calls_has_their_counts(app: Flask, clock: FrozenClock,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    twilio = Twilio(app.test_client())
    viva_omsorg_to_it_support(twilio, "CA" + "1" * 32)
    viva_omsorg_to_it_support(twilio, "CA" + "2" * 32)
    twilio.call("/voice", sid="CA" + "3" * 32)
    twilio.call("/voice/input", sid="CA" + "3" * 32, Digits="1")
    twilio.call("/voice/input", sid="CA" + "3" * 32, Digits="1")  # Viva, the first step helped
    twilio.call("/voice/fallback", sid="CA" + "4" * 32, ErrorCode="11200")

    import flows.engine

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    twilio.call("/voice", sid="CA" + "5" * 32)
    monkeypatch.setattr(flows.engine, "current", explode)
    twilio.call("/voice/input", sid="CA" + "5" * 32, Digits="1")  # an unexpected error: the fault TwiML
    monkeypatch.undo()
    assert app.test_client().post("/voice", data={"CallSid": "CA" + "6" * 32}).status_code == 403  # unsigned

    found = scrape(app)
    assert value(found, "ivr_outcomes_total", system="viva_omsorg", outcome="it_support") == 2
    assert value(found, "ivr_outcomes_total", system="viva", outcome="resolved") == 1
    assert value(found, "ivr_escalation_dials_total", target="it_support", result="no-answer") == 2
    assert value(found, "ivr_fallback_total") == 1
    assert value(found, "ivr_error_twiml_total", channel="voice") == 1
    assert value(found, "ivr_store_errors_total") == 0
    assert value(found, "ivr_webhook_seconds_count", route="/voice") == 5  # four calls, one refused unsigned
    assert value(found, "ivr_webhook_seconds_count", route="/voice/input") == 13
    assert value(found, "ivr_webhook_seconds_count", route="/voice/dial/<kind>") == 2
    assert value(found, "ivr_webhook_seconds_bucket", route="/voice/input", le="+Inf") == 13
    assert not any(name.startswith("ivr_webhook") and ("route", "/metrics") in labels for name, labels in found)


def test_sms_and_on_call_dials_are_counted(app: Flask, clock: FrozenClock) -> None:
    clock.set("2026-11-25T22:00")
    twilio = Twilio(app.test_client())
    twilio.call("/voice")
    for key in ("1", "2", "1", "1"):  # after hours, Viva to the on-call manager
        twilio.call("/voice/input", Digits=key)
    twilio.call("/voice/dial/on_call?attempt=0", DialCallStatus="busy")
    twilio.call("/voice/dial/on_call?attempt=1", DialCallStatus="busy")  # then an SMS to the first manager
    found = scrape(app)
    assert value(found, "ivr_outcomes_total", system="viva", outcome="on_call_manager") == 1
    assert value(found, "ivr_escalation_dials_total", target="on_call", result="busy") == 2
    # The one SMS to the manager, then the caller's receipt saying so (as the notifier saw them) ...
    assert [message["to"] for message in app.extensions["ivr.notifier"].sent] == ["+46701740610", "+46701740699"]
    # ... but without a Twilio account nothing left the machine: no message is counted (tests/test_outbox.py
    # counts accepted and delivered ones).
    assert not any(name == "ivr_messages_total" for name, _ in found)


def test_incidents_are_counted_by_transition_and_shown_live_by_state(app: Flask, clock: FrozenClock) -> None:
    from tests.test_incidents import ANNA, manager_took_a_viva_call, text
    from tests.test_incidents import call as staff_call

    twilio = Twilio(app.test_client())
    found = scrape(app)
    assert [value(found, "ivr_incidents_live", state=state) for state in ("open", "acknowledged", "escalated")] \
        == [0, 0, 0]
    manager_took_a_viva_call(app, twilio, clock)  # opened by her pressing 1: opened and acknowledged
    clock.set("2026-11-25T22:10")
    staff_call(twilio, "CA" + "2" * 32, "+46701740602", "1", "2")  # told, and ends there
    found = scrape(app)
    assert value(found, "ivr_incidents_live", state="acknowledged") == 1
    assert value(found, "ivr_incidents_live", state="open") == 0
    assert [value(found, "ivr_incident_transitions_total", kind=kind)
            for kind in ("opened", "acknowledged", "told", "resolved")] == [1, 1, 1, 0]
    text(twilio, ANNA, "KLAR", "SM" + "1" * 32)  # the manager's own transaction is counted too
    found = scrape(app)
    assert value(found, "ivr_incident_transitions_total", kind="resolved") == 1
    assert value(found, "ivr_incidents_live", state="acknowledged") == 0
    clock.set("2026-11-26T09:00")  # the gauge follows the clock: nothing live, nothing counted back
    assert value(scrape(app), "ivr_incident_transitions_total", kind="opened") == 1


def test_without_the_right_bearer_token_nothing_is_shown(app: Flask) -> None:
    client = app.test_client()
    for headers in ({}, {"Authorization": "Bearer wrong-token-wrong-token"}, {"Authorization": METRICS_TOKEN}):
        response = client.get("/metrics", headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert b"ivr_" not in response.data


def test_metrics_are_off_unless_configured(database_url: str, clock: FrozenClock) -> None:
    app = create_app(app_config(database_url, clock))
    try:
        assert app.test_client().get("/metrics", headers=AUTH).status_code == 404
        assert app.extensions["ivr.metrics"] is None
    finally:
        app.extensions["ivr.store"].dispose()


def test_a_short_token_is_refused_at_start(database_url: str, clock: FrozenClock) -> None:
    with pytest.raises(ConfigError, match="IVR_METRICS_TOKEN"):
        create_app(app_config(database_url, clock, METRICS_TOKEN="short"))


def test_store_errors_are_counted(clock: FrozenClock) -> None:
    unreachable = "postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=1"
    app = create_app(app_config(unreachable, clock, DB_AUTO_UPGRADE=False, METRICS_TOKEN=METRICS_TOKEN))
    try:
        twilio = Twilio(app.test_client())
        assert b"<Gather" in twilio.call("/voice").data  # the call goes on without its database
        assert value(scrape(app), "ivr_store_errors_total") >= 1
    finally:
        app.extensions["ivr.store"].dispose()


# -- under gunicorn: two workers, one sum --------------------------------------------------------


@pytest.mark.skipif(importlib.util.find_spec("gunicorn") is None,
                    reason="gunicorn is not installed (pip install -e '.[production]')")
def test_two_gunicorn_workers_are_scraped_as_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_999999.db").write_bytes(b"a previous run's file")  # cleared at start
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    monkeypatch.setenv("IVR_METRICS_TOKEN", METRICS_TOKEN)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("RUNTIME_DIRECTORY", raising=False)
    port = free_port()
    argv = [sys.executable, "-c", "from ivr.cli import main; main()", "serve", "--production", "--no-outbound",
            "--accept-placeholders", "--workers", "2", "--host", "127.0.0.1", "--port", str(port)]
    server = Server(port, f"sqlite:///{tmp_path / 'line.sqlite3'}", tmp_path / "gunicorn.log", argv)
    try:
        server.start()
        # One worker held on a request whose headers are not finished; the others go to the second worker.
        held_sid = "CA" + "9" * 32
        params = {"CallSid": held_sid, "From": "+46701740699", "To": LINE_NUMBER}
        body = urlencode(params).encode()
        signature = RequestValidator(TOKEN).compute_signature(server.base + "/voice", params)
        head = (f"POST /voice HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"X-Twilio-Signature: {signature}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n").encode()
        held = socket.create_connection(("127.0.0.1", port), timeout=10)
        try:
            held.sendall(head)  # no blank line yet: a worker has accepted it and waits for the rest
            time.sleep(0.5)
            sids = ["CA" + f"{n:032d}" for n in range(3)]
            assert all("<Gather" in server.post("/voice", CallSid=sid, From="+46701740699", To=LINE_NUMBER)
                       for sid in sids)
            held.sendall(b"\r\n" + body)
            answer = b""
            while chunk := held.recv(65536):
                answer += chunk
            assert b" 200 " in answer.split(b"\r\n", 1)[0] and b"<Gather" in answer
        finally:
            held.close()
        assert not (folder / "counter_999999.db").exists()
        pids = {path.stem.rsplit("_", 1)[-1] for path in folder.glob("histogram_*.db")}
        assert len(pids) == 2, pids  # each worker wrote its own values
        for _ in range(4):  # whichever worker answers the scrape, it shows both workers' counts added up
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                conn.request("GET", "/metrics", headers=AUTH)
                response = conn.getresponse()
                text = response.read().decode()
            finally:
                conn.close()
            assert response.status == 200, text
            assert value(samples(text), "ivr_webhook_seconds_count", route="/voice") == 4
    finally:
        server.stop()
