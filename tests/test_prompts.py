"""Prompts built once per config snapshot (ivr/channels/voice/twiml.Prompt): the same XML as built each turn."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from twilio.twiml.voice_response import VoiceResponse

from flows.validate import validate
from ivr.channels.voice.carried_state import carry
from ivr.channels.voice.render import VoiceRenderer
from ivr.channels.voice.twiml import Prompt, PromptTemplate

ROOT = Path(__file__).resolve().parent.parent
TOKENS = ["plain-token_1", 'a&b<c>"d\'e']


def screened() -> VoiceResponse:
    """A response with URLs holding & and < (escaped by the builders) and one that already has a query."""
    response = VoiceResponse()
    gather = response.gather(action="/voice/input?x=1&y=<2>", method="POST", num_digits=1)
    gather.say("Tryck 1 & 2 <nu>.")
    dial = response.dial(action="/voice/dial/on_call?attempt=0", method="POST")
    dial.number("+46701740699", url="/voice/whisper?call=CA1&attempt=0")
    return response


def test_a_shared_prompt_says_what_a_newly_built_one_says_with_any_token() -> None:
    template = PromptTemplate.of(screened)
    assert str(Prompt(template)) == str(screened())  # no token carried: no URL changed
    for token in TOKENS:
        built = screened()
        carry(built, token)
        prompt = Prompt(template)
        carry(prompt, token)
        assert str(prompt) == str(built)
        assert "&amp;y=&lt;2&gt;" in str(prompt)  # the builders' own escaping, kept
    assert "&amp;b&lt;c&gt;&quot;d" in str(prompt)  # the token escaped into its place


def test_a_shared_prompt_takes_no_new_verbs() -> None:
    prompt = Prompt(PromptTemplate.of(screened))
    for change in (lambda: prompt.say("mer"), lambda: prompt.hangup(), lambda: prompt.append(VoiceResponse())):
        try:
            change()
        except TypeError:
            continue
        raise AssertionError("a shared prompt changed")
    assert str(prompt) == str(screened())


def test_prompts_are_built_again_for_a_new_config_snapshot_and_kept_across_roster_swaps() -> None:
    line, problems = validate(ROOT / "checklists", ROOT / "config")
    assert line is not None, problems
    first = VoiceRenderer(line, "sv").menu()
    assert isinstance(first, Prompt)
    swapped = dataclasses.replace(line, roster=line.roster)  # an on-call swap merged: same texts
    assert VoiceRenderer(swapped, "sv").menu().template is first.template
    voices = {**line.settings.voices, "sv": dataclasses.replace(line.settings.voices["sv"], voice="Polly.Elin")}
    reloaded = dataclasses.replace(line, settings=dataclasses.replace(line.settings, voices=voices))
    again = VoiceRenderer(reloaded, "sv").menu()
    assert again.template is not first.template
    assert 'voice="Polly.Elin"' in str(again) and 'voice="Polly.Elin"' not in str(first)

