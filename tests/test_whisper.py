"""The manager decides in ten seconds: the whisper is short, leads with the fault, and holds no number."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from flows.facts import STATEMENTS, WHO, statements
from flows.line import load_line
from flows.model import FACTS, LANGUAGES, UNKNOWN, Checklist, Outcome
from flows.routing import Decision
from ivr.channels.sms.render import fact_combinations
from ivr.channels.voice.render import VoiceRenderer
from ivr.simulator.voice import spoken_text

LINE = load_line()
MAX_WORDS = 25  # before "Tryck 1" (issue 21): about ten seconds of speech


def whisper_before_press_1(decision: Decision, lang: str) -> str:
    """What the manager hears before the press-1 sentence, from the real TwiML."""
    root = ET.fromstring(str(VoiceRenderer(LINE, lang).whisper(decision, "CA" + "0" * 32, 0)))
    said = [spoken_text(node) for node in root.iter("Say")]
    press = LINE.messages.get("whisper", "accept", lang)
    assert said[-1] == press
    return " ".join(said[:-1])


@pytest.mark.parametrize("checklist", LINE.library.checklists, ids=lambda c: c.id)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_whisper_is_at_most_25_words_before_press_1_and_holds_no_number(checklist: Checklist, lang: str) -> None:
    for facts in fact_combinations(checklist):
        text = whisper_before_press_1(Decision(Outcome.ON_CALL_MANAGER, checklist.id, facts), lang)
        assert len(text.split()) <= MAX_WORDS, text
        assert not re.search(r"\d", text), text  # no phone number (and no step numbers)
        lead = LINE.messages.get("whisper", "lead", lang, system="").strip().rstrip(".")
        assert text.startswith(LINE.messages.get("whisper", "intro", lang)) and lead in text, text


def test_the_whisper_says_each_fact_as_a_statement_and_several_users_first() -> None:
    decision = Decision(Outcome.ON_CALL_MANAGER, "alfa_ecare", {
        "network_ok": True, "multiple_users": True, "supplier_outage": False, "nobody_can_browse": True})
    assert whisper_before_press_1(decision, "sv") == (
        "Felsökningslinjen. Alfa e-Care fungerar inte för flera. Nätet fungerar. "
        "Ingen störning hos leverantören. Ingen kommer ut på internet.")


def test_an_unknown_fact_is_said_as_unknown_never_as_no() -> None:
    decision = Decision(Outcome.ON_CALL_MANAGER, "viva_omsorg", {"multiple_users": UNKNOWN, "network_ok": False})
    assert statements(LINE, decision, "sv") == [
        "Viva omsorg fungerar inte, okänt för hur många.", "Nätet fungerar inte."]


def test_swedlock_has_a_fact_for_the_manager() -> None:
    facts = [step.fact for step in LINE.library.by_id("swedlock").steps if step.fact]
    assert facts == ["key_works"]
    decision = Decision(Outcome.ON_CALL_MANAGER, "swedlock", {"key_works": False})
    assert "Nyckeln fungerar inte, inte heller med säkerhetsdosan." in statements(LINE, decision, "sv")


def test_every_fact_has_a_statement_for_every_answer_and_language() -> None:
    for fact in FACTS:
        if fact == WHO:
            continue  # said in the first sentence (whisper.lead_*)
        for answer in (True, False, UNKNOWN):
            assert set(STATEMENTS[fact][answer]) == set(LANGUAGES), (fact, answer)
