"""Speech input: what a SpeechResult stands for (ivr/channels/voice/speech_words.py), the <Gather> that listens,
its settings."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from flask import Flask

from flows.line import DEFAULT_CONFIG, load_line
from flows.settings import load_settings
from flows.yamlfile import DataError
from ivr import create_app
from ivr.channels.voice.speech_words import Heard, hints, said_as, speech_key
from tests.conftest import FrozenClock, Twilio, app_config

LINE = load_line()
CHECKLISTS = LINE.library.checklists
SAID_AS = said_as(LINE.settings.pronunciation["sv"])


def key(text: str, at_menu: bool = False, confidence: float = 0.9, lang: str = "sv") -> str | None:
    return speech_key(text, confidence, 0.5, lang, at_menu, CHECKLISTS, SAID_AS).key


@pytest.mark.parametrize(("text", "expected"), [
    ("Viva", "1"), ("viva omsorg", "2"), ("Viva omsorg appen", "2"), ("time care", "3"), ("NPÖ", "4"),
    ("en pe ö", "4"), ("En-pe-ö", "4"), ("Cosmic link", "6"), ("trygghetslarm", "8"), ("Alfa e-care", "9"),
    ("fyra", "4"), ("7", "7"), ("English", "#"), ("upprepa", "*"), ("menyn", "0"),
    ("nej", None), ("kanske", None), ("tolv", None), ("", None),
])
def test_menu_speech(text: str, expected: str | None) -> None:
    assert key(text, at_menu=True) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("ja", "1"), ("Ja, det fungerar nu", "1"), ("jo", "1"), ("nej", "2"), ("Nej det gör det inte", "2"),
    ("nä", "2"), ("vet inte", "3"), ("jag vet inte", "3"), ("ingen aning", "3"), ("ett", "1"), ("två", "2"),
    ("upprepa", "*"), ("meny", "0"), ("jag behöver mer tid", "5"), ("vänta", "5"), ("skicka sms", "8"),
    ("ja, vänta", "1"),
    # Read as the SMS line reads a text: an echo of the question answers it, both answers at once do not.
    ("det fungerar", "1"), ("det funkar inte", "2"), ("ja men det funkar inte", None),
    ("kanske", None), ("viva", None),
])
def test_step_speech(text: str, expected: str | None) -> None:
    assert key(text) == expected


def test_english_speech() -> None:
    assert key("yes it works", lang="en") == "1" and key("no", lang="en") == "2"
    assert key("I don't know", lang="en") == "3" and key("svenska", at_menu=True, lang="en") == "#"


def test_below_the_threshold_nothing_is_understood() -> None:
    assert speech_key("ja", 0.49, 0.5, "sv", False, CHECKLISTS, SAID_AS) == Heard(None)
    assert speech_key("ja", 0.5, 0.5, "sv", False, CHECKLISTS, SAID_AS) == Heard("1")


def test_hints_name_answers_commands_and_every_system() -> None:
    words = hints("sv", CHECKLISTS, SAID_AS).split(", ")
    assert {"ja", "nej", "vet inte", "upprepa", "menyn", "english", "en-pe-ö"} <= set(words)
    assert {checklist.name["sv"] for checklist in CHECKLISTS} <= set(words)
    assert all(len(word) <= 100 for word in words)  # Twilio's limit per hint


# --- settings -------------------------------------------------------------------------------


def test_speech_is_off_in_the_shipped_settings() -> None:
    settings = load_settings(DEFAULT_CONFIG)
    assert settings.speech_enabled is False
    assert (settings.speech_model, settings.speech_min_confidence, settings.speech_timeout) == (
        "googlev2_telephony", 0.5, 2)


@pytest.mark.parametrize(("setting", "value", "problem"), [
    ("enabled", "yes please", "speech.enabled"), ("model", "Google V2!", "speech.model"),
    ("min_confidence", 1.5, "speech.min_confidence"), ("timeout_seconds", 0, "speech.timeout_seconds"),
    ("loud", True, "speech"),
])
def test_bad_speech_settings_are_refused(tmp_path: Path, setting: str, value: object, problem: str) -> None:
    data = yaml.safe_load((DEFAULT_CONFIG / "line.yaml").read_text(encoding="utf-8"))
    data["speech"][setting] = value
    (tmp_path / "line.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DataError) as error:
        load_settings(tmp_path)
    assert any(problem in line for line in error.value.problems), error.value.problems


# --- the TwiML --------------------------------------------------------------------------------


@pytest.fixture
def speaking_app(database_url: str, clock: FrozenClock) -> Iterator[Flask]:
    """The app with speech input turned on."""
    app = create_app(app_config(database_url, clock))
    line = app.extensions["ivr.line"]
    app.extensions["ivr.line"] = replace(line, settings=replace(line.settings, speech_enabled=True))
    yield app
    app.extensions["ivr.store"].dispose()


def gather(body: bytes) -> ET.Element:
    found = ET.fromstring(body).find("Gather")
    assert found is not None
    return found


def test_with_speech_off_the_gather_takes_keys_only(twilio: Twilio) -> None:
    attributes = gather(twilio.call("/voice").data).attrib
    assert "input" not in attributes and "hints" not in attributes and "speechModel" not in attributes


def test_with_speech_on_the_gather_listens_in_swedish_with_hints(speaking_app: Flask) -> None:
    twilio = Twilio(speaking_app.test_client())
    menu = gather(twilio.call("/voice").data)
    assert menu.get("input") == "dtmf speech" and menu.get("language") == "sv-SE"
    assert menu.get("speechModel") == "googlev2_telephony" and menu.get("speechTimeout") == "2"
    assert menu.get("numDigits") == "1"  # a key still ends it at once
    assert "Viva omsorg" in str(menu.get("hints")) and "vet inte" in str(menu.get("hints"))
    step = gather(twilio.call("/voice/input", SpeechResult="Viva", Confidence="0.87").data)
    assert step.get("input") == "dtmf speech"
    said = " ".join("".join(node.itertext()) for node in step.iter("Say"))
    assert said.startswith("Viva. ") and "Steg 1 av 3" in said
    english = gather(twilio.call("/voice/input", SpeechResult="english", Confidence="0.9").data)
    assert "Steg" in " ".join("".join(node.itertext()) for node in english.iter("Say"))  # at a step: not a key
    twilio.call("/voice/input", Digits="0")
    menu = gather(twilio.call("/voice/input", SpeechResult="English", Confidence="0.9").data)
    assert menu.get("language") == "en-GB" and "Trygghetslarm" in str(menu.get("hints"))


def test_speech_without_a_confidence_is_asked_again(speaking_app: Flask) -> None:
    twilio = Twilio(speaking_app.test_client())
    twilio.call("/voice")
    said = " ".join("".join(node.itertext()) for node in gather(
        twilio.call("/voice/input", SpeechResult="Viva").data).iter("Say"))
    assert said.startswith("Jag uppfattade inte vad du sa. Svara med knapparna.")


def test_speech_is_ignored_when_speech_is_off(twilio: Twilio) -> None:
    twilio.call("/voice")
    said = " ".join("".join(node.itertext()) for node in gather(
        twilio.call("/voice/input", SpeechResult="Viva", Confidence="0.99").data).iter("Say"))
    assert said.startswith("Jag hörde inget val.")
