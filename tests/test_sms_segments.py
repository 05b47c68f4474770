"""Every SMS the line sends is one GSM-7 segment, with the longest values the configuration allows."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from flask import Flask

from flows.facts import manager_sms
from flows.line import load_line
from flows.model import Answer, Checklist, Outcome
from flows.routing import Decision
from ivr.channels.sms.cost import TWO_SEGMENTS_SEPTETS, fits_one_segment, gsm7_septets
from ivr.channels.sms.render import (
    BUILT_TEXTS,
    LONGEST_CALLER,
    LONGEST_MOMENT,
    every_text,
    fact_combinations,
    fact_shapes,
)
from ivr.cli import main
from tests.conftest import CALLER, LINE_NUMBER, FrozenClock, Twilio

LINE = load_line()
ADMIN = "+46701740698"
# Longer than one SMS leaves for IT's text once "Driftinfo <system>: " is in front, shorter than the spoken limit.
LONG_ANNOUNCEMENT = "Viva har driftstörning sedan 14.00. " + "IT-enheten arbetar med felet och återkommer. " * 3
# Each kind of SMS the line can send, by the start of where every_text says it comes from.
KINDS = {
    "menu": ": menu",
    "checklist step": "steps[",
    "outcome of a rule": "rules[",
    "manager, nobody accepted": "whisper.sms (",
    "manager, incident": "whisper.incident_sms",
    **{f"sms.{name}": f"sms.{name}" for name in LINE.messages.texts["sms"]
       if name not in BUILT_TEXTS or name == "which_system"},
}


@cache
def every_text_at(moment: str) -> tuple[tuple[str, str], ...]:
    """Every text the line can send at a moment (Stockholm time), rendered once for all the tests below."""
    return tuple(every_text(LINE, datetime.fromisoformat(moment).replace(tzinfo=ZoneInfo("Europe/Stockholm"))))


def texts_of(kind: str) -> list[tuple[str, str]]:
    """Every rendering of one kind, at a weekday and before a long holiday."""
    return [(where, text) for moment in ("2026-11-25T10:00", "2026-12-23T22:00")
            for where, text in every_text_at(moment) if KINDS[kind] in where]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_of_sms_is_one_segment(kind: str) -> None:
    texts = texts_of(kind)
    assert texts, f"the check renders no {kind} SMS"
    assert [(where, gsm7_septets(text), text) for where, text in texts if not fits_one_segment(text)] == []


def test_every_sms_text_is_checked_somewhere() -> None:
    assert set(LINE.messages.texts["sms"]) <= {kind.removeprefix("sms.") for kind in KINDS} | set(BUILT_TEXTS)


def test_the_question_again_is_checked_with_every_steps_own_question() -> None:
    texts = {text for _, text in texts_of("checklist step")}
    for checklist in LINE.library.checklists:
        for step in checklist.steps:
            for lang in LINE.settings.languages:
                hints = ("answer_hint_unknown", "bad_answer_unknown") if step.allows_unknown else (
                    "answer_hint", "bad_answer")
                for hint in hints:
                    assert LINE.messages.get("sms", hint, lang, text=step.ask[lang]) in texts


def test_which_system_is_checked_with_the_three_longest_names() -> None:
    (where, text), *_ = texts_of("sms.which_system")
    assert all(name in text for name in ("Trygghetslarm", "Viva omsorg", "Cosmic Link")), text


def test_manager_sms_is_rendered_with_every_fact_and_a_15_digit_caller() -> None:
    texts = [text for _, text in texts_of("manager, nobody accepted")]
    longest = max(texts, key=len)
    assert "+999999999999999" in longest and "Alfa e-Care" in longest
    # All five facts of Alfa e-Care in one message, some of them answered "vet inte".
    assert all(label in longest for label in ("flera berörs", "nätet ok", "kan logga in", "ingen online"))
    assert "Okänt: " in longest and "alla steg gjorda" in longest


def test_outage_notice_is_one_segment_for_the_longest_announcement_allowed() -> None:
    """The notice a texter gets is one SMS; a longer announcement is refused when posted (below)."""
    from ivr.channels.sms.check import notice_room

    for checklist in LINE.library.checklists:
        room = notice_room(LINE, checklist.id)
        assert room >= 100
        notices = [LINE.messages.get("sms", "notice", lang, system=checklist.name[lang], text="x" * room)
                   for lang in LINE.settings.languages]
        assert all(fits_one_segment(notice) for notice in notices)
        assert not all(fits_one_segment(notice + "x") for notice in notices)  # room is the most that fits


def test_manager_sms_as_sent_after_nobody_accepts_is_one_segment(
    app: Flask, twilio: Twilio, clock: FrozenClock
) -> None:
    clock.set("2026-11-25T22:00")
    twilio.call("/voice")
    for key in "9 2 2 2 2 2 2 2 1".split():  # Alfa e-Care, nobody can browse: Chef i beredskap
        twilio.call("/voice/input", Digits=key)
    for attempt in range(2):
        twilio.call(f"/voice/dial/on_call?attempt={attempt}", DialCallStatus="no-answer")
    sent = app.extensions["ivr.notifier"].sent
    assert [sms["to"] for sms in sent] == ["+46701740610", CALLER]  # the manager's SMS, then the receipt saying so
    for sms in sent:
        assert "Alfa e-Care" in sms["body"]
    assert fits_one_segment(sent[0]["body"]), (gsm7_septets(sent[0]["body"]), sent[0]["body"])
    assert (gsm7_septets(sent[1]["body"]) or 999) <= TWO_SEGMENTS_SEPTETS, sent[1]["body"]  # the receipt: two at most


def test_too_long_announcement_is_refused_by_the_cli(database_url: str) -> None:
    result = CliRunner().invoke(main, ["announce", "viva", LONG_ANNOUNCEMENT, "--database", database_url])
    assert result.exit_code == 1
    assert "at most 139 characters fit in one SMS" in result.output
    assert CliRunner().invoke(main, ["announce", "--list", "--database", database_url]).output == ""


def test_too_long_announcement_is_refused_by_admin_sms(app: Flask, twilio: Twilio, clock: FrozenClock) -> None:
    response = twilio.post("/sms", From=ADMIN, To=LINE_NUMBER, Body=f"DRIFT viva {LONG_ANNOUNCEMENT}",
                           MessageSid="SM" + "7" * 32)
    replies = [node.text or "" for node in ET.fromstring(response.data).iter("Message")]
    assert len(replies) == 1 and "at most 139 characters fit in one SMS" in replies[0]
    assert fits_one_segment(replies[0])
    assert app.extensions["ivr.store"].announcements(clock()) == {}


def test_refusal_of_typographic_announcement_by_sms_is_itself_plain_sms(app: Flask, twilio: Twilio) -> None:
    response = twilio.post("/sms", From=ADMIN, To=LINE_NUMBER, Body="DRIFT viva Det är ’trasigt’",
                           MessageSid="SM" + "8" * 32)
    replies = [node.text or "" for node in ET.fromstring(response.data).iter("Message")]
    assert len(replies) == 1 and "U+2019" in replies[0]  # the character named, not sent
    assert fits_one_segment(replies[0]), replies[0]


@pytest.mark.parametrize("groups", [
    None,  # the shipped wording
    {"fact_yes": "Ja, det stämmer att {text}", "fact_no": "{text}", "fact_unknown": "Vet ej: {text} (frågat)"},
])
def test_the_manager_sms_check_sees_the_longest_text_and_every_character_of_all_fact_combinations(
        groups: dict[str, str] | None) -> None:
    # The start-up check builds one set of facts per shape (render.fact_shapes), not every combination.
    line = LINE
    if groups is not None:
        wording = {name: {"sv": text, "en": text} for name, text in groups.items()}
        whisper = {**LINE.messages.texts["whisper"], **wording}
        line = replace(LINE, messages=replace(LINE.messages, texts={**LINE.messages.texts, "whisper": whisper}))

    def texts(checklist: Checklist, facts_sets: Iterable[dict[str, Answer]]) -> list[str]:
        return [manager_sms(line, Decision(Outcome.ON_CALL_MANAGER, checklist.id, facts), LONGEST_CALLER,
                            LONGEST_MOMENT) for facts in facts_sets]

    for checklist in line.library.checklists:
        every, shapes = texts(checklist, fact_combinations(checklist)), texts(checklist, fact_shapes(checklist))
        assert len(shapes) <= 7 and set(shapes) <= set(every)
        assert max(map(len, shapes)) == max(map(len, every)), checklist.id
        assert set("".join(shapes)) == set("".join(every)), checklist.id
