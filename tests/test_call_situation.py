"""The caller's situation on a call (issue 13): more time (key 5), continuing by SMS (key 8), resuming."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
from flask import Flask

from ivr import create_app
from ivr.notify import LogNotifier, NotifyError
from ivr.simulator.voice import Phone
from tests.conftest import CALLER, LINE_NUMBER, FrozenClock, Twilio, app_config, sms_session
from tests.test_fail_safe import offline_app  # noqa: F401 - a fixture: the line with its database down
from tests.twiml_helpers import spoken


def session_events(app: Flask, kind: str) -> list[dict[str, object]]:
    return [event for event in app.extensions["ivr.store"].events() if event["kind"] == kind]


# --- more time (key 5) ---------------------------------------------------------------------------


def test_key_5_waits_quietly_inside_a_gather_that_carries_the_state(app: Flask, twilio: Twilio) -> None:
    twilio.call("/voice")
    twilio.call("/voice/input", Digits="4")  # NPÖ, step 1: colleagues
    root = ET.fromstring(twilio.call("/voice/input", Digits="5").data)
    assert [child.tag for child in root] == ["Gather"]
    gather = root.find("Gather")
    assert gather is not None and str(gather.get("action")).startswith("/voice/input?s=")
    assert [child.tag for child in gather] == ["Say", "Pause"]
    assert gather.find("Pause").get("length") == "24"  # type: ignore[union-attr]  # 30 s a round, less the timeout
    # The colleagues step takes "vet inte": the wait names key 3 too.
    assert "tryck 1 för ja, 2 för nej eller 3 om du inte vet" in spoken(ET.tostring(root))
    # Waiting neither answers nor skips the step.
    assert session_events(app, "answer") == []
    assert [event["data"] for event in session_events(app, "more_time")] == [{"step": "multiple_users"}]
    body = twilio.call("/voice/input", Digits="1").data
    assert "Steg 2 av 5" in spoken(body)


def test_silence_while_waiting_is_not_counted_toward_the_hang_up(app: Flask, twilio: Twilio) -> None:
    twilio.call("/voice")
    twilio.call("/voice/input", Digits="4")
    twilio.call("/voice/input", Digits="5")
    rounds = [spoken(twilio.call("/voice/input", Digits="").data) for _ in range(6)]
    assert all(text.startswith("Jag väntar fortfarande.") for text in rounds[:5])
    assert rounds[4].endswith("Tryck 5 igen om du behöver mer tid.")
    assert rounds[5].startswith("Nu frågar jag igen. Steg 1 av 5.")  # 3 minutes: the same question
    # The question asked again is a normal prompt: now silence counts (3 misses hang up).
    assert "Jag hörde inget val" in spoken(twilio.call("/voice/input", Digits="").data)


def test_more_time_is_configurable(database_url: str, clock: FrozenClock, tmp_path: object) -> None:
    import shutil
    from pathlib import Path

    from flows.line import DEFAULT_CONFIG

    config = Path(str(tmp_path)) / "config"
    shutil.copytree(DEFAULT_CONFIG, config)
    line_yaml = config / "line.yaml"
    line_yaml.write_text(line_yaml.read_text("utf-8").replace("more_time_minutes: 3", "more_time_minutes: 1"), "utf-8")
    app = create_app(app_config(database_url, clock, CONFIG_DIR=str(config)))
    try:
        twilio = Twilio(app.test_client())
        twilio.call("/voice")
        twilio.call("/voice/input", Digits="4")
        twilio.call("/voice/input", Digits="5")
        assert spoken(twilio.call("/voice/input", Digits="").data).startswith("Jag väntar fortfarande.")
        assert spoken(twilio.call("/voice/input", Digits="").data).startswith("Nu frågar jag igen.")
    finally:
        app.extensions["ivr.store"].dispose()


def test_more_time_with_the_database_down_still_reaches_on_call_only_after_every_step(
    offline_app: Flask, clock: FrozenClock,  # noqa: F811
) -> None:
    clock.set("2026-11-25T22:00")
    result = Phone(offline_app).call("1 5 - - 2 5 1 1", manager_keys="1")  # Viva, waits on steps 1 and 2
    assert result.unused_keys == []
    assert all("database unavailable" in error or "whisper without" in error or "acceptance" in error
               or "database not answering" in error  # once per process, from ivr/store/outage.py
               for error in result.errors)  # only the database's absence is logged
    assert result.dialed == ["+46701740610"]
    heard = [entry["text"] for entry in result.transcript if entry["who"] == "line"]
    assert heard.count("Jag väntar fortfarande. Tryck 1 för ja eller 2 för nej när du är klar.") == 2


# --- continue by SMS (key 8) -------------------------------------------------------------------


class RefusingNotifier(LogNotifier):
    """Twilio refusing every SMS."""

    def send_sms(self, to: str, from_: str, body: str, status_callback: str | None = None) -> str:
        raise NotifyError("Twilio said no", retryable=False)  # a 4xx: a refusal, not worth a retry


def texting_of(app: Flask, number: str = CALLER) -> dict[str, Any] | None:
    record = app.extensions["ivr.store"].get(sms_session(app, number))
    return None if record is None else record.data


def test_key_8_texts_the_step_and_the_sms_conversation_keeps_step_and_answers(app: Flask, twilio: Twilio) -> None:
    twilio.call("/voice")
    for key in ("2", "1", "1"):  # Viva omsorg: several users, network works
        twilio.call("/voice/input", Digits=key)
    body = twilio.call("/voice/input", Digits="8").data
    assert [child.tag for child in ET.fromstring(body)] == ["Say", "Hangup"]
    assert "Jag har skickat steget till dig som sms." in spoken(body)
    sent = app.extensions["ivr.notifier"].sent
    assert [(sms["to"], sms["from"]) for sms in sent] == [(CALLER, LINE_NUMBER)]  # from the line's number
    assert sent[0]["body"].startswith("Viva omsorg 3/4: Starta om telefonen.")
    data = texting_of(app)
    assert data is not None and data["line_number"] == LINE_NUMBER
    assert data["state"]["checklist"] == "viva_omsorg" and data["state"]["step"] == 2
    assert data["state"]["answers"] == {"multiple_users": True, "phone_network": True}
    # The call ending now is not an abandoned conversation: it goes on by SMS.
    twilio.call("/voice/status", CallStatus="completed", CallDuration="60")
    assert session_events(app, "abandoned") == []
    assert [event["data"]["step"] for event in session_events(app, "continued_by_sms")] == ["restart_phone"]
    # The first text answers step 3, never an earlier or later one.
    reply = twilio.post("/sms", From=CALLER, To=LINE_NUMBER, Body="nej", MessageSid="SM" + "1" * 32).data
    assert "Viva omsorg 4/4" in reply.decode()


def test_key_8_from_a_hidden_number_says_why_and_asks_the_step_again(app: Flask, twilio: Twilio) -> None:
    def hidden(path: str, **params: str) -> bytes:
        return twilio.post(path, CallSid="CA" + "5" * 32, From="anonymous", To=LINE_NUMBER, **params).data

    hidden("/voice")
    hidden("/voice/input", Digits="1")  # Viva: its first step names no key 8 ...
    body = hidden("/voice/input", Digits="8")
    text = spoken(body)
    assert text.startswith("Ditt nummer är dolt, så jag kan inte skicka sms.")
    assert "Steg 1 av 3." in text and "Tryck 8" not in text
    assert app.extensions["ivr.notifier"].sent == []
    assert "Steg 2 av 3." in spoken(hidden("/voice/input", Digits="2"))  # nothing lost


def test_key_8_from_a_landline_is_not_offered_and_says_why(app: Flask, twilio: Twilio) -> None:
    def landline(path: str, **params: str) -> bytes:
        return twilio.post(path, CallSid="CA" + "6" * 32, From="+46141225047", To=LINE_NUMBER, **params).data

    landline("/voice")
    landline("/voice/input", Digits="9")  # Alfa e-Care
    step = spoken(landline("/voice/input", Digits="1"))
    assert "Steg 2 av 8." in step and "Tryck 8" not in step  # a landline takes no SMS: not offered
    text = spoken(landline("/voice/input", Digits="8"))
    assert text.startswith("Jag kan inte skicka sms till numret du ringer från. Vi fortsätter här. Steg 2 av 8.")
    assert app.extensions["ivr.notifier"].sent == []
    assert [event["data"]["reason"] for event in session_events(app, "sms_handover_failed")] == ["no_sms_number"]
    assert "Steg 3 av 8." in spoken(landline("/voice/input", Digits="2"))  # nothing lost


def test_key_8_is_texted_once_through_the_outbox_and_a_refusal_is_audited(
        database_url: str, clock: FrozenClock) -> None:
    app = create_app(app_config(database_url, clock, NOTIFIER=RefusingNotifier()))
    try:
        twilio = Twilio(app.test_client())
        twilio.call("/voice")
        twilio.call("/voice/input", Digits="9")  # Alfa e-Care
        twilio.call("/voice/input", Digits="1")
        for _ in range(3):  # Twilio retrying the key-8 request, a proxy repeating it
            assert "Jag har skickat steget till dig som sms." in spoken(twilio.call("/voice/input", Digits="8").data)
        [row] = app.extensions["ivr.store"].outbox.rows(session_id="voice:CA" + "1" * 32)
        assert (row["kind"], row["state"], row["attempts"]) == ("sms_handover", "dead", 1)  # one try, refused
        # Given up after the call ended: in the call's log, with the step it was for.
        [failed] = session_events(app, "sms_handover_failed")
        assert failed["data"] == {"reason": "send_failed", "step": "close_apps", "error": "Twilio said no"}
        assert texting_of(app) is not None  # the SMS conversation waits for a reply all the same
    finally:
        app.extensions["ivr.store"].dispose()


def test_key_8_with_the_database_down_goes_on_by_voice(offline_app: Flask, clock: FrozenClock) -> None:  # noqa: F811
    result = Phone(offline_app).call("1 8 2 2 2")  # Viva in office hours: 8 cannot be kept, so the call goes on
    heard = [entry["text"] for entry in result.transcript if entry["who"] == "line"]
    assert "Sms:et gick inte att skicka just nu. Vi fortsätter här." in heard
    assert "Tryck 8 för att fortsätta med sms." not in heard  # never offered without a database
    assert result.unused_keys == [] and "Steg 3 av 3." in heard


def test_a_call_gone_on_by_sms_is_not_counted_abandoned_in_the_report(app: Flask, twilio: Twilio) -> None:
    from ivr.reports.report import build_report

    twilio.call("/voice")
    twilio.call("/voice/input", Digits="1")
    twilio.call("/voice/input", Digits="8")
    twilio.call("/voice/status", CallStatus="completed")
    report = build_report(app.extensions["ivr.store"].events(), app.extensions["ivr.line"].library)
    viva = next(row for row in report.systems if row.system == "viva")
    assert (viva.voice, viva.sms, viva.abandoned) == (1, 1, 1)  # the SMS conversation has no outcome yet
    twilio.post("/sms", From=CALLER, To=LINE_NUMBER, Body="ja", MessageSid="SM" + "2" * 32)
    report = build_report(app.extensions["ivr.store"].events(), app.extensions["ivr.line"].library)
    viva = next(row for row in report.systems if row.system == "viva")
    assert (viva.voice, viva.sms, viva.abandoned, viva.resolved) == (1, 1, 0, 1)


# --- resume a dropped call ---------------------------------------------------------------------

FIRST, SECOND = "CA" + "1" * 32, "CA" + "2" * 32


def drop_viva_omsorg_at_step_3(twilio: Twilio) -> None:
    twilio.call("/voice", sid=FIRST)
    for key in ("2", "1", "1"):
        twilio.call("/voice/input", sid=FIRST, Digits=key)
    twilio.call("/voice/status", sid=FIRST, CallStatus="completed")


def test_the_dropped_call_is_found_by_pseudonym_after_its_number_is_blanked(app: Flask, twilio: Twilio) -> None:
    drop_viva_omsorg_at_step_3(twilio)
    record = app.extensions["ivr.store"].get(f"voice:{FIRST}")
    assert record is not None and record.caller is None  # the ended call's number is gone
    text = spoken(twilio.call("/voice", sid=SECOND).data)
    assert text.startswith("Hej igen. Du var på steg 3 av 4 för Viva omsorg: Starta om telefonen.")
    assert "Tryck 1 för att fortsätta där. Tryck 0 för att börja om." in text
    assert "Tryck siffran" not in text  # no menu sentence primes a menu key
    body = twilio.call("/voice/input", sid=SECOND, Digits="1").data
    assert "Steg 3 av 4. Starta om telefonen." in spoken(body)
    [resumed] = session_events(app, "resumed")
    assert resumed["session_id"] == f"voice:{SECOND}" and resumed["data"] == {"step": "restart_phone"}


def test_the_offered_systems_menu_key_goes_on_and_another_key_keeps_the_offer(app: Flask, twilio: Twilio) -> None:
    drop_viva_omsorg_at_step_3(twilio)
    twilio.call("/voice", sid=SECOND)
    again = spoken(twilio.call("/voice/input", sid=SECOND, Digits="3").data)  # Time Care's key: no choice
    assert "Du var på steg 3 av 4 för Viva omsorg" in again and "Steg 3 av 4." not in again
    body = spoken(twilio.call("/voice/input", sid=SECOND, Digits="2").data)  # Viva omsorg's own key: go on
    assert "Steg 3 av 4. Starta om telefonen." in body
    assert [event["data"] for event in session_events(app, "resumed")] == [{"step": "restart_phone"}]
    assert session_events(app, "resume_declined") == []


def test_another_phone_or_a_hidden_number_is_not_offered_the_call(app: Flask, twilio: Twilio) -> None:
    drop_viva_omsorg_at_step_3(twilio)
    other = twilio.post("/voice", CallSid=SECOND, From="+46701740698", To=LINE_NUMBER).data
    hidden = twilio.post("/voice", CallSid="CA" + "3" * 32, From="anonymous", To=LINE_NUMBER).data
    for body in (other, hidden):
        assert "Du var på steg" not in spoken(body) and "Tryck siffran så fort du hör ditt system" in spoken(body)


def test_a_call_gone_on_by_sms_is_not_offered_again(app: Flask, twilio: Twilio) -> None:
    twilio.call("/voice", sid=FIRST)
    twilio.call("/voice/input", sid=FIRST, Digits="1")
    twilio.call("/voice/input", sid=FIRST, Digits="8")
    assert "Du var på steg" not in spoken(twilio.call("/voice", sid=SECOND).data)


def test_key_1_at_the_offer_goes_on_from_the_carried_state_when_the_database_fails(
    app: Flask, twilio: Twilio, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ivr.store import Store, StoreError

    drop_viva_omsorg_at_step_3(twilio)
    offer = twilio.call("/voice", sid=SECOND).data
    action = str(ET.fromstring(offer).find("Gather").get("action"))  # type: ignore[union-attr]

    def down(*args: object, **kwargs: object) -> None:
        raise StoreError("database error: down")

    monkeypatch.setattr(Store, "session", down)
    assert "Steg 3 av 4." in spoken(twilio.call(action, sid=SECOND, Digits="1").data)


def test_purge_forgets_the_pseudonym_of_quiet_sessions(app: Flask, twilio: Twilio, clock: FrozenClock) -> None:
    from datetime import timedelta

    drop_viva_omsorg_at_step_3(twilio)
    store = app.extensions["ivr.store"]
    store.purge(clock.moment - timedelta(days=90), clock.moment + timedelta(minutes=1))
    clock.moment += timedelta(minutes=5)
    assert "Du var på steg" not in spoken(twilio.call("/voice", sid=SECOND).data)
