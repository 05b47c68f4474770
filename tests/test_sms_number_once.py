"""Whether the caller's number takes SMS (key 8) is asked of phonenumbers once per call, then carried (session.py)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import phonenumbers
import pytest
from flask import Flask

from tests.conftest import CALLER, Twilio
from tests.twiml_helpers import spoken


def action(body: bytes) -> str:
    gather = ET.fromstring(body).find(".//Gather")
    assert gather is not None, body
    return str(gather.get("action"))


def test_the_number_type_is_asked_once_for_a_whole_call(app: Flask, twilio: Twilio,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[Any] = []
    number_type = phonenumbers.number_type

    def counted(number: Any) -> Any:
        asked.append(number)
        return number_type(number)

    monkeypatch.setattr(phonenumbers, "number_type", counted)
    body = twilio.call("/voice").data
    for key in ("4", "1", "1"):  # NPÖ, then two steps: each step turn decides whether key 8 may be offered
        body = twilio.call(action(body), Digits=key).data
    answer = spoken(twilio.call(action(body), Digits="8").data)  # key 8 at the third step: the rest by SMS
    assert "sms" in answer.lower() and "inte skicka" not in answer
    assert [sent["to"] for sent in app.extensions["ivr.notifier"].sent if sent["kind"] == "sms"] == [CALLER]
    assert len(asked) == 1


def test_a_landline_is_still_told_it_takes_no_sms(app: Flask, twilio: Twilio) -> None:
    landline = "+46141225047"
    body = twilio.post("/voice", CallSid="CA" + "5" * 32, From=landline, To="+46141225000").data
    body = twilio.post(action(body), CallSid="CA" + "5" * 32, From=landline, To="+46141225000", Digits="4").data
    answer = twilio.post(action(body), CallSid="CA" + "5" * 32, From=landline, To="+46141225000", Digits="8").data
    assert "Jag kan inte skicka sms till numret du ringer från." in spoken(answer)
