"""Checklists in words: what the words say a caller hears and reads is what the line does say."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

import pytest
from flask import Flask

from flows.line import load_line
from ivr.reports.checklist_words import checklist_words, render_fragment
from tests.conftest import Twilio

LINE = load_line()
WORDS = {system.id: system for system in checklist_words(LINE)}


def written(say: ET.Element) -> str:
    """A <Say>'s words as written: a <sub> as the word it stands for, SSML tags as their text."""
    parts: list[str] = [say.text or ""]
    for child in say:
        if child.tag != "break":
            parts.append(written(child))
        parts.append(child.tail or "")
    return " ".join("".join(parts).split())


def heard(body: bytes) -> list[str]:
    return [written(say) for say in ET.fromstring(body).iter("Say")]


@pytest.mark.parametrize("system", [checklist.id for checklist in LINE.library.checklists])
def test_the_first_two_steps_read_as_the_line_says_them(app: Flask, twilio: Twilio, system: str) -> None:
    words = WORDS[system]
    twilio.call("/voice")
    first = heard(twilio.call("/voice/input", Digits=str(words.key)).data)
    assert " ".join(first).endswith(" ".join(words.steps[0].voice)), first
    step_one = LINE.library.by_id(system).steps[0]
    answer = "2" if step_one.on_no.value == "next" else "1"  # the answer that goes on to step 2
    second = heard(twilio.call("/voice/input", Digits=answer).data)
    assert " ".join(second) == " ".join(words.steps[1].voice), second


@pytest.mark.parametrize("system", ["viva", "npo", "trygghetslarm"])
def test_the_sms_reads_as_the_line_texts_it(app: Flask, twilio: Twilio, system: str) -> None:
    words = WORDS[system]
    body = twilio.post("/sms", From="+46701740601", To="+46141225000", Body=str(words.name),
                       MessageSid="SM" + "1" * 32).data
    texts = [" ".join((node.text or "").split()) for node in ET.fromstring(body).iter("Message")]
    assert words.steps[0].sms in texts, texts


def test_routing_is_in_words_for_each_kind_of_hours() -> None:
    assert WORDS["viva"].routing == (
        "Kontorstid: Viva-supporten",
        "Efter kontorstid: Chef i beredskap när alla steg är gjorda, annars IT-supporten när den öppnar",
    )
    assert WORDS["viva"].steps[0].answers == ("Ja: klart, problemet är löst.",)
    assert WORDS["viva"].steps[1].voice[-2:] == ("Ja 1, nej 2, vet inte 3.", "Mer tid 5.")
    english = {system.id: system for system in checklist_words(LINE, "en")}
    assert english["viva"].routing[0].startswith("Office hours:")


def test_the_fragment_is_well_formed_and_escapes_the_yaml() -> None:
    viva = WORDS["viva"]
    hostile = dataclasses.replace(viva, name="<script>alert(1)</script>", steps=(
        dataclasses.replace(viva.steps[0], sms="Svara JA & NEJ <b>"), *viva.steps[1:]))
    fragment = render_fragment([hostile, WORDS["npo"]])
    root = ET.fromstring(f"<div>{fragment}</div>")  # well-formed
    assert "<script>" not in fragment and "&lt;script&gt;" in fragment and "JA &amp; NEJ &lt;b&gt;" in fragment
    sections = root.findall("section")
    assert [section.get("id") for section in sections] == ["checklist-viva", "checklist-npo"]
    assert sections[0].get("aria-labelledby") == "checklist-viva-name"
    assert len(sections[1].findall("ol/li")) == len(WORDS["npo"].steps)
