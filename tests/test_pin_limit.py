"""Staff-code guesses are limited per number across calls and texts: hanging up gives no new guesses."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from flask import Flask

from ivr.conversation.steps import PIN_GUESS_LIMIT
from tests.conftest import FrozenClock, Twilio
from tests.test_operations import OUTSIDER, VIVA_AFTER_HOURS, call, spoken, text_line

LOCKED = ("Det har kommit för många fel personalkoder från ditt nummer. "
          "Du kan inte slå koden igen förrän om en timme.")
SMS_LOCKED = "För många fel personalkoder från ditt nummer. Du kan inte ange koden igen förrän om en timme."
SMS_PROMPT = ("Ditt nummer finns inte i personallistan. Med personalkoden når du chef i beredskap om stegen inte "
              "hjälper. Svara med koden, annars NEJ.")
STAFF_FIRST = ("Ditt nummer finns inte i personallistan. "
               "Jag går igenom stegen med dig, men kan inte koppla dig till chef i beredskap.")
SMS_STAFF_FIRST = ("Ditt nummer finns inte i personallistan. "
                   "Jag går igenom stegen med dig, men kan inte koppla dig till chef i beredskap.")


@pytest.fixture(autouse=True)
def pin(monkeypatch: pytest.MonkeyPatch, clock: FrozenClock) -> None:
    monkeypatch.setenv("IVR_STAFF_PIN", "4711")
    clock.set("2026-11-25T22:00")


def steps(twilio: Twilio, sid: str) -> bytes:
    """Viva's steps after the code question (W missing, several users, network fine): the call's ending."""
    body = b""
    for key in VIVA_AFTER_HOURS[1:]:
        body = twilio.post("/voice/input", CallSid=sid, From=OUTSIDER, To="+46141225000", Digits=key).data
    return body


def wrong_codes(twilio: Twilio, sid: str, count: int) -> bytes:
    body = b""
    for _ in range(count):
        body = twilio.post("/voice/input", CallSid=sid, From=OUTSIDER, To="+46141225000", Digits="0000").data
    return body


def test_a_new_call_gives_no_new_guesses_until_the_hour_has_passed(twilio: Twilio, clock: FrozenClock) -> None:
    assert PIN_GUESS_LIMIT == 5
    # The code is asked right after the system is chosen (key 1, Viva), before step 1.
    assert "personalkod" in spoken(call(twilio, "CA" + "1" * 32, OUTSIDER, "1"))
    body = wrong_codes(twilio, "CA" + "1" * 32, 3)  # three wrong: this call goes on without the code
    assert spoken(body).startswith(f"Fel kod. {STAFF_FIRST}") and "Steg 1 av 3" in spoken(body)

    clock.set("2026-11-25T22:10")
    assert "personalkod" in spoken(call(twilio, "CA" + "2" * 32, OUTSIDER, "1"))
    assert "Fel kod" in spoken(wrong_codes(twilio, "CA" + "2" * 32, 1))  # the fourth: asked again
    body = wrong_codes(twilio, "CA" + "2" * 32, 1)  # the fifth: no more, and on to step 1
    assert spoken(body).startswith(f"{LOCKED} {STAFF_FIRST}") and "Steg 1 av 3" in spoken(body)
    body = steps(twilio, "CA" + "2" * 32)
    assert spoken(body).startswith("Jag ringer inte chef i beredskap nu. Ditt nummer finns inte i personallistan.")
    assert LOCKED not in spoken(body)  # said once, where it mattered
    assert ET.fromstring(body).find("Dial") is None and ET.fromstring(body).find("Gather") is None

    clock.set("2026-11-25T22:40")  # a third call within the hour is not asked for the code at all
    body = call(twilio, "CA" + "3" * 32, OUTSIDER, "1")
    assert spoken(body).startswith(f"{LOCKED} {STAFF_FIRST}")
    assert "Slå koden" not in spoken(body) and "Steg 1 av 3" in spoken(body)
    assert ET.fromstring(steps(twilio, "CA" + "3" * 32)).find("Dial") is None

    clock.set("2026-11-25T23:11")  # an hour after the fifth wrong code
    assert "Slå koden" in spoken(call(twilio, "CA" + "4" * 32, OUTSIDER, "1"))
    body = twilio.post("/voice/input", CallSid="CA" + "4" * 32, From=OUTSIDER, To="+46141225000", Digits="4711").data
    assert spoken(body).startswith("Koden stämmer.")
    assert ET.fromstring(steps(twilio, "CA" + "4" * 32)).find("Dial/Number") is not None  # the right code works


def test_skipping_the_code_is_no_guess(twilio: Twilio) -> None:
    for index in range(PIN_GUESS_LIMIT + 1):
        sid = f"CA{index:032d}"
        assert "Slå koden" in spoken(call(twilio, sid, OUTSIDER, "1"))
        twilio.post("/voice/input", CallSid=sid, From=OUTSIDER, To="+46141225000", Digits="")  # just #


def test_texts_and_calls_share_the_count(app: Flask, twilio: Twilio) -> None:
    assert text_line(twilio, OUTSIDER, "viva", "SM0") == [SMS_PROMPT]  # asked before step 1
    for index in range(2):
        assert text_line(twilio, OUTSIDER, "1234", f"SMa{index}")[0].startswith("Fel kod.")
    third = text_line(twilio, OUTSIDER, "1234", "SMa2")  # the third wrong code ends this conversation's tries
    assert third[:2] == ["Fel kod.", SMS_STAFF_FIRST] and "1/3" in third[2]
    assert text_line(twilio, OUTSIDER, "MENY", "SMb0")
    assert text_line(twilio, OUTSIDER, "viva", "SMb1") == [SMS_PROMPT]  # a new checklist: asked again
    assert text_line(twilio, OUTSIDER, "1234", "SMc0")[0].startswith("Fel kod.")
    locked = text_line(twilio, OUTSIDER, "1234", "SMc1")  # the fifth
    assert locked[:2] == [SMS_LOCKED, SMS_STAFF_FIRST] and "1/3" in locked[2]
    body = call(twilio, "CA" + "5" * 32, OUTSIDER, "1")  # and by phone, no code either
    assert spoken(body).startswith(LOCKED)


def test_purge_forgets_the_wrong_codes_after_a_day(app: Flask, twilio: Twilio, clock: FrozenClock) -> None:
    from datetime import timedelta

    call(twilio, "CA" + "6" * 32, OUTSIDER, "1")
    wrong_codes(twilio, "CA" + "6" * 32, 1)
    store = app.extensions["ivr.store"]
    now = clock()
    assert store.purge(now - timedelta(days=90), now - timedelta(hours=24))["pin_guesses"] == 0
    later = now + timedelta(hours=25)
    assert store.purge(later - timedelta(days=90), later - timedelta(hours=24))["pin_guesses"] == 1
