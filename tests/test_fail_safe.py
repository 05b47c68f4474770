"""The fault policy: no fault puts a caller through to Chef i beredskap without the checklist.

With the database down a call still runs its checklist to the outcome the rules
give, screened; the fallback URL continues the call; an unexpected error after
hours offers the call to the manager only screened; the admins hear of it.
"""

from __future__ import annotations

import dataclasses
import os
import re
import socket
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import sqlalchemy
from flask import Flask

from flows.phone import spoken_number
from ivr import create_app
from ivr.channels.voice.carried_state import PARAM
from ivr.notify import LogNotifier
from ivr.simulator.voice import Phone
from tests.conftest import CALLER, LINE_NUMBER, PUBLIC_URL, FrozenClock, Twilio, app_config
from tests.conftest_db import PG_SKIP_REASON, pg_url
from tests.twiml_helpers import spoken, verbs

CALL_SID = "CA" + "1" * 32
ON_CALL = ("+46701740610", "+46701740611")  # the chain at 22:00 on 25 November 2026
ADMIN = "+46701740698"


def action(body: bytes, verb: str = "Gather") -> str:
    """The action URL of the response's first verb of that kind."""
    node = ET.fromstring(body).find(verb)
    assert node is not None, body
    return str(node.get("action"))


def unscreened_on_call_dials(body: bytes) -> list[str]:
    """Every <Dial> target in the TwiML that is an on-call number without a whisper URL."""
    found = []
    for dial in ET.fromstring(body).iter("Dial"):
        if (dial.text or "").strip() in ON_CALL:
            found.append((dial.text or "").strip())
        for number in dial.iter("Number"):
            if (number.text or "").strip() in ON_CALL and not number.get("url"):
                found.append((number.text or "").strip())
    return found


