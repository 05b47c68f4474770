"""The TwiML text cache: a hit is exactly str(response); nothing about one call is kept."""

from __future__ import annotations

import pytest
from twilio.twiml.voice_response import VoiceResponse

from ivr import twiml_cache
from ivr.twiml_cache import serialise


def prompt(text: str, timeout: object = 6) -> VoiceResponse:
    response = VoiceResponse()
    gather = response.gather(action="/voice/input", num_digits=1, timeout=timeout, finish_on_key="")
    gather.say(text, voice="Polly.Astrid", language="sv-SE")
    return response


def test_a_repeated_prompt_comes_from_the_cache_and_reads_the_same() -> None:
    first = serialise(prompt("Fungerar det nu? Tryck 1 för ja."))
    again = prompt("Fungerar det nu? Tryck 1 för ja.")
    assert serialise(again) == first == str(again)
    assert first in twiml_cache._texts.values()


def test_a_different_text_or_attribute_is_a_different_entry() -> None:
    assert serialise(prompt("Steg 1 av 3.")) != serialise(prompt("Steg 2 av 3."))
    # True and 1 are equal as Python keys but are written "true" and "1".
    assert 'timeout="true"' in serialise(prompt("x", timeout=True))
    assert 'timeout="1"' in serialise(prompt("x", timeout=1))


def test_responses_about_one_call_are_not_kept() -> None:
    dial = VoiceResponse()
    dial.say("Du kopplas nu.")
    dial.dial(action="/voice/dial/on_call?attempt=0").number("+46701740605", url="/voice/whisper?call=CA1")
    whisper = VoiceResponse()
    whisper.gather(action="/voice/whisper/accept?call=CA9&attempt=0").say("Samtal från 070-174 06 05.")
    before = dict(twiml_cache._texts)
    assert serialise(dial) == str(dial)
    assert serialise(whisper) == str(whisper)
    assert twiml_cache._texts == before


def test_the_cache_stays_bounded() -> None:
    for n in range(twiml_cache.MAX_ENTRIES + 50):
        serialise(prompt(f"Steg {n}."))
    assert len(twiml_cache._texts) <= twiml_cache.MAX_ENTRIES


def test_a_shared_prompt_is_built_once_and_reads_as_built() -> None:
    builds = []

    def build() -> VoiceResponse:
        builds.append(1)
        return prompt("Tryck 1 för ja, 2 för nej.")

    first = twiml_cache.shared(("test", "yes-no"), build)
    again = twiml_cache.shared(("test", "yes-no"), build)
    assert again is first and len(builds) == 1
    assert serialise(first) == str(first) == str(prompt("Tryck 1 för ja, 2 för nej."))
    assert twiml_cache.shared(("test", "other"), lambda: prompt("Annat.")) is not first


def test_a_shared_prompt_cannot_be_changed() -> None:
    response = twiml_cache.shared(("test", "frozen"), lambda: prompt("Steg 1 av 3."))
    with pytest.raises(TypeError, match="cannot be changed"):
        response.hangup()
    assert "Hangup" not in str(response)


def test_shared_prompts_stay_bounded() -> None:
    for n in range(twiml_cache.MAX_ENTRIES + 50):
        twiml_cache.shared(("test", n), lambda: prompt("x"))
    assert len(twiml_cache._shared) <= twiml_cache.MAX_ENTRIES
