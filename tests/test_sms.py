"""The SMS line: cost of every text, call-back, concurrency, retries, expiry."""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from twilio.http.response import Response

from flows.line import load_line
from flows.names import normalise
from ivr import create_app
from ivr.channels.sms.check import room
from ivr.channels.sms.cost import SEGMENT_SEPTETS, fits_one_segment, gsm7_septets, non_gsm7_characters
from ivr.channels.sms.render import every_text
from ivr.conversation.system_names import find_system
from ivr.notify import TwilioNotifier
from tests.conftest import CALLER, LINE_NUMBER, FrozenClock, Twilio, app_config, sms_session
from tests.fake_twilio_http import FakeTwilioHttp

LINE = load_line()
MANAGER_NUMBERS = ("+46701740610", "+46701740611", "070-174 06 10", "070-174 06 11", "0701740610")


class Texter:
    """One member of staff texting the line."""

    def __init__(self, twilio: Twilio, sender: str = CALLER) -> None:
        self.twilio = twilio
        self.sender = sender
        self.count = 0

    def send(self, body: str, sid: str | None = None) -> list[str]:
        """Text the line; the replies."""
        self.count += 1
        response = self.twilio.post("/sms", From=self.sender, To=LINE_NUMBER, Body=body,
                                    MessageSid=sid or f"SM{self.sender[-6:]}{self.count:026d}")
        assert response.status_code == 200
        return [node.text or "" for node in ET.fromstring(response.data).iter("Message")]


@pytest.mark.parametrize("moment", ["2026-11-25T10:00", "2026-12-23T22:00"])
def test_every_text_is_gsm7_and_one_segment(moment: str) -> None:
    """Every SMS is GSM-7 and one segment; the receipt (what happened, what next, the code) may take two."""
    at = datetime.fromisoformat(moment).replace(tzinfo=ZoneInfo("Europe/Stockholm"))
    texts = list(every_text(LINE, at))
    assert len(texts) > 250  # every step of nine checklists, every outcome, both languages
    problems = [
        (where, gsm7_septets(text), non_gsm7_characters(text)) for where, text in texts
        if (gsm7_septets(text) or 999) > room(where)
    ]
    assert problems == []
    assert any(room(where) > SEGMENT_SEPTETS and not fits_one_segment(text) for where, text in texts)  # not vacuous


@pytest.mark.parametrize(
    ("text", "fits"),
    [("Stäm av med kollegorna. Fungerar det?", True), ("Det är ’bra’", False), ("a – b", False),
     ("x" * 160, True), ("x" * 161, False), ("{" * 80, True), ("{" * 81, False)],
)
def test_cost_check_catches_typography_and_length(text: str, fits: bool) -> None:
    assert fits_one_segment(text) is fits


@pytest.mark.parametrize(
    ("text", "system"),
    [("1", "viva"), ("viva", "viva"), ("Viva omsorg", "viva_omsorg"), ("VIVAOMSORG", "viva_omsorg"),
     ("npo", "npo"), ("NPÖ", "npo"), ("alfa", "alfa_ecare"), ("Alfa e-Care", "alfa_ecare"),
     ("time care ma", "time_care"), ("trygghetslarm.", "trygghetslarm"), ("cosmic", "cosmic_link"),
     ("hej", None), ("v", None), ("10", None)],
)
def test_system_names(text: str, system: str | None) -> None:
    found = find_system(LINE.library.checklists, text)
    assert (found.id if found else None) == system


def test_normalise_is_case_space_and_diacritic_tolerant() -> None:
    assert normalise("  Viva Omsorg. ") == "vivaomsorg" == normalise("VIVAOMSORG")
    assert normalise("HJÄLP") == "hjalp"


def after_hours_viva_on_call(texter: Texter, clock: FrozenClock) -> list[str]:
    clock.set("2026-11-25T22:00")
    texter.send("hej")
    texter.send("viva")
    texter.send("nej")
    texter.send("ja")
    return texter.send("ja")