def unreachable() -> str:
    """A PostgreSQL URL at a local port where nothing listens: connections are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/test?connect_timeout=2"


def unopenable(tmp_path: Path) -> str:
    """A SQLite database URL whose file is a folder: every connection fails at once."""
    folder = tmp_path / "not-a-database"
    folder.mkdir(exist_ok=True)
    return f"sqlite:///{folder}"


@pytest.fixture(params=["sqlite", "postgresql"])
def offline_app(request: pytest.FixtureRequest, clock: FrozenClock, tmp_path: Path) -> Iterator[Flask]:
    """The line with a database that cannot be opened (SQLite) or reached (PostgreSQL)."""
    url = unopenable(tmp_path) if request.param == "sqlite" else unreachable()
    app = create_app(app_config(url, clock, DB_AUTO_UPGRADE=False, ALERT_STAMP=str(tmp_path / "alert")))
    yield app
    app.extensions["ivr.store"].dispose()


def follow(twilio: Twilio, body: bytes, **params: str) -> bytes:
    """Press on as Twilio does: POST to the action URL the last answer gave (with its carried state)."""
    return twilio.call(action(body), **params).data


# -- database down: the checklist still runs, screened ------------------------------------------


def test_database_down_a_whole_call_reaches_on_call_only_after_every_step_and_screened(
    offline_app: Flask, clock: FrozenClock
) -> None:
    clock.set("2026-11-25T22:00")
    phone = Phone(offline_app)
    result = phone.call("1 2 1 1", manager_keys="1")  # Viva: every step, then the manager accepts
    heard = " ".join(entry["text"] for entry in result.transcript)
    assert "Steg 3 av 3" in heard and "Alla steg är gjorda" in heard
    assert result.dialed == ["+46701740610"]
    assert "Viva fungerar inte för flera." in heard  # the whisper's facts rode in its URL
    assert "KOPPLAD/CONNECTED" in heard
    assert [(sms["to"], sms["from"]) for sms in result.sms] == [(ADMIN, LINE_NUMBER), (CALLER, LINE_NUMBER)]
    assert "databasen svarar inte" in result.sms[0]["body"]  # the admins hear of it, once
    assert result.sms[1]["body"].endswith("Svaren sparades inte.")  # the receipt says its code finds nothing


def test_database_down_a_one_user_viva_omsorg_call_still_waits_for_office_hours(
    offline_app: Flask, clock: FrozenClock
) -> None:
    clock.set("2026-11-25T22:00")
    result = Phone(offline_app).call("2 2 1 2 2")
    heard = " ".join(entry["text"] for entry in result.transcript)
    assert result.dialed == []
    assert "IT-supporten" in heard and "i morgon klockan åtta" in heard


def test_database_down_vet_inte_rides_in_the_carried_state(offline_app: Flask, clock: FrozenClock) -> None:
    clock.set("2026-11-25T22:00")
    # Viva: "vet inte" (3) to several users still reaches on-call; the whisper names it unknown.
    result = Phone(offline_app).call("1 2 3 1", manager_keys="1")
    heard = " ".join(entry["text"] for entry in result.transcript)
    assert result.dialed == ["+46701740610"]
    assert "Viva fungerar inte, okänt för hur många." in heard
    # Viva omsorg: "vet inte" to several users waits for office hours, with the reason, no dial.
    result = Phone(offline_app).call("2 3 1 2 2")
    heard = " ".join(entry["text"] for entry in result.transcript)
    assert result.dialed == []
    assert "Jag ringer inte chef i beredskap nu. Fråga en kollega om hen har samma fel." in heard


def test_database_down_nobody_accepts_then_the_next_number_is_tried_and_the_manager_texted(
    offline_app: Flask, clock: FrozenClock
) -> None:
    clock.set("2026-11-25T22:00")
    result = Phone(offline_app).call("1 2 1 1", manager_keys="- -")
    heard = " ".join(entry["text"] for entry in result.transcript)
    assert result.dialed == list(ON_CALL)
    assert heard.count("Jag försöker nå nästa nummer") == 1
    manager_sms = [sms for sms in result.sms if sms["to"] == ON_CALL[0]]
    assert len(manager_sms) == 1 and manager_sms[0]["body"].endswith("Ring 070-174 06 99")


def test_database_down_every_answer_is_valid_twiml_with_its_state_carried(
    offline_app: Flask, clock: FrozenClock
) -> None:
    twilio = Twilio(offline_app.test_client())
    body = twilio.call("/voice").data
    assert f"?{PARAM}=" in action(body)
    body = follow(twilio, body, Digits="4")  # NPÖ
    assert "Steg 1 av 5" in spoken(body)
    body = follow(twilio, body, Digits="1")
    assert "Steg 2 av 5" in spoken(body)
    # Pressing the same key on the same (older) URL again gives the same step, not a step further.
    assert "Steg 2 av 5" in spoken(twilio.call(action(body).replace("input", "input"), Digits="*").data)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    pg_url() is None, reason=PG_SKIP_REASON))])
def droppable(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Callable[[], None]]]:
    """A private database URL, and a function that destroys that database."""
    if request.param == "sqlite":
        database = tmp_path / "line.sqlite3"

        def remove_file() -> None:
            for path in tmp_path.glob("line.sqlite3*"):
                path.unlink()
            database.mkdir()  # SQLite can no longer open it: every read and write fails

        yield f"sqlite:///{database}", remove_file
        return
    server = sqlalchemy.engine.make_url(str(pg_url()))
    name = f"ivr_dropped_{os.getpid()}"  # a private database: never the shared one
    admin = sqlalchemy.create_engine(server, isolation_level="AUTOCOMMIT")

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    drop()
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield server.set(database=name).render_as_string(hide_password=False), drop
    finally:
        drop()
        admin.dispose()


def test_database_dropped_mid_call_ends_at_the_checklists_outcome_with_screening(
    clock: FrozenClock, tmp_path: Path, droppable: tuple[str, Callable[[], None]]
) -> None:
    """The database disappears between two key presses: the call goes on from its URLs."""
    url, destroy = droppable
    app = create_app(app_config(url, clock, ALERT_STAMP=str(tmp_path / "alert")))
    clock.set("2026-11-25T22:00")
    twilio = Twilio(app.test_client())
    body = twilio.call("/voice").data
    body = follow(twilio, body, Digits="1")  # Viva
    body = follow(twilio, body, Digits="2")  # can the others work? no: several users
    store = app.extensions["ivr.store"]
    store.dispose()
    destroy()
    body = follow(twilio, body, Digits="1")
    assert "Steg 3 av 3" in spoken(body)
    body = follow(twilio, body, Digits="1")
    assert "Jag kopplar dig nu till chef i beredskap" in spoken(body)
    assert not unscreened_on_call_dials(body)
    whisper = ET.fromstring(body).find("Dial/Number")
    assert whisper is not None and whisper.text == ON_CALL[0]
    leg = twilio.post(str(whisper.get("url")), CallSid="CA" + "9" * 32, ParentCallSid=CALL_SID,
                      From=CALLER, To=ON_CALL[0]).data
    assert "fungerar inte för flera. Nätet fungerar." in spoken(leg)
    assert "0 7 0" not in spoken(leg)  # no number: the call shows it
    # The manager pressed 1 (the store cannot say so): Twilio's DialBridged does.
    done = twilio.call(action(body, "Dial"), DialCallStatus="completed", DialBridged="true").data
    assert verbs(done) == ["Hangup"]
    store.dispose()


@pytest.mark.parametrize("dial_status", ["completed", "answered"])
def test_an_accepted_manager_is_connected_whatever_the_dial_status(
    twilio: Twilio, clock: FrozenClock, app: Flask, dial_status: str
) -> None:
    clock.set("2026-11-25T22:00")
    body = twilio.call("/voice").data
    for key in ("1", "2", "1", "1"):
        body = follow(twilio, body, Digits=key)
    accept = twilio.post(f"/voice/whisper/accept?call={CALL_SID}&attempt=0", CallSid="CA" + "9" * 32, Digits="1")
    assert verbs(accept.data) == []
    done = twilio.call(action(body, "Dial"), DialCallStatus=dial_status).data
    assert verbs(done) == ["Hangup"]
    # No "nobody answered" SMS: only the caller's receipt.
    assert [sms["to"] for sms in app.extensions["ivr.notifier"].sent] == [CALLER]


def test_a_state_token_of_another_call_is_ignored(offline_app: Flask, clock: FrozenClock) -> None:
    twilio = Twilio(offline_app.test_client())
    body = twilio.call("/voice").data
    body = follow(twilio, body, Digits="4")
    stolen = action(body)
    # The same URL in another call: its state is not that call's, so it starts at the menu.
    other = twilio.call(stolen, sid="CA" + "2" * 32, Digits="1").data
    # key 1 chose Viva at a new menu (NPÖ is heard as "en-pe-ö")
    assert "Viva. " in spoken(other) and "en-pe-ö" not in spoken(other)


def test_a_changed_state_token_is_ignored(offline_app: Flask, clock: FrozenClock) -> None:
    twilio = Twilio(offline_app.test_client())
    body = follow(twilio, twilio.call("/voice").data, Digits="4")
    url = action(body)
    token = dict(parse_qsl(urlsplit(url).query))[PARAM]
    forged = url.replace(token, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    assert "en-pe-ö" not in spoken(twilio.call(forged, Digits="1").data)


def test_no_phone_number_rides_in_any_url(twilio: Twilio, clock: FrozenClock) -> None:
    clock.set("2026-11-25T22:00")
    body = twilio.call("/voice").data
    for key in ("1", "2", "1", "1"):
        body = follow(twilio, body, Digits=key)
    urls = [node.get("action") or node.get("url") or "" for node in ET.fromstring(body).iter()]
    assert any(PARAM + "=" in url for url in urls)
    for url in urls:
        for number in (CALLER, LINE_NUMBER, *ON_CALL):
            assert number not in url and number.lstrip("+") not in url


# -- the fallback URL continues the call -------------------------------------------------------


def test_fallback_continues_the_call_from_the_error_url(twilio: Twilio, clock: FrozenClock) -> None:
    body = twilio.call("/voice").data
    body = follow(twilio, body, Digits="4")  # NPÖ
    failed = PUBLIC_URL + action(body)
    answer = twilio.call("/voice/fallback", Digits="1", ErrorUrl=failed, ErrorCode="11200").data
    assert "Steg 2 av 5" in spoken(answer)
    assert not unscreened_on_call_dials(answer)


def test_fallback_of_a_finished_after_hours_checklist_dials_on_call_screened(
    twilio: Twilio, clock: FrozenClock
) -> None:
    clock.set("2026-11-25T22:00")
    body = twilio.call("/voice").data
    for key in ("1", "2", "1"):
        body = follow(twilio, body, Digits=key)
    answer = twilio.call("/voice/fallback", Digits="1", ErrorUrl=PUBLIC_URL + action(body), ErrorCode="11200").data
    assert "Jag kopplar dig nu till chef i beredskap" in spoken(answer)
    number = ET.fromstring(answer).find("Dial/Number")
    assert number is not None and str(number.get("url")).startswith("/voice/whisper?")


# -- the fault answer: screened, the manager decides --------------------------------------------


def explode(*args: object, **kwargs: object) -> None:
    raise RuntimeError("boom")


@pytest.fixture
def broken_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every turn after the first fails with an unexpected exception."""
    import flows.engine

    monkeypatch.setattr(flows.engine, "current", explode)


