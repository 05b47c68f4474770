"""How the voice says hard words (ivr/channels/voice/pronounce.py), and the SSML it sends (ssml.py there), as XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from flask import Flask

from flows.line import DEFAULT_CONFIG
from flows.settings import Term, load_settings
from flows.yamlfile import DataError
from ivr.channels.voice.pronounce import Piece, clock, heard, pieces
from ivr.simulator.voice import spoken_text
from tests.conftest import FrozenClock, Twilio
from tests.ssml_check import ssml_problems

TERMS = {"NPÖ": Term(say="en-pe-ö"), "Time Care": Term(lang="en-GB"), "e-Care": Term(lang="en-GB")}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@pytest.mark.parametrize(("hour", "minute", "lang", "words"), [
    (8, 0, "sv", "åtta"), (8, 30, "sv", "åtta trettio"), (8, 5, "sv", "åtta noll fem"),
    (14, 45, "sv", "fjorton fyrtiofem"), (1, 0, "sv", "ett"), (23, 59, "sv", "tjugotre femtionio"),
    (8, 0, "en", "eight in the morning"), (8, 5, "en", "eight oh five in the morning"),
    (21, 30, "en", "nine thirty in the evening"), (0, 15, "en", "twelve fifteen in the morning"),
    (12, 0, "en", "twelve in the afternoon"),
])
def test_clock_times_in_words(hour: int, minute: int, lang: str, words: str) -> None:
    assert clock(hour, minute, lang) == words


def test_a_time_is_said_in_words_and_written_as_before() -> None:
    found = pieces("Ring i morgon klockan 08.00.", "sv", {})
    assert found == [Piece("text", "Ring i morgon klockan "), Piece("sub", "08.00", alias="åtta"), Piece("text", ".")]
    assert heard(found, "jag upprepar:") == "Ring i morgon klockan åtta."
    english = pieces("Call IT support tomorrow at 8:00.", "en", {})
    assert heard(english, "again:") == "Call IT support tomorrow at eight in the morning."


@pytest.mark.parametrize(("text", "said"), [
    ("Viva ligger nere sedan 14.00.", "Viva ligger nere sedan klockan fjorton."),
    ("Nere sedan kl 14.30, åter kl. 16.00.", "Nere sedan klockan fjorton trettio, åter klockan sexton."),
    ("Öppnar klockan 08.00.", "Öppnar klockan åtta."),
])
def test_a_time_without_klockan_gets_it(text: str, said: str) -> None:
    assert heard(pieces(text, "sv", {}), "jag upprepar:") == said


@pytest.mark.parametrize("text", ["Version 1.2.30", "08.00.5", "24.00", "12.75", "4G eller 5G", "Steg 3 av 8."])
def test_what_is_not_a_time_or_a_number_is_left_alone(text: str) -> None:
    assert pieces(text, "sv", {}) == [Piece("text", text)]


def test_terms_are_whole_words_longest_first() -> None:
    found = pieces("Alfa e-Care och Time Care, inte Time Carer eller NPÖX.", "sv", TERMS)
    assert [piece.kind for piece in found] == ["text", "lang", "text", "lang", "text"]
    assert found[1] == Piece("lang", "e-Care", lang="en-GB", inner=(Piece("text", "e-Care"),))
    assert found[4].text == ", inte Time Carer eller NPÖX."


def test_a_term_can_be_both_another_language_and_another_word() -> None:
    found = pieces("Does NPÖ work now?", "en", {"NPÖ": Term(say="en-pe-ö", lang="sv-SE")})
    assert found[1] == Piece("lang", "NPÖ", lang="sv-SE", inner=(Piece("sub", "NPÖ", alias="en-pe-ö"),))
    assert heard(found, "again:") == "Does en-pe-ö work now?"


def test_a_phone_number_is_heard_twice() -> None:
    found = pieces("Ring 0 1 4 1, 2 2, 5 0, 4 7 nu.", "sv", {})
    assert found[1] == Piece("number", "0 1 4 1, 2 2, 5 0, 4 7")
    assert heard(found, "jag upprepar:") == "Ring 0 1 4 1, 2 2, 5 0, 4 7, jag upprepar: 0 1 4 1, 2 2, 5 0, 4 7 nu."


def test_shipped_pronunciation() -> None:
    terms = load_settings(DEFAULT_CONFIG).pronunciation
    assert terms["sv"]["NPÖ"] == Term(say="en-pe-ö")
    assert terms["sv"]["Cosmic Link"] == Term(lang="en-GB")
    assert terms["en"]["Trygghetslarm"] == Term(lang="sv-SE")


@pytest.mark.parametrize(("entry", "problem"), [
    ("    NPÖ: {}", "needs say:"), ("    NPÖ: {lang: english}", "must be a language tag"),
    ("    NPÖ: {say: ''}", "must be the words to say"), ("    NPÖ: {sound: x}", "sound"),
])
def test_bad_pronunciation_is_refused(tmp_path: Path, entry: str, problem: str) -> None:
    text = (DEFAULT_CONFIG / "line.yaml").read_text(encoding="utf-8")
    assert "    NPÖ: {say: en-pe-ö}\n" in text
    (tmp_path / "line.yaml").write_text(text.replace("    NPÖ: {say: en-pe-ö}", entry, 1), encoding="utf-8")
    with pytest.raises(DataError) as error:
        load_settings(tmp_path)
    assert any("pronunciation.sv" in line and problem in line for line in error.value.problems), error.value.problems


# --- the TwiML itself -------------------------------------------------------------------------


def says(body: bytes) -> list[ET.Element]:
    return list(ET.fromstring(body).iter("Say"))


def test_menu_ssml(twilio: Twilio) -> None:
    first = says(twilio.call("/voice").data)[0]
    assert ssml_problems(first) == []
    assert first.get("voice") == "Polly.Astrid" and first.get("language") == "sv-SE"
    sub = first.find("sub")
    assert sub is not None and sub.text == "NPÖ" and sub.get("alias") == "en-pe-ö"
    english = [(node.text, node.get(XML_LANG)) for node in first.iter("lang")]
    assert english == [("Time Care", "en-GB"), ("Cosmic Link", "en-GB"), ("e-Care", "en-GB")]
    assert spoken_text(first).startswith("Tryck siffran så fort du hör ditt system: Viva 1, Viva omsorg 2, Time Care 3")


def test_english_menu_says_swedish_names_in_swedish(twilio: Twilio) -> None:
    twilio.call("/voice")
    first = says(twilio.call("/voice/input", Digits="#").data)[0]
    assert first.get("language") == "en-GB" and ssml_problems(first) == []
    swedish = {node.get(XML_LANG) for node in first.iter("lang")}
    assert swedish == {"sv-SE"}
    npo = '<lang xml:lang="sv-SE"><sub alias="en-pe-ö">NPÖ</sub></lang>'
    assert ET.tostring(first, encoding="unicode").count(npo) == 1


def test_wait_for_office_hours_says_the_time_in_words_and_the_number_slowly_twice(
    twilio: Twilio, clock: FrozenClock
) -> None:
    clock.set("2026-11-25T22:00")
    # From a landline: no receipt SMS can follow, so the ending says the number itself.
    landline = {"CallSid": "CA" + "5" * 32, "From": "+46141225099", "To": "+46141225000"}
    twilio.post("/voice", **landline)
    body = b""
    for key in ("2", "2", "1", "2", "2"):  # Viva omsorg, one user: wait for office hours
        body = twilio.post("/voice/input", Digits=key, **landline).data
    outcome = says(body)[-1]
    assert ssml_problems(outcome) == []
    times = outcome.findall("sub")
    assert [(node.text, node.get("alias")) for node in times] == [("08.00", "åtta")]
    slow = outcome.findall("prosody")
    assert [(node.text, node.get("rate")) for node in slow] == [("0 1 4 1, 2 2, 5 0, 4 7", "slow")] * 2
    pause = outcome.find("break")
    assert pause is not None and pause.get("time") == "500ms"
    assert "klockan åtta. Ring dem då på 0 1 4 1, 2 2, 5 0, 4 7, jag upprepar: 0 1 4 1" in spoken_text(outcome)


def test_a_text_without_hard_words_is_plain(app: Flask, twilio: Twilio) -> None:
    twilio.call("/voice")
    step = says(twilio.call("/voice/input", Digits="1").data)
    assert all(len(node) == 0 for node in step[1:])  # "Steg 1 av 3." and the step's plain sentences


@pytest.mark.parametrize(("xml", "problem"), [
    ('<Say>Hej <sub>NPÖ</sub></Say>', "<sub> needs an alias"),
    ('<Say>Hej <lang xml:lang="english">x</lang></Say>', "<lang> needs xml:lang"),
    ('<Say>Hej <prosody rate="snail">1</prosody></Say>', "<prosody> rate"),
    ('<Say>Hej <break time="forever"/></Say>', "bad <break>"),
    ('<Say>Hej <say-as interpret-as="time">08.00</say-as></Say>', "<say-as> is not SSML the line uses"),
    ("<Say> </Say>", "an empty <Say>"),
])
def test_the_ssml_check_catches_broken_ssml(xml: str, problem: str) -> None:
    assert any(problem in found for found in ssml_problems(ET.fromstring(xml)))