def test_ring_places_exactly_one_call_through_twilios_rest_api(database_url: str, clock: FrozenClock) -> None:
    http = FakeTwilioHttp()
    notifier = TwilioNotifier("AC" + "0" * 32, "test-token-not-a-secret", http_client=http)
    app = create_app(app_config(database_url, clock, NOTIFIER=notifier))
    texter = Texter(Twilio(app.test_client()))
    replies = after_hours_viva_on_call(texter, clock)
    assert replies == ["Alla steg är gjorda. Svara RING så ringer vi upp dig och kopplar dig till chef i beredskap."]
    assert http.requests == []
    assert texter.send("RING") == ["Vi ringer upp dig nu och kopplar dig till chef i beredskap. Svara när det ringer."]
    assert texter.send("ring") == ["Vi har redan ringt upp dig. Skriv MENY för att börja om."]
    assert http.paths() == [f"/2010-04-01/Accounts/AC{'0' * 32}/Calls.json"]
    call = http.requests[0]["data"]
    assert call["To"] == CALLER and call["From"] == LINE_NUMBER
    key = sms_session(app, CALLER).removeprefix("sms:")  # a pseudonym: no phone number in the URL
    assert call["Url"] == f"https://ivr.test.invalid/voice/callback?sms={key}"
    # The call-back's TwiML screens and bridges to the manager like the voice line.
    body = Twilio(app.test_client()).post(f"/voice/callback?sms={key}", CallSid="CA" + "7" * 32,
                                          From=LINE_NUMBER, To=CALLER, Direction="outbound-api").data
    number = ET.fromstring(body).find("Dial/Number")
    assert number is not None and number.text == "+46701740610" and number.get("url", "").startswith("/voice/whisper")
    app.extensions["ivr.store"].dispose()


def test_callback_without_an_on_call_decision_does_not_dial(twilio: Twilio) -> None:
    body = twilio.post("/voice/callback?sms=%2B46700000000", CallSid="CA" + "8" * 32,
                       From=LINE_NUMBER, To="+46700000000").data
    root = ET.fromstring(body)
    assert root.find("Dial") is None and root.find("Hangup") is not None


class RefusesCalls(FakeTwilioHttp):
    """Twilio refusing every call (a blocked number, a wrong account setting), taking every SMS."""

    refuse = True  # False: Twilio takes calls again

    def request(self, method: str, uri: str, params: Any = None, data: Any = None, headers: Any = None,
                auth: Any = None, timeout: Any = None, allow_redirects: bool = False) -> Response:
        self.status = 400 if self.refuse and uri.endswith("/Calls.json") else 201
        return super().request(method, uri, params, data, headers, auth, timeout, allow_redirects)


def test_a_refused_call_back_is_told_honestly(database_url: str, clock: FrozenClock) -> None:
    """RING goes through the outbox: placed right after the commit; refused, the carer is texted at once."""
    http = RefusesCalls()
    notifier = TwilioNotifier("AC" + "0" * 32, "test-token-not-a-secret", http_client=http)
    app = create_app(app_config(database_url, clock, NOTIFIER=notifier))
    texter = Texter(Twilio(app.test_client()))
    after_hours_viva_on_call(texter, clock)
    assert texter.send("RING") == ["Vi ringer upp dig nu och kopplar dig till chef i beredskap. Svara när det ringer."]
    calls = [r for r in http.requests if r["path"].endswith("/Calls.json")]
    texts = [r["data"] for r in http.requests if r["path"].endswith("/Messages.json")]
    assert len(calls) == 1 and calls[0]["data"]["To"] == CALLER
    assert [text["Body"] for text in texts if text["To"] == CALLER] == [
        "Vi kunde inte ringa upp dig just nu. Ring Felsökningslinjen så kopplas du till chef i beredskap."
    ]
    kinds = [event["kind"] for event in app.extensions["ivr.store"].events(sms_session(app, CALLER))]
    assert "callback_failed" in kinds and "callback_failed_texted" in kinds and "callback_requested" not in kinds
    app.extensions["ivr.store"].dispose()