@pytest.fixture
def fault_app(database_url: str, clock: FrozenClock, tmp_path: Path) -> Iterator[Callable[[], Flask]]:
    """Makes the test's app; its store is disposed at teardown, whatever the test did (a store left to the
    garbage collector leaves its PostgreSQL connections open: psycopg warns, and the warning fails a later test)."""
    made: list[Flask] = []

    def make() -> Flask:
        made.append(create_app(app_config(database_url, clock, NOTIFIER=LogNotifier(),
                                          ALERT_STAMP=str(tmp_path / "alert"))))
        return made[-1]

    yield make
    for app in made:
        app.extensions["ivr.store"].dispose()


@pytest.mark.usefixtures("broken_engine")
def test_the_last_resort_answer_names_it_supports_number_from_line_yaml(
    database_url: str, clock: FrozenClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    fault_app: Callable[[], Flask],
) -> None:
    import ivr.channels.voice.fallback

    app = fault_app()
    line = app.extensions["ivr.line"]
    elsewhere = "+46317001234"  # not the shipped 0141-22 50 47: the answer must read line.yaml's
    app.extensions["ivr.line"] = dataclasses.replace(line, settings=dataclasses.replace(
        line.settings, it_support=dataclasses.replace(line.settings.it_support, number=elsewhere)))
    monkeypatch.setattr(ivr.channels.voice.fallback, "fault_twiml", explode)  # the fault answer fails too
    twilio = Twilio(app.test_client())
    twilio.call("/voice")
    body = twilio.call("/voice/input", Digits="1").data
    assert verbs(body) == ["Say", "Hangup"]
    assert spoken(body) == f"Tekniskt fel. Ring IT-supporten på {spoken_number(elsewhere)}."
    assert "0 1 4 1" not in spoken(body)


