"""The line files the caller's ticket: through the signed webhooks, the outbox, and a webhook ITSM on loopback.

The ITSM is tests/ticket_fakes.FakeITSM (a real HTTP server); the ticket backend is line.yaml's
`webhook`, so the request checked is the one the line really makes.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask

from flows.line import DEFAULT_CONFIG
from ivr import create_app
from ivr.outbox.sender import Sender
from ivr.simulator.voice import Phone
from tests.conftest import CALLER, FrozenClock, Twilio, app_config
from tests.test_outbox import action
from tests.ticket_fakes import FakeITSM

ALFA_ONE_USER = "9 1 2 2 2 2 2 1 2"  # after hours, Alfa e-Care, one user: wait for IT support (a golden's keys)
ADMIN = "+46701740698"


@pytest.fixture
def itsm() -> Iterator[FakeITSM]:
    with FakeITSM((201, {"id": "T-100"})) as fake:
        yield fake


@pytest.fixture
def app(database_url: str, clock: FrozenClock, tmp_path: Path, itsm: FakeITSM,
        monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    config = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG, config)
    line_yaml = config / "line.yaml"
    line_yaml.write_text(line_yaml.read_text("utf-8").replace(
        "  backend: none ", f"  backend: webhook\n  webhook: {{url: '{itsm.url}/t', timeout_seconds: 1}}\n #"), "utf-8")
    monkeypatch.setenv("IVR_TICKET_WEBHOOK_SECRET", "s3cret")
    clock.set("2026-11-25T22:00")
    application = create_app(app_config(database_url, clock, CONFIG_DIR=str(config)))
    yield application
    application.extensions["ivr.store"].dispose()


def sender(app: Flask) -> Sender:
    found: Sender = app.extensions["ivr.outbox"]
    return found


# tickets.decline_seconds (60 in the shipped line.yaml): a declinable ticket and the receipt that mentions it
# wait this long before their first try.
GRACE = timedelta(seconds=61)


def past_grace(app: Flask) -> list[dict[str, str]]:
    """The outbox run once the caller can no longer decline; every SMS the line has sent."""
    sender(app).send_due(app.extensions["ivr.clock"]() + GRACE)
    return [item for item in app.extensions["ivr.notifier"].sent if item["kind"] == "sms"]


def test_after_hours_wait_files_one_ticket_with_every_answered_step(app: Flask, itsm: FakeITSM) -> None:
    result = Phone(app, caller=CALLER).call(ALFA_ONE_USER)
    assert result.errors == []
    heard = " ".join(entry["text"] for entry in result.transcript if entry["who"] == "line")
    assert "Jag har skapat ett ärende åt dig." in heard
    assert "skapa ett ärende i IT-portalen" not in heard  # she is not told to do it herself
    assert itsm.seen == [] and result.sms == []  # she may still decline it (key 9)
    sent = past_grace(app)
    [request] = itsm.seen
    body = request.json()
    assert body["event"] == "ticket.created" and body["ticket"]["outcome"] == "wait_for_office_hours"
    assert body["ticket"]["caller"] == "070-174 06 99"
    answered = [step for step in body["ticket"]["steps"] if step["answer"] != "(inte besvarad)"]
    assert len(answered) == 8 and {step["answer"] for step in answered} <= {"Ja", "Nej", "Vet inte"}
    [receipt] = [sms["body"] for sms in sent if sms["to"] == CALLER]
    code = body["ticket"]["code"]
    assert f"Ett ärende är skapat åt dig, kod {code}." in receipt
    rows = app.extensions["ivr.store"].outbox.rows(session_id=f"voice:{result.call_sid}")
    [ticket] = [row for row in rows if row["channel"] == "ticket"]
    assert ticket["state"] == "delivered" and ticket["provider_id"] == "T-100"
    assert ticket["body"] is None  # filed: its text (with her number) is blanked


def test_a_replayed_last_turn_files_nothing_new(app: Flask, itsm: FakeITSM) -> None:
    twilio, sid = Twilio(app.test_client()), "CA" + "5" * 32
    response = twilio.call("/voice", sid=sid)
    keys = ALFA_ONE_USER.split()
    for key in keys[:-1]:
        response = twilio.call(action(response), sid=sid, Digits=key)
    last = action(response)
    assert "Jag har skapat ett ärende" in twilio.call(last, sid=sid, Digits=keys[-1]).get_data(as_text=True)
    for _ in range(5):  # Twilio retries, a proxy repeats: the same signed request again
        twilio.call(last, sid=sid, Digits=keys[-1])
    past_grace(app)
    assert len(itsm.seen) == 1


def test_503_three_times_then_201_is_exactly_one_ticket_and_the_caller_never_waits(
        app: Flask, itsm: FakeITSM, clock: FrozenClock) -> None:
    itsm.script += [(503, None), (503, None), (503, None)]
    result = Phone(app, caller=CALLER).call(ALFA_ONE_USER)
    assert "Jag har skapat ett ärende åt dig." in " ".join(entry["text"] for entry in result.transcript)
    outbox, start = sender(app), clock.moment
    for minutes in (1, 2, 4, 8):
        outbox.send_due(start + timedelta(minutes=minutes))
    outbox.send_due(start + timedelta(hours=1))
    created = [request for request in itsm.seen if request.json()["event"] == "ticket.created"]
    assert len(created) == 4  # 503, 503, 503, 201
    assert len({request.headers["Idempotency-Key"] for request in created}) == 1
    rows = app.extensions["ivr.store"].outbox.rows(session_id=f"voice:{result.call_sid}")
    assert [row["state"] for row in rows if row["channel"] == "ticket"] == ["delivered"]


def test_401_stops_retrying_and_alerts_the_admins_once(app: Flask, itsm: FakeITSM, clock: FrozenClock) -> None:
    itsm.script.append((401, {"message": "Unauthorized"}))
    Phone(app, caller=CALLER).call(ALFA_ONE_USER)
    for hours in (1, 2, 3):
        sender(app).send_due(clock.moment + timedelta(hours=hours))
    assert len(itsm.seen) == 1
    alerts = [row for row in app.extensions["ivr.store"].outbox.rows() if row["kind"] == "ticket_alert"]
    assert [row["key"] for row in alerts] == [f"ticket_dead:{alerts[0]['key'].split(':')[1]}:{ADMIN}"]


def test_an_itsm_down_for_hours_alerts_once_after_alert_after_minutes(
        app: Flask, itsm: FakeITSM, clock: FrozenClock) -> None:
    itsm.default = (503, None)
    Phone(app, caller=CALLER).call(ALFA_ONE_USER)
    Phone(app, caller="+46701740601").call(ALFA_ONE_USER)
    for minutes in range(15, 300, 15):
        sender(app).send_due(clock.moment + timedelta(minutes=minutes))
    alerts = [row for row in app.extensions["ivr.store"].outbox.rows() if row["kind"] == "ticket_alert"]
    assert len(alerts) == 1 and alerts[0]["created_at"] >= clock.moment + timedelta(minutes=120)
    assert app.extensions["ivr.store"].outbox.pending_counts() == {"ticket": 2}


def test_metrics_show_tickets_waiting(database_url: str, clock: FrozenClock, tmp_path: Path, itsm: FakeITSM,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_outbox import METRICS_TOKEN

    itsm.default = (503, None)
    config = tmp_path / "config2"
    shutil.copytree(DEFAULT_CONFIG, config)
    line_yaml = config / "line.yaml"
    line_yaml.write_text(line_yaml.read_text("utf-8").replace(
        "  backend: none ", f"  backend: webhook\n  webhook: {{url: '{itsm.url}/t', timeout_seconds: 1}}\n #"), "utf-8")
    clock.set("2026-11-25T22:00")
    application = create_app(app_config(database_url, clock, CONFIG_DIR=str(config), METRICS_TOKEN=METRICS_TOKEN))
    try:
        Phone(application, caller=CALLER).call(ALFA_ONE_USER)
        scraped = application.test_client().get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert 'ivr_outbox_pending{channel="ticket"} 1.0' in scraped.get_data(as_text=True)
    finally:
        application.extensions["ivr.store"].dispose()


def test_later_callers_about_an_incident_are_notes_on_its_ticket(app: Flask, itsm: FakeITSM) -> None:
    from flows.incidents import IncidentState
    from ivr.store.incidents import IncidentStore

    store = app.extensions["ivr.store"]
    opened = IncidentStore(store).open(None, "alfa_ecare", IncidentState.OPEN, app.extensions["ivr.clock"]())
    Phone(app, caller=CALLER).call(ALFA_ONE_USER)
    Phone(app, caller="+46701740601").call(ALFA_ONE_USER)
    Phone(app, caller="+46701740602").call(ALFA_ONE_USER)
    past_grace(app)
    events = [request.json() for request in itsm.seen]
    assert [event["event"] for event in events] == ["ticket.created", "ticket.caller_added", "ticket.caller_added"]
    assert {event.get("ticket_id") for event in events[1:]} == {"T-100"}
    assert [event["ticket"]["callers"] for event in events] == [1, 2, 3]
    assert all(event["ticket"]["incident"] == opened for event in events)


def test_ivr_lookup_shows_the_ticket_and_its_id(app: Flask) -> None:
    from ivr.cli.lookup import describe

    result = Phone(app, caller=CALLER).call(ALFA_ONE_USER)
    past_grace(app)
    store = app.extensions["ivr.store"]
    with store.session(f"voice:{result.call_sid}", "voice", app.extensions["ivr.clock"]()) as found:
        lines = list(describe(app.extensions["ivr.line"], store, found, found.ref or ""))
    assert any("ticket in the IT portal: delivered (filed, id T-100)" in line
               for line in lines), lines


# --- declining the ticket (key 9, INGET ÄRENDE) ---------------------------------------------------------

ALFA_ONE_USER_BY_SMS = ["9", "ja", "nej", "nej", "nej", "nej", "nej", "ja", "nej"]


def events_of(app: Flask, session_id: str, kind: str) -> list[dict[str, object]]:
    return [event["data"] for event in app.extensions["ivr.store"].events(session_id) if event["kind"] == kind]


def test_a_caller_who_presses_9_gets_no_ticket_and_a_receipt_without_it(app: Flask, itsm: FakeITSM) -> None:
    result = Phone(app, caller=CALLER).call(ALFA_ONE_USER + " 9")
    assert result.errors == [] and result.unused_keys == []
    heard = [entry["text"] for entry in result.transcript if entry["who"] == "line"]
    assert "Tryck 9 om du inte vill att jag skapar ett ärende." in heard
    assert heard[-1] == "Jag skapar inget ärende. Hej då."
    sent = past_grace(app)
    assert itsm.seen == []
    [receipt] = [sms["body"] for sms in sent if sms["to"] == CALLER]
    assert "Ett ärende är skapat" not in receipt
    rows = app.extensions["ivr.store"].outbox.rows(session_id=f"voice:{result.call_sid}")
    [ticket] = [row for row in rows if row["channel"] == "ticket"]
    assert ticket["state"] == "cancelled" and ticket["body"] is None and ticket["attempts"] == 0
    assert events_of(app, f"voice:{result.call_sid}", "ticket_declined") == [
        {"code": ticket_code(app, result.call_sid), "in_time": True}]


def ticket_code(app: Flask, call_sid: str) -> str:
    store = app.extensions["ivr.store"]
    with store.session(f"voice:{call_sid}", "voice", app.extensions["ivr.clock"]()) as found:
        return str(found.ref)


def test_silence_after_the_offer_files_the_ticket(app: Flask, itsm: FakeITSM) -> None:
    result = Phone(app, caller=CALLER).call(ALFA_ONE_USER + " -")
    assert result.errors == [] and result.unused_keys == []
    assert result.transcript[-1]["text"] != "Hej då."  # the outcome said goodbye: the call just ends
    past_grace(app)
    assert [request.json()["event"] for request in itsm.seen] == ["ticket.created"]


def test_an_sms_caller_declines_with_inget_arende(app: Flask, itsm: FakeITSM) -> None:
    from ivr.simulator.sms import ScriptedSends, SmsPhone

    sends = [*ALFA_ONE_USER_BY_SMS, "INGET ÄRENDE", "inget ärende"]
    texts = SmsPhone(app, sender=CALLER).converse(ScriptedSends(sends))
    assert texts.errors == [] and texts.unused_sends == []
    outcome, declined, again = texts.replies[-3:]
    assert any("Svara INGET ÄRENDE om du inte vill att jag skapar ett ärende." in text for text in outcome)
    assert declined == ["Jag skapar inget ärende."]
    assert again == ["Jag har inte skapat något ärende åt dig."]  # declined already: nothing left to decline
    past_grace(app)
    assert itsm.seen == []
    [ticket] = [row for row in app.extensions["ivr.store"].outbox.rows() if row["channel"] == "ticket"]
    assert ticket["state"] == "cancelled"


def test_declining_after_the_ticket_has_gone_says_whom_to_call(app: Flask, itsm: FakeITSM) -> None:
    from ivr.simulator.sms import ScriptedSends, SmsPhone

    phone = SmsPhone(app, sender=CALLER)
    phone.converse(ScriptedSends(ALFA_ONE_USER_BY_SMS))
    past_grace(app)
    assert len(itsm.seen) == 1
    texts = phone.converse(ScriptedSends(["inget ärende"]))
    assert texts.replies[-1] == [
        "Ärendet har redan skickats till IT-supporten. Ring 0141-22 50 47 om du vill att de stänger det."]
    [ticket] = [row for row in app.extensions["ivr.store"].outbox.rows() if row["channel"] == "ticket"]
    assert ticket["state"] == "delivered"


def test_a_call_put_through_to_it_support_is_not_offered_key_9(app: Flask, itsm: FakeITSM,
                                                               clock: FrozenClock) -> None:
    clock.set("2026-11-25T10:00")  # a Wednesday in office hours: the call is transferred as the ticket is filed
    result = Phone(app, caller=CALLER).call("6 2 2 1 2 1", dial_status=["completed"])  # Cosmic Link: IT support
    heard = " ".join(entry["text"] for entry in result.transcript if entry["who"] == "line")
    assert "Jag har skapat ett ärende åt dig." in heard and "Tryck 9" not in heard
    assert result.dialed == ["+46141225047"]
    assert [request.json()["event"] for request in itsm.seen] == ["ticket.created"]  # no wait: tried at once


def test_the_consoles_now_page_shows_tickets_not_filed_yet(app: Flask, itsm: FakeITSM) -> None:
    from tests.test_admin import Console

    console = Console(app)
    console.sign_in()
    assert "Ärenden som inte har kommit in i IT-portalen än: inga" in console.get("/admin/").get_data(as_text=True)
    itsm.default = (503, None)
    Phone(app, caller=CALLER).call(ALFA_ONE_USER)
    past_grace(app)  # tried once, refused with 503: waiting for a retry
    page = console.get("/admin/").get_data(as_text=True)
    assert 'IT-portalen än: <strong class="error">1</strong> – se <code>ivr outbox list</code>' in page


def test_two_problems_texted_from_one_number_file_two_tickets(app: Flask, itsm: FakeITSM) -> None:
    """One SMS session per number holds many problems: each finished one files its own ticket, once."""
    from ivr.simulator.sms import ScriptedSends, SmsPhone

    texts = SmsPhone(app, sender=CALLER).converse(ScriptedSends([*ALFA_ONE_USER_BY_SMS, *ALFA_ONE_USER_BY_SMS]))
    assert texts.errors == [] and texts.unused_sends == []
    past_grace(app)
    tickets = [row for row in app.extensions["ivr.store"].outbox.rows() if row["channel"] == "ticket"]
    assert len(tickets) == 2 and len({row["key"] for row in tickets}) == 2
    assert len(itsm.seen) == 2