def test_a_ring_after_a_call_back_that_was_given_up_places_a_new_one(database_url: str, clock: FrozenClock) -> None:
    """Not "Vi har redan ringt upp dig" when that call never went out: the outbox row's state decides."""
    http = RefusesCalls()
    notifier = TwilioNotifier("AC" + "0" * 32, "test-token-not-a-secret", http_client=http)
    app = create_app(app_config(database_url, clock, NOTIFIER=notifier))
    texter = Texter(Twilio(app.test_client()))
    after_hours_viva_on_call(texter, clock)
    calling = ["Vi ringer upp dig nu och kopplar dig till chef i beredskap. Svara när det ringer."]
    assert texter.send("RING") == calling  # refused by Twilio: given up, the carer texted
    assert texter.send("RING") == calling  # a new call-back, refused again: texted again
    calls = [r for r in http.requests if r["path"].endswith("/Calls.json")]
    failed = [r for r in http.requests if r["path"].endswith("/Messages.json") and r["data"]["To"] == CALLER]
    assert (len(calls), len(failed)) == (2, 2)
    http.refuse, http.requests = False, []  # Twilio takes calls again
    assert texter.send("RING") == calling
    assert texter.send("RING") == ["Vi har redan ringt upp dig. Skriv MENY för att börja om."]  # this one went out
    assert [r["data"]["To"] for r in http.requests if r["path"].endswith("/Calls.json")] == [CALLER]
    states = [row["state"] for row in app.extensions["ivr.store"].outbox.rows()
              if row["kind"] == "callback"]
    assert sorted(states) == ["dead", "dead", "queued"]
    app.extensions["ivr.store"].dispose()


def test_a_repeated_ring_places_one_call(app: Flask, twilio: Twilio, clock: FrozenClock) -> None:
    texter = Texter(twilio)
    after_hours_viva_on_call(texter, clock)
    texter.send("RING")
    texter.send("RING")
    texter.send("ja")
    placed = [sent for sent in app.extensions["ivr.notifier"].sent if sent.get("url")]
    assert len(placed) == 1


def test_the_managers_number_is_never_texted_in_callback_mode(app: Flask, twilio: Twilio, clock: FrozenClock) -> None:
    texter = Texter(twilio)
    sent = after_hours_viva_on_call(texter, clock) + texter.send("RING") + texter.send("HJÄLP")
    assert not [text for text in sent for number in MANAGER_NUMBERS if number in text]


def test_text_number_mode_gives_the_number(database_url: str, clock: FrozenClock) -> None:
    app = create_app(app_config(database_url, clock))
    app.extensions["ivr.line"] = replace(LINE, settings=replace(LINE.settings, sms_on_call_by="text_number"))
    texter = Texter(Twilio(app.test_client()))
    assert after_hours_viva_on_call(texter, clock) == ["Alla steg är gjorda. Ring chef i beredskap: 070-174 06 10"]
    app.extensions["ivr.store"].dispose()


def test_office_hours_reply_gives_it_support_and_the_portal(twilio: Twilio, clock: FrozenClock) -> None:
    texter = Texter(twilio)
    texter.send("viva omsorg")
    for _ in range(3):
        texter.send("nej")
    assert texter.send("nej") == [
        "Ring IT-supporten 0141-22 50 47 eller skapa ett ärende i IT-portalen: https://itportal.example.se"
    ]


def test_a_retried_message_does_not_advance_twice(app: Flask, twilio: Twilio) -> None:
    texter = Texter(twilio)
    texter.send("npo")
    first = texter.send("ja", sid="SM" + "d" * 32)
    again = texter.send("ja", sid="SM" + "d" * 32)
    assert first == again and first[0].startswith("NPÖ 2/5:")
    answers = [e for e in app.extensions["ivr.store"].events(sms_session(app, CALLER)) if e["kind"] == "answer"]
    assert len(answers) == 1