@pytest.mark.usefixtures("broken_engine")
def test_unexpected_error_after_hours_offers_the_manager_the_call_only_screened(
    database_url: str, clock: FrozenClock, tmp_path: Path, fault_app: Callable[[], Flask]
) -> None:
    app = fault_app()
    twilio = Twilio(app.test_client())
    clock.set("2026-11-25T22:00")
    twilio.call("/voice")
    body = twilio.call("/voice/input", Digits="1").data
    assert "tekniskt fel" in spoken(body) and "inte blev klar" in spoken(body)
    assert not unscreened_on_call_dials(body)
    number = ET.fromstring(body).find("Dial/Number")
    assert number is not None and number.text == ON_CALL[0]
    leg = twilio.post(str(number.get("url")), CallSid="CA" + "9" * 32, ParentCallSid=CALL_SID,
                      From=CALLER, To=ON_CALL[0]).data
    assert "tekniskt fel" in spoken(leg) and "Felsökningen blev inte klar" in spoken(leg)
    assert "0 7 0, 1 7 4, 0 6, 9 9" in spoken(leg) and verbs(leg) == ["Gather", "Hangup"]
    accept = action(leg)
    assert verbs(twilio.post(accept, CallSid="CA" + "9" * 32, Digits="1").data) == []
    assert verbs(twilio.post(accept, CallSid="CA" + "9" * 32, Digits="2").data) == ["Say", "Hangup"]
    # Not bridged (no 1, or a voicemail): the next number, said out loud, screened again.
    nxt = twilio.call(action(body, "Dial"), DialCallStatus="completed", DialBridged="false").data
    assert "Jag försöker nå nästa nummer" in spoken(nxt)
    assert not unscreened_on_call_dials(nxt)
    bridged = twilio.call(action(body, "Dial"), DialCallStatus="completed", DialBridged="true").data
    assert verbs(bridged) == ["Hangup"]
    sent = app.extensions["ivr.notifier"].sent
    assert [m["to"] for m in sent] == [ADMIN] and "oväntat fel" in sent[0]["body"]


