"""Incidents through the signed webhooks: told once the manager knows, KVITTERA, KLAR and IT from her phone.

tests/test_operations.py holds the reports and the incident SMS; tests/test_incident_property.py the rule
that only the caller's own answers route her call.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any

from flask import Flask

from flows.incidents import IncidentState
from ivr.store.incidents import IncidentStore
from tests.conftest import LINE_NUMBER, PUBLIC_URL, FrozenClock, Twilio
from tests.test_operations import OUTSIDER, VIVA_ON_CALL, call, spoken

ANNA = "+46701740610"  # first on call on 25 November 2026 (config/roster.yaml)


def accept_on_call(twilio: Twilio, sid: str) -> None:
    """Chef i beredskap's leg of the call's dial: she hears the whisper and presses 1."""
    twilio.post(f"/voice/whisper/accept?call={sid}&attempt=0", CallSid="CA" + "f" * 32, Digits="1")


def text(twilio: Twilio, sender: str, body: str, sid: str) -> list[str]:
    response = twilio.post("/sms", From=sender, To=LINE_NUMBER, Body=body, MessageSid=sid)
    return [node.text or "" for node in ET.fromstring(response.data).iter("Message")]


def sent(app: Flask, kind: str = "sms") -> list[dict[str, Any]]:
    return [m for m in app.extensions["ivr.notifier"].sent if m["kind"] == kind]


def incidents(app: Flask) -> IncidentStore:
    return IncidentStore(app.extensions["ivr.store"])


def outcome(app: Flask, sid: str) -> str:
    events = app.extensions["ivr.store"].events(f"voice:{sid}")
    return str(next(e["data"]["outcome"] for e in events if e["kind"] == "outcome"))


def manager_took_a_viva_call(app: Flask, twilio: Twilio, clock: FrozenClock) -> int:
    """22:00: a staff call about Viva reaches Chef i beredskap, who presses 1: an acknowledged incident."""
    clock.set("2026-11-25T22:00")
    sid = "CA" + "1" * 32
    body = call(twilio, sid, "+46701740601", *VIVA_ON_CALL)
    assert "/voice/whisper" in body.decode()
    accept_on_call(twilio, sid)
    [found] = incidents(app).live_ones(clock(), timedelta(hours=2))
    assert (found.system, found.state, found.acknowledged_by, found.callers) == (
        "viva", IncidentState.ACKNOWLEDGED, "anna", 1)
    return found.id


def test_once_the_manager_knows_the_next_caller_is_told_and_may_end_with_an_sms(
        app: Flask, twilio: Twilio, clock: FrozenClock) -> None:
    manager_took_a_viva_call(app, twilio, clock)
    clock.set("2026-11-25T22:10")
    body = call(twilio, "CA" + "2" * 32, "+46701740602", "1")
    assert ("Chef i beredskap vet redan om felet i Viva, sedan klockan tjugotvå. "
            "Svarar du nej, får du ett sms när felet är löst.") in spoken(body)
    body = twilio.post("/voice/input", CallSid="CA" + "2" * 32, From="+46701740602", To=LINE_NUMBER, Digits="2").data
    assert "Du får ett sms när felet är löst." in spoken(body) and "<Dial" not in body.decode()
    assert outcome(app, "CA" + "2" * 32) == "incident_known"
    assert incidents(app).live_ones(clock(), timedelta(hours=2))[0].waiting == 1


def test_the_manager_is_not_rung_twice_for_one_acknowledged_incident(
        app: Flask, twilio: Twilio, clock: FrozenClock) -> None:
    manager_took_a_viva_call(app, twilio, clock)
    clock.set("2026-11-25T22:20")
    body = call(twilio, "CA" + "3" * 32, "+46701740603", "1", "1", *VIVA_ON_CALL[1:])  # goes through anyway
    assert "<Dial" not in body.decode()
    assert "så jag ringer inte upp nu" in spoken(body)
    assert outcome(app, "CA" + "3" * 32) == "incident_known"
    # The same facts as the first caller: nothing new for the manager, so no SMS either.
    assert [m for m in sent(app) if m["to"] == ANNA] == []
    clock.set("2026-11-25T22:30")  # another caller whose network is down: something new, one SMS
    call(twilio, "CA" + "4" * 32, "+46701740604", "1", "1", "2", "1", "2")
    news = [m["body"] for m in sent(app) if m["to"] == ANNA]
    assert news == ["Felsökningslinjen 22.30: Viva, alla steg gjorda. Ja: flera berörs. Nej: nätet ok. "
                    "Ring 070-174 06 04"]


def test_an_incident_without_news_for_known_hours_is_no_longer_told(
        app: Flask, twilio: Twilio, clock: FrozenClock) -> None:
    manager_took_a_viva_call(app, twilio, clock)
    clock.set("2026-11-26T00:01")  # two hours and a minute later
    body = call(twilio, "CA" + "5" * 32, "+46701740605", *VIVA_ON_CALL)
    assert "vet redan" not in spoken(body) and "/voice/whisper" in body.decode()


def test_klar_from_the_manager_resolves_and_texts_every_caller_who_asked(
        app: Flask, twilio: Twilio, clock: FrozenClock) -> None:
    manager_took_a_viva_call(app, twilio, clock)
    clock.set("2026-11-25T22:10")
    call(twilio, "CA" + "2" * 32, "+46701740602", "1", "2")  # told, answers no: an SMS when fixed
    assert text(twilio, ANNA, "Klar", "SM" + "1" * 32) == ["Löst: Viva. 1 som väntade får ett sms nu."]
    fixed = [m for m in sent(app) if m["to"] == "+46701740602" and "löst" in m["body"]]
    assert [m["body"] for m in fixed] == [
        "Felsökningslinjen: Felet i Viva är löst. Fungerar det ändå inte för dig, ring eller sms:a igen."]
    assert incidents(app).live_ones(clock(), timedelta(hours=2)) == []
    # Twilio retries the same message: the same answer, no second SMS.
    assert text(twilio, ANNA, "Klar", "SM" + "1" * 32) == ["Löst: Viva. 1 som väntade får ett sms nu."]
    assert len([m for m in sent(app) if m["to"] == "+46701740602" and "löst" in m["body"]]) == 1
    # A new one now: nothing is known, and the next caller is put through again.
    assert text(twilio, ANNA, "KLAR", "SM" + "2" * 32) == ["Det finns inget känt fel just nu."]
    assert "/voice/whisper" in call(twilio, "CA" + "6" * 32, "+46701740606", *VIVA_ON_CALL).decode()


def test_kvittera_acknowledges_an_incident_opened_by_reports(app: Flask, twilio: Twilio, clock: FrozenClock) -> None:
    clock.set("2026-11-25T21:00")
    for index in range(3):  # three reports, nobody presses 1: an open incident, and the incident SMS
        call(twilio, f"CA{index:032d}", f"+4670174060{index}", *VIVA_ON_CALL)
    [found] = incidents(app).live_ones(clock(), timedelta(hours=2))
    assert found.state is IncidentState.OPEN and found.callers == 3
    assert "vet redan" not in spoken(call(twilio, "CA" + "7" * 32, "+46701740607", "1"))  # she does not know yet
    assert text(twilio, ANNA, "kvittera viva", "SM" + "3" * 32) == [
        "Kvitterat: Viva. Nya samtal om felet får veta att du vet och kopplas inte till dig. "
        "Svara KLAR när felet är löst."]
    assert "Chef i beredskap vet redan om felet i Viva" in spoken(call(twilio, "CA" + "8" * 32, "+46701740608", "1"))


def test_the_words_are_the_managers_alone(app: Flask, twilio: Twilio, clock: FrozenClock) -> None:
    manager_took_a_viva_call(app, twilio, clock)
    reply = text(twilio, OUTSIDER, "KLAR", "SM" + "4" * 32)
    assert reply[0].startswith("Felsökningslinjen.")  # an ordinary conversation: the menu
    assert incidents(app).live_ones(clock(), timedelta(hours=2))[0].state is IncidentState.ACKNOWLEDGED


def test_it_from_the_manager_reaches_it_beredskapen_screened_with_the_whisper(
        app: Flask, twilio: Twilio, clock: FrozenClock) -> None:
    incident_id = manager_took_a_viva_call(app, twilio, clock)
    # One caller, no workplace known: the seed wants an established outage, so she confirms first.
    assert text(twilio, ANNA, "IT", "SM" + "5" * 32) == [
        "Viva: bara 1 samtal om felet. IT-beredskapen är för kritiska fel som drabbar flera. "
        "Svara IT igen om du vill ringa ändå."]
    assert sent(app, "call") == []
    assert text(twilio, ANNA, "it", "SM" + "6" * 32) == [
        "Jag ringer dig nu om Viva (1 samtal). Tryck 1 i samtalet så kopplar jag dig till IT-beredskapen."]
    assert text(twilio, ANNA, "it", "SM" + "6" * 32)  # Twilio retried it: no second call
    [placed] = sent(app, "call")
    assert placed["to"] == ANNA and placed["url"] == f"{PUBLIC_URL}/voice/it/manager?incident={incident_id}"
    her_leg = twilio.post(placed["url"].removeprefix(PUBLIC_URL), CallSid="CA" + "9" * 32, From=LINE_NUMBER, To=ANNA)
    assert "Du bad om IT-beredskapen för felet i Viva. Tryck 1 så kopplar jag dig dit." in spoken(her_leg.data)
    accept = ET.fromstring(her_leg.data).find("Gather")
    assert accept is not None
    dialled = twilio.post(str(accept.get("action")), CallSid="CA" + "9" * 32, Digits="1").data
    number = ET.fromstring(dialled).find("Dial/Number")
    assert number is not None and number.text == "+46701740620"  # it_on_call in config/line.yaml
    whisper = twilio.post(str(number.get("url")), CallSid="CA" + "8" * 32).data
    assert spoken(whisper) == (
        "Felsökningslinjen. Chef i beredskap vill prata med IT-beredskapen. Viva fungerar inte för flera. "
        "Nätet fungerar. 1 samtal sedan klockan tjugotvå. Tryck 1 för att ta samtalet.")
    assert "0 7 0" not in spoken(whisper)
    their_accept = ET.fromstring(whisper).find("Gather")
    assert their_accept is not None
    assert ET.fromstring(twilio.post(str(their_accept.get("action")), CallSid="CA" + "8" * 32,
                                     Digits="1").data).tag == "Response"
    assert incidents(app).get(incident_id).state is IncidentState.ESCALATED  # type: ignore[union-attr]


def test_purge_deletes_incidents_and_their_callers_older_than_the_retention(
        app: Flask, twilio: Twilio, clock: FrozenClock) -> None:
    from tests.conftest import local

    old = manager_took_a_viva_call(app, twilio, clock)  # 22:00: an incident with one caller
    newer = incidents(app).open(None, "pascal", IncidentState.ACKNOWLEDGED, local("2026-11-25T23:30"), by="anna")
    store = app.extensions["ivr.store"]
    counts = store.purge(local("2026-11-25T23:00"), local("2026-11-25T23:00"), dry_run=True)
    assert (counts["incidents"], counts["incident_callers"]) == (1, 1)
    assert incidents(app).get(old) is not None  # a dry run changes nothing
    counts = store.purge(local("2026-11-25T23:00"), local("2026-11-25T23:00"))
    assert (counts["incidents"], counts["incident_callers"]) == (1, 1)
    assert incidents(app).get(old) is None and incidents(app).get(newer) is not None
