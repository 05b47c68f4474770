"""The console's call log, timeline, CSV, history and incident actions, through Flask's test client.

The browser tests (tests/test_admin_browser.py) drive the same pages in Chromium with axe-core; these
check the details: filters, words, roles, the outbox rows of KLAR and IT, the audit lines.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from datetime import timedelta

import pytest
from flask import Flask

from ivr.admin.sessions import token_id
from ivr.store import Store
from ivr.store.console import ConsoleStore
from tests.conftest import CALLER, FrozenClock, Twilio
from tests.test_admin import ADMIN, Console, admin_events

ENGLISH = re.compile(r"\b(Caller|Outcome|Steps|Messages|wait_for_office_hours|on_call_manager|number forgotten|"
                     r"delivered|the call ended)\b")


@pytest.fixture
def console(app: Flask) -> Console:
    """A browser that signs in with the SMS code (an administrator)."""
    return Console(app)


def as_role(app: Flask, role: str, who: str, address: str = "192.0.2.40") -> Console:
    """A browser signed in with a role, as OIDC's callback leaves it: a server-side session row and its cookie."""
    visitor = Console(app, address)
    token = secrets.token_urlsafe(32)
    from ivr import parts

    with app.app_context():
        now = parts.now(app)
        ConsoleStore(app.extensions["ivr.store"]).save_session(
            token_id(token), {}, now, now + timedelta(hours=8),
            person={"who_key": f"oidc-{role}", "who": who, "role": role, "method": "oidc"})
    visitor.client.set_cookie("ivr_admin", token, domain="ivr.test.invalid")
    return visitor


def page_text(response: object) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))  # type: ignore[attr-defined]


def test_the_call_log_lists_filters_and_tells_a_call_in_swedish(console: Console, app: Flask, clock: FrozenClock,
                                                                  twilio: Twilio) -> None:
    from tests.test_lookup import call_and_code

    clock.set("2026-11-25T22:00")
    code = call_and_code(app, "2 2 1 2 2")  # Viva omsorg, one user, after hours: waits for office hours
    clock.set("2026-11-25T22:30")
    twilio.call("/voice", sid="CA" + "9" * 32)
    twilio.call("/voice/input", sid="CA" + "9" * 32, Digits="1")  # Viva, then hangs up
    twilio.call("/voice/status", sid="CA" + "9" * 32, CallStatus="completed")
    clock.set("2026-11-26T09:00")
    console.sign_in()
    listed = console.get("/admin/calls")
    text = page_text(listed)
    assert listed.status_code == 200 and "2 samtal" in text, text
    assert "väntar på IT-supporten (kontorstid)" in text and "pågår eller avbrutet" in text
    assert CALLER not in listed.get_data(as_text=True) and "699" not in text
    assert "1 samtal" in page_text(console.get("/admin/calls?utfall=inget"))
    assert "0 samtal" in page_text(console.get("/admin/calls?kanal=sms"))
    assert "0 samtal" in page_text(console.get("/admin/calls?fran=2026-11-26&till=2026-11-26"))
    by_code = console.get(f"/admin/calls?kod={code.lower()}")
    assert "1 samtal" in page_text(by_code) and code in page_text(by_code)
    assert console.get("/admin/calls?kod=ABCDEF").status_code == 404
    assert "Koden ska vara 6 tecken" in page_text(console.get("/admin/calls?kod=0OI1"))
    assert console.get(f"/admin/sok?code={code}").location.endswith(f"/admin/calls?kod={code}")
    # The number typed becomes its pseudonym in the address; it finds her two calls.
    console.get("/admin/calls")
    found = console.post("/admin/calls/nummer", nummer="070-174 06 99", fran="2026-11-19", till="2026-11-26")
    assert found.status_code == 303 and "0701740699" not in found.location and "vem=" in found.location
    assert "2 samtal" in page_text(console.get(found.location))
    # The timeline: steps as asked and answered, the outcome and its reason, the messages, all in Swedish.
    first = re.search(r'href="/admin/calls/(\d+)"', by_code.get_data(as_text=True))
    assert first is not None
    told = console.get(f"/admin/calls/{first.group(1)}")
    words = page_text(told)
    assert told.status_code == 200
    assert "System Viva omsorg" in words and "Kanal samtal" in words and f"Kod från kvittot {code}" in words
    assert re.search(r"22\.00\.00 1\. .+\? Svar: (ja|nej)\.", words), words
    assert "Utfall: väntar på IT-supporten (kontorstid)" in words
    assert "kvitto till den som ringde: bara loggad, inget Twilio-konto." in words
    assert ENGLISH.search(words) is None, ENGLISH.search(words)
    assert "numret är glömt" in words or "+46...699" in words
    assert console.get("/admin/calls/999999").status_code == 404
    # The CSV: one row per call, no number.
    exported = console.get("/admin/calls.csv?fran=2026-11-25&till=2026-11-26")
    assert exported.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:5] == ["start", "senast", "kanal", "system", "utfall"]
    assert [(row[3], row[5], row[6]) for row in rows[1:]] == [("Viva", "", ""),
                                                               ("Viva omsorg", "wait_for_office_hours", code)]
    assert "699" not in exported.get_data(as_text=True)
    looked = [e["data"] for e in admin_events(app.extensions["ivr.store"]) if e["kind"] == "session_looked_up"]
    assert {"code": code, "by_number": False, "found": 1} .items() <= looked[0].items()
    assert any(entry["by_number"] and entry["found"] == 2 for entry in looked)


