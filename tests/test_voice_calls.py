"""Voice webhooks beyond the golden conversations: screening, restarts, failures."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from flask import Flask

from ivr import create_app
from ivr.notify import LogNotifier
from tests.conftest import LINE_NUMBER, FrozenClock, Twilio, app_config
from tests.twiml_helpers import spoken, verbs

CALL_SID = "CA" + "1" * 32
PARENT = f"call={CALL_SID}&attempt=0"


def viva_to_on_call(twilio: Twilio, clock: FrozenClock) -> bytes:
    """An after-hours Viva call answered through to the on-call dial."""
    clock.set("2026-11-25T22:00")
    twilio.call("/voice")
    body = b""
    for key in ("1", "2", "1", "1"):
        body = twilio.call("/voice/input", Digits=key).data
    return body


def whisper(twilio: Twilio, attempt: int = 0) -> bytes:
    return twilio.post(f"/voice/whisper?call={CALL_SID}&attempt={attempt}", CallSid="CA" + "9" * 32,
                       ParentCallSid=CALL_SID, From=LINE_NUMBER, To="+46701740610").data


def test_on_call_dial_screens_the_manager(twilio: Twilio, clock: FrozenClock) -> None:
    body = viva_to_on_call(twilio, clock)
    root = ET.fromstring(body)
    number = root.find("Dial/Number")
    assert number is not None and number.text == "+46701740610"
    # Both URLs carry the call's state (s=...) so that the whisper needs no database read.
    assert str(number.get("url")).startswith(f"/voice/whisper?{PARENT}&s=")
    assert str(root.find("Dial").get("action")).startswith("/voice/dial/on_call?attempt=0&s=")  # type: ignore[union-attr]


def test_whisper_names_system_and_facts_and_hangs_up_without_a_key(
    twilio: Twilio, clock: FrozenClock
) -> None:
    viva_to_on_call(twilio, clock)
    body = whisper(twilio)
    assert verbs(body) == ["Gather", "Hangup"]  # no key: the Gather falls through to Hangup
    root = ET.fromstring(body)
    gather = root.find("Gather")
    assert gather is not None and gather.get("actionOnEmptyResult") is None
    text = spoken(body)
    assert text.startswith("Felsökningslinjen. Viva fungerar inte för flera. Nätet fungerar.")
    assert "0 7 0" not in text  # no number: the call shows it, the SMS writes it
    assert "Tryck 1" in text


def test_manager_pressing_another_key_is_not_connected(twilio: Twilio, clock: FrozenClock) -> None:
    viva_to_on_call(twilio, clock)
    body = twilio.post(f"/voice/whisper/accept?{PARENT}", CallSid="CA" + "9" * 32, Digits="2").data
    assert verbs(body) == ["Say", "Hangup"]
    # The Dial then ends (Twilio may call it "completed"): without the 1 it is not a connection.
    body = twilio.call("/voice/dial/on_call?attempt=0", DialCallStatus="completed").data
    root = ET.fromstring(body)
    assert root.find("Dial/Number").text == "+46701740611"  # type: ignore[union-attr]


def test_manager_pressing_1_bridges_and_the_call_ends_after(twilio: Twilio, clock: FrozenClock) -> None:
    viva_to_on_call(twilio, clock)
    body = twilio.post(f"/voice/whisper/accept?{PARENT}", CallSid="CA" + "9" * 32, Digits="1").data
    assert verbs(body) == []  # an empty response bridges the legs
    body = twilio.call("/voice/dial/on_call?attempt=0", DialCallStatus="completed").data
    assert verbs(body) == ["Hangup"]


@pytest.mark.parametrize("status", ["busy", "no-answer", "failed", "canceled"])
def test_every_on_call_failure_gives_the_caller_a_next_step(
    app: Flask, twilio: Twilio, clock: FrozenClock, status: str
) -> None:
    viva_to_on_call(twilio, clock)
    first = twilio.call("/voice/dial/on_call?attempt=0", DialCallStatus=status).data
    assert "nästa nummer" in spoken(first) and verbs(first) == ["Say", "Dial"]
    last = twilio.call("/voice/dial/on_call?attempt=1", DialCallStatus=status).data
    assert verbs(last) == ["Say", "Hangup"]
    assert "har fått ett sms och ringer upp dig" in spoken(last)
    # The one SMS to the first manager, then the caller's receipt, which says so (sent only now).
    sent, receipt = app.extensions["ivr.notifier"].sent
    assert (sent["to"], sent["from"]) == ("+46701740610", LINE_NUMBER)
    assert sent["body"] == ("Felsökningslinjen 22.00: Viva, alla steg gjorda. Ja: flera berörs, nätet ok. "
                            "Ring 070-174 06 99")
    assert (receipt["to"], receipt["from"]) == ("+46701740699", LINE_NUMBER)
    assert receipt["body"].startswith("Felsökningslinjen, Viva: Alla steg är gjorda. Chef i beredskap svarade "
                                      "inte och har fått ett sms.")


def test_it_support_no_answer_offers_the_it_portal(app: Flask, twilio: Twilio, clock: FrozenClock) -> None:
    clock.set("2026-11-25T10:00")
    twilio.call("/voice")
    for key in ("2", "2", "2", "2", "2"):  # Viva omsorg: every step "no"
        body = twilio.call("/voice/input", Digits=key).data
    assert ET.fromstring(body).find("Dial").text == "+46141225047"  # type: ignore[union-attr]
    assert app.extensions["ivr.notifier"].sent == []  # no receipt before anyone knows how the dial went
    body = twilio.call("/voice/dial/it_support", DialCallStatus="no-answer").data
    assert "IT-portalen" in spoken(body) and verbs(body)[-1] == "Hangup"
    [receipt] = app.extensions["ivr.notifier"].sent
    assert receipt["body"].startswith("Felsökningslinjen, Viva omsorg: IT-supporten svarade inte. Ring 0141-22 50 47")


def test_a_second_instance_on_the_same_database_continues_the_call(
    app: Flask, database_url: str, clock: FrozenClock
) -> None:
    first = Twilio(app.test_client())
    first.call("/voice")
    first.call("/voice/input", Digits="4")  # NPÖ
    first.call("/voice/input", Digits="1")  # several users: yes
    restarted = create_app(app_config(database_url, clock))
    try:
        second = Twilio(restarted.test_client())
        body = second.call("/voice/input", Digits="*").data
        assert "Steg 2 av 5" in spoken(body)
    finally:
        restarted.extensions["ivr.store"].dispose()


def test_database_down_still_answers_with_the_menu(clock: FrozenClock) -> None:
    """A database that cannot be opened: /voice answers with the menu (the call runs on), never a 500."""
    unreachable = "postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=1"
    app = create_app(app_config(unreachable, clock, DB_AUTO_UPGRADE=False))
    twilio = Twilio(app.test_client())
    clock.set("2026-11-25T22:00")
    response = twilio.call("/voice")
    assert response.status_code == 200
    assert verbs(response.data) == ["Gather"] and "Tryck siffran" in spoken(response.data)
    health = app.test_client().get("/healthz")
    assert health.status_code == 503 and health.json == {"status": "degraded", "database": "unavailable"}
    app.extensions["ivr.store"].dispose()


def test_fallback_url_without_a_call_to_continue_offers_the_chain_screened(twilio: Twilio, clock: FrozenClock) -> None:
    clock.set("2026-11-25T22:00")
    body = twilio.call("/voice/fallback").data
    number = ET.fromstring(body).find("Dial/Number")
    assert number is not None and number.text == "+46701740610" and number.get("url")
    body = twilio.call("/voice/fallback/dial?to=on_call&attempt=0", DialCallStatus="busy").data
    assert ET.fromstring(body).find("Dial/Number").text == "+46701740611"  # type: ignore[union-attr]
    body = twilio.call("/voice/fallback/dial?to=on_call&attempt=1", DialCallStatus="busy").data
    assert verbs(body) == ["Say", "Hangup"]


def test_unexpected_error_returns_twiml_not_a_500(
    database_url: str, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(app_config(database_url, clock, NOTIFIER=LogNotifier()))
    import flows.engine

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(flows.engine, "current", explode)
    twilio = Twilio(app.test_client())
    twilio.call("/voice")
    response = twilio.call("/voice/input", Digits="1")
    assert response.status_code == 200
    assert "tekniskt fel" in spoken(response.data)
    assert verbs(response.data) == ["Say", "Dial"]
    app.extensions["ivr.store"].dispose()


def test_database_down_still_answers_a_text(clock: FrozenClock) -> None:
    unreachable = "postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=1"
    app = create_app(app_config(unreachable, clock, DB_AUTO_UPGRADE=False))
    twilio = Twilio(app.test_client())
    response = twilio.post("/sms", From="+46701740699", To=LINE_NUMBER, Body="viva", MessageSid="SM" + "1" * 32)
    assert response.status_code == 200
    texts = [node.text or "" for node in ET.fromstring(response.data).iter("Message")]
    assert texts == ["Tyvärr blev det ett tekniskt fel. Ring IT-supporten 0141-22 50 47 eller skapa ett ärende: "
                     "https://itportal.example.se"]
    app.extensions["ivr.store"].dispose()


def test_a_callsid_longer_than_twilios_still_gets_its_own_call(
    app: Flask, twilio: Twilio, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    # Twilio's are 34 characters; the store keeps 100. Two long ones alike in their first 64 are two calls.
    first, second = ("CA" + "7" * 120 + "a", "CA" + "7" * 120 + "b")
    clock.set("2026-11-25T22:00")
    for sid in (first, second):
        assert "Viva 1" in spoken(twilio.call("/voice", sid=sid).data)
    body = b""
    for key in ("1", "2", "1", "1"):
        body = twilio.call("/voice/input", sid=first, Digits=key).data
    assert ET.fromstring(body).find("Dial/Number").text == "+46701740610"  # type: ignore[union-attr]
    # The second call is still at the menu: 1 chooses Viva, it does not answer a step of the first call's.
    assert "Viva" in spoken(twilio.call("/voice/input", sid=second, Digits="1").data)
    assert not [record for record in caplog.records if record.levelname in ("ERROR", "CRITICAL")]