@pytest.mark.usefixtures("broken_engine")
def test_unexpected_error_in_office_hours_connects_to_it_support(
    database_url: str, clock: FrozenClock, tmp_path: Path, fault_app: Callable[[], Flask]
) -> None:
    app = fault_app()
    twilio = Twilio(app.test_client())
    twilio.call("/voice")
    body = twilio.call("/voice/input", Digits="1").data
    assert ET.fromstring(body).find("Dial").text == "+46141225047"  # type: ignore[union-attr]


def test_every_fault_path_dials_on_call_only_screened(
    database_url: str, clock: FrozenClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    fault_app: Callable[[], Flask],
) -> None:
    """The TwiML of every fallback and error path, after hours and in office hours: no unscreened on-call dial."""
    app = fault_app()
    offline = create_app(app_config(unopenable(tmp_path), clock, DB_AUTO_UPGRADE=False,
                                    ALERT_STAMP=str(tmp_path / "a2")))
    bodies: list[bytes] = []
    for moment in ("2026-11-25T22:00", "2026-11-25T10:00", "2026-12-24T14:00"):
        clock.set(moment)
        for target in (app, offline):
            twilio = Twilio(target.test_client())
            bodies.append(twilio.call("/voice/fallback").data)
            bodies.append(twilio.call("/voice/fallback", ErrorUrl=PUBLIC_URL + "/voice/callback?sms=x").data)
            for attempt in range(4):
                for to in ("on_call", "it_support"):
                    bodies.append(twilio.call(f"/voice/fallback/dial?to={to}&attempt={attempt}",
                                              DialCallStatus="no-answer", DialBridged="false").data)
            sid = f"CA{len(bodies):032d}"  # a new call each round
            body = twilio.call("/voice", sid=sid).data
            for key in ("1", "2", "1", "1"):
                body = twilio.call(action(body), sid=sid, Digits=key).data
                bodies.append(body)
            if ET.fromstring(body).find("Dial") is not None:
                bodies.append(twilio.call(action(body, "Dial"), sid=sid, DialCallStatus="busy").data)
        import flows.engine

        with monkeypatch.context() as patch:
            patch.setattr(flows.engine, "current", explode)
            for target in (app, offline):
                bodies.append(Twilio(target.test_client()).call("/voice/input", Digits="1").data)
    dials = [body for body in bodies if b"<Dial" in body]
    assert len(dials) > 10
    for body in bodies:
        assert not unscreened_on_call_dials(body), body
    offline.extensions["ivr.store"].dispose()


def test_the_code_has_no_other_dial_to_an_on_call_number() -> None:
    """Every on-call dial goes through VoiceRenderer.screened_dial; the plain dial takes only other numbers."""
    root = Path(__file__).resolve().parents[1] / "ivr"
    lines = [(path.name, line.strip()) for path in sorted(root.rglob("*.py"))
             for line in path.read_text(encoding="utf-8").splitlines()]
    builders = [line for _, line in lines if "response.dial(" in line]
    assert len(builders) == 2  # VoiceRenderer.dial (plain) and VoiceRenderer.screened_dial
    plain = [(name, line) for name, line in lines if re.search(r"\.dial\(response,", line)]
    assert plain and all("it_support" in line or "contact.number" in line for _, line in plain), plain


# -- what the caller hears at the end of a fault path --------------------------------------------