def test_history_shows_who_did_what_and_filters(console: Console, app: Flask, clock: FrozenClock) -> None:
    clock.set("2026-11-25T10:00")
    console.sign_in()
    console.get("/admin/driftinfo")
    console.post("/admin/driftinfo", system="viva", text="Viva ligger nere.", action="post", until="")
    console.post("/admin/driftinfo/viva/ta-bort")
    manager = as_role(app, "manager", "Anna Andersson")
    history = page_text(console.get("/admin/historik"))
    assert "+46...698 Loggade in med sms-kod." in history
    assert "Lade ut driftinfo för Viva: ”Viva ligger nere.”" in history
    assert "Tog bort driftinfo för Viva." in history
    only = page_text(console.get("/admin/historik?slag=inloggning"))
    assert "Loggade in" in only and "driftinfo" not in only.split("händelser", 1)[1]
    assert "0 händelser" in page_text(console.get("/admin/historik?fran=2026-11-20&till=2026-11-24"))
    assert manager.get("/admin/historik").status_code == 200


def test_incident_actions_by_role_text_the_waiting_callers_and_are_audited(
        console: Console, app: Flask, clock: FrozenClock, twilio: Twilio) -> None:
    from tests.test_incidents import call as staff_call
    from tests.test_incidents import manager_took_a_viva_call

    incident = manager_took_a_viva_call(app, twilio, clock)  # 22:00, one caller
    store: Store = app.extensions["ivr.store"]
    manager = as_role(app, "manager", "Anna Andersson", "192.0.2.42")
    page = manager.get("/admin/incidenter").get_data(as_text=True)
    assert '<option value="anna" selected>Anna Andersson</option>' in page
    connect = manager.post(f"/admin/incidenter/{incident}/it", person="anna")
    # One caller, no workplace known: asked once more (the incident issue's rule), nothing queued yet.
    assert connect.status_code == 200 and "Viva: bara 1 samtal om felet." in page_text(connect)
    assert [row for row in store.outbox.rows() if row["kind"] == "it_call"] == []
    confirmed = manager.post(f"/admin/incidenter/{incident}/it", person="anna")
    assert confirmed.status_code == 303
    assert "Linjen ringer Anna Andersson nu." in page_text(manager.get("/admin/incidenter"))
    [it_call] = [row for row in store.outbox.rows() if row["kind"] == "it_call"]
    assert it_call["channel"] == "call"
    assert [m["to"] for m in app.extensions["ivr.notifier"].sent if m["kind"] == "call"][-1:] == ["+46701740610"]
    clock.set("2026-11-25T22:10")
    staff_call(twilio, "CA" + "2" * 32, "+46701740602", "1", "2")  # told; an SMS when it is fixed
    reader = as_role(app, "read_only", "Ulf Berg", "192.0.2.41")
    page = reader.get("/admin/incidenter").get_data(as_text=True)
    assert "Viva: kvitterad" in page_text(reader.get("/admin/incidenter"))
    assert "Markera Viva som löst" not in page and "Koppla IT-beredskapen" not in page
    assert reader.post(f"/admin/incidenter/{incident}/klar").status_code == 403
    console.sign_in()
    page = console.get("/admin/incidenter").get_data(as_text=True)
    assert "Markera Viva som löst" in page and "Koppla IT-beredskapen</button>" not in page  # the manager's alone
    assert console.post(f"/admin/incidenter/{incident}/it", person="anna").status_code == 403
    done = console.post(f"/admin/incidenter/{incident}/klar")
    assert done.status_code == 303
    assert "Incidenten om Viva är löst. 1 som väntade får ett sms nu." in page_text(console.get("/admin/incidenter"))
    assert [row["kind"] for row in store.outbox.rows()].count("incident_fixed") == 1
    fixed = [m for m in app.extensions["ivr.notifier"].sent if m["to"] == "+46701740602"]
    assert fixed and "Viva" in fixed[-1]["body"]
    events = {e["kind"]: e["data"] for e in store.events()
              if e["kind"] in ("incident_resolved", "incident_it_requested")}
    assert events["incident_resolved"]["by"] == "+46...698" and events["incident_resolved"]["via"] == "console"
    assert events["incident_it_requested"]["by"] == "Anna Andersson"
    assert events["incident_it_requested"]["role"] == "manager"
    again = console.post(f"/admin/incidenter/{incident}/klar")
    assert "redan löst" in page_text(console.get(again.location))
    history = page_text(console.get("/admin/historik?slag=incidenter"))
    assert "Markerade incidenten om Viva som löst i konsolen; 1 som väntade fick sms." in history
    assert "Anna Andersson Bad linjen koppla IT-beredskapen om Viva i konsolen." in history


def test_acknowledge_from_the_console_names_the_person(console: Console, app: Flask, clock: FrozenClock,
                                                      twilio: Twilio) -> None:
    clock.set("2026-11-25T22:00")
    app.extensions["ivr.store"].announce("viva", "Viva ligger nere.", None, clock(), by="cli")
    for sid in ("6", "7", "8"):  # three callers finish Viva unresolved: an open incident (as test_admin's Nu test)
        caller = f"+4670{sid * 7}"
        twilio.post("/voice", CallSid="CA" + sid * 32, From=caller, To="+46141225000")
        for key in ("1", "1", "2", "1", "1"):
            twilio.post("/voice/input", CallSid="CA" + sid * 32, From=caller, To="+46141225000", Digits=key)
    console.sign_in()
    page = console.get("/admin/incidenter").get_data(as_text=True)
    found = re.search(r'action="/admin/incidenter/(\d+)/kvittera"', page)
    assert found is not None and "Viva: öppen" in page_text(console.get("/admin/incidenter"))
    console.post(f"/admin/incidenter/{found.group(1)}/kvittera")
    now = page_text(console.get("/admin/"))
    assert "kvitterad 22.00 av +46...698" in now
    assert ADMIN not in console.get("/admin/incidenter").get_data(as_text=True)