def test_a_quiet_conversation_expires_and_starts_over(twilio: Twilio, clock: FrozenClock) -> None:
    texter = Texter(twilio)
    clock.set("2026-11-25T10:00")
    texter.send("npo")
    clock.set("2026-11-25T12:01")
    replies = texter.send("ja")
    assert replies[0] == "Det har gått en stund, så vi startar om."
    assert replies[1].startswith("Felsökningslinjen. Svara med siffran:")


def test_stopp_ends_and_forgets_the_conversation(app: Flask, twilio: Twilio) -> None:
    texter = Texter(twilio)
    texter.send("npo")
    assert texter.send("STOPP") == ["Avslutat. Skriv när som helst för att börja om."]
    assert app.extensions["ivr.store"].get(sms_session(app, CALLER)) is None
    assert texter.send("ja")[0].startswith("Felsökningslinjen.")


def test_two_instances_handling_one_sender_at_once_lose_no_answer(
    database_url: str, clock: FrozenClock
) -> None:
    apps = [create_app(app_config(database_url, clock)) for _ in range(2)]
    texter = Texter(Twilio(apps[0].test_client()))
    texter.send("alfa")  # Alfa e-Care: 8 steps, "no" moves on at every step
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def answer(app: Flask, index: int) -> None:
        try:
            barrier.wait()
            client = Twilio(app.test_client())
            response = client.post("/sms", From=CALLER, To=LINE_NUMBER, Body="nej", MessageSid=f"SMc{index:031d}")
            assert response.status_code == 200
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=answer, args=(app, i)) for i, app in enumerate(apps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    events = apps[0].extensions["ivr.store"].events(sms_session(apps[0], CALLER))
    answers = [e for e in events if e["kind"] == "answer"]
    assert [a["data"]["step"] for a in answers] == ["phone_network", "close_apps"]
    assert [a["seq"] for a in answers] == sorted({a["seq"] for a in answers})
    record = apps[0].extensions["ivr.store"].get(sms_session(apps[0], CALLER))
    assert record is not None and record.data["state"]["step"] == 2
    for app in apps:
        app.extensions["ivr.store"].dispose()


def test_language_switch_after_an_outcome_repeats_it_in_the_new_language(twilio: Twilio, clock: FrozenClock) -> None:
    texter = Texter(twilio)
    texter.send("viva")
    texter.send("ja")  # solved at step 1
    assert texter.send("ENGLISH") == ["Good that it is solved. Bye!"]


def test_ring_after_office_hours_began_gives_it_support_instead(app: Flask, twilio: Twilio,
                                                                clock: FrozenClock) -> None:
    texter = Texter(twilio)
    clock.set("2026-11-25T07:00")
    for body in ("viva", "nej", "ja"):
        texter.send(body)
    assert texter.send("ja")[0].startswith("Alla steg är gjorda. Svara RING")
    clock.set("2026-11-25T08:10")
    assert texter.send("RING") == [
        "Ring IT-supporten 0141-22 50 47 eller skapa ett ärende i IT-portalen: https://itportal.example.se"
    ]
    assert app.extensions["ivr.notifier"].sent == []


def test_a_wrong_reply_to_the_notice_asks_again_without_reading_the_announcement_again(
        app: Flask, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """The thread keeps the announcement above the question: the question again, and no reads for words unsent."""
    clock.set("2026-11-25T10:00")
    store = app.extensions["ivr.store"]
    store.announce("viva", "Viva ligger nere sedan 09.30.", None, clock(), by="test")
    texter = Texter(Twilio(app.test_client()))
    texter.send("hej")
    [notice, question] = texter.send("1")
    assert "Viva ligger nere sedan 09.30." in notice
    reads: list[object] = []
    announcements = type(store).announcements
    monkeypatch.setattr(type(store), "announcements",
                        lambda self, *args, **kwargs: reads.append(args) or announcements(self, *args, **kwargs))
    assert texter.send("kanske") == [question]
    assert reads == []