def test_three_silences_after_hours_do_not_send_the_caller_to_the_manager(twilio: Twilio, clock: FrozenClock) -> None:
    clock.set("2026-11-25T22:00")
    body = twilio.call("/voice").data
    for _ in range(3):
        body = follow(twilio, body)
    assert verbs(body)[-1] == "Hangup"
    assert "beredskap" not in spoken(body).lower()


def test_fallback_dial_says_it_tries_the_next_number(twilio: Twilio, clock: FrozenClock) -> None:
    clock.set("2026-11-25T22:00")
    body = twilio.call("/voice/fallback/dial?to=on_call&attempt=0", DialCallStatus="busy").data
    assert "Jag försöker nå nästa nummer" in spoken(body)
    assert ET.fromstring(body).find("Dial/Number").text == ON_CALL[1]  # type: ignore[union-attr]
    last = twilio.call("/voice/fallback/dial?to=on_call&attempt=3", DialCallStatus="busy").data
    assert verbs(last) == ["Say", "Hangup"] and "kunde inte nås" in spoken(last)


# -- the admins hear of it, at most once per 15 minutes ------------------------------------------


def test_admins_get_one_sms_per_fifteen_minutes(offline_app: Flask, clock: FrozenClock) -> None:
    twilio = Twilio(offline_app.test_client())
    sent = offline_app.extensions["ivr.notifier"].sent
    clock.set("2026-11-25T22:00")
    twilio.call("/voice/fallback")
    twilio.call("/voice")
    clock.set("2026-11-25T22:14")
    twilio.call("/voice/fallback")
    assert [m["to"] for m in sent] == [ADMIN]
    assert "reservadressen" in sent[0]["body"] and "22.00" in sent[0]["body"]
    clock.set("2026-11-25T22:16")
    twilio.call("/voice")
    assert [m["to"] for m in sent] == [ADMIN, ADMIN] and "databasen" in sent[1]["body"]


# -- SMS without its database ------------------------------------------------------------------


def test_a_text_with_the_database_down_after_hours_names_it_support_and_its_opening(
    offline_app: Flask, clock: FrozenClock
) -> None:
    clock.set("2026-11-25T22:00")
    twilio = Twilio(offline_app.test_client())
    response = twilio.post("/sms", From=CALLER, To=LINE_NUMBER, Body="viva", MessageSid="SM" + "1" * 32)
    texts = [node.text or "" for node in ET.fromstring(response.data).iter("Message")]
    assert texts == ["Det blev ett tekniskt fel. IT-supporten öppnar i morgon klockan 08.00, "
                     "ring 0141-22 50 47. Eller skapa ett ärende: https://itportal.example.se"]
    assert "kopplas" not in texts[0] and "Ring linjen" not in texts[0]


# -- privacy: what a turn stores ---------------------------------------------------------------


def test_the_text_that_chose_a_system_is_not_stored(app: Flask, twilio: Twilio) -> None:
    twilio.post("/sms", From=CALLER, To=LINE_NUMBER, Body="viva 0701740524", MessageSid="SM" + "1" * 32)
    events = app.extensions["ivr.store"].events()
    chosen = [event for event in events if event["kind"] == "system_chosen"]
    assert chosen and chosen[0]["system"] == "viva" and chosen[0]["data"] == {"key": 1, "incident": False}
    assert "0701740524" not in repr(events)


def test_a_webhook_after_the_call_ended_does_not_store_the_number_again(
    app: Flask, twilio: Twilio, clock: FrozenClock
) -> None:
    clock.set("2026-11-25T22:00")
    body = twilio.call("/voice").data
    for key in ("1", "2", "1", "1"):
        body = follow(twilio, body, Digits=key)
    store = app.extensions["ivr.store"]
    twilio.call("/voice/status", CallStatus="completed", CallDuration="60")
    assert store.get(f"voice:{CALL_SID}").caller is None
    # The Dial's action arrives after the status callback (Twilio promises no order).
    twilio.call(action(body, "Dial"), DialCallStatus="no-answer")
    twilio.call("/voice/input", Digits="1")
    with store.session(f"voice:{CALL_SID}", "voice", clock()) as record:
        assert record.caller is None
