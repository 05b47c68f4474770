"""Swedlock's point 3 as a step (issue 23, part 7): the line texts välfärdsteknikgruppen for the caller, once,
before anyone is put through; a `notify:` the line cannot send is refused when the files load."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from flask import Flask
from werkzeug.test import TestResponse

from flows.checklists import parse_checklist
from flows.events import EventKind
from flows.line import DEFAULT_CHECKLISTS, DEFAULT_CONFIG, load_line
from flows.yamlfile import DataError
from tests.conftest import FrozenClock, Twilio

CALL = "CA" + "3" * 32


def action(response: TestResponse) -> str:
    """The next webhook the answer names, as Twilio would post it."""
    for element in ET.fromstring(response.get_data()).iter():
        if element.get("action"):
            parts = urlsplit(element.get("action", ""))
            return f"{parts.path}?{parts.query}"
    raise AssertionError(response.get_data(as_text=True))


def messages_to_group(app: Flask) -> list[dict[str, object]]:
    return [row for row in app.extensions["ivr.store"].outbox.rows(session_id=f"voice:{CALL}")
            if row["kind"] == "step_message"]


def swedlock_until_point_3(twilio: Twilio) -> TestResponse:
    response = twilio.call("/voice", sid=CALL)
    for key in ("7", "2", "2"):  # Swedlock; the station's guide and the security box did not help
        response = twilio.call(action(response), sid=CALL, Digits=key)
        assert ET.fromstring(response.get_data()).find("Dial") is None  # nobody is put through before point 3
    assert "Har du redan skickat det?" in response.get_data(as_text=True)
    return response


def test_not_sent_yet_the_line_texts_the_group_once_then_puts_her_through(app: Flask, clock: FrozenClock) -> None:
    clock.set("2026-11-25T22:00")
    twilio = Twilio(app.test_client())
    point_3 = action(swedlock_until_point_3(twilio))
    answers = [twilio.call(point_3, sid=CALL, Digits="2") for _ in range(3)]  # the answer, and two replays
    assert len(messages_to_group(app)) == 1  # its number is blanked once sent; the goldens show it (+46701740621)
    sent = [event for event in app.extensions["ivr.store"].events(f"voice:{CALL}")
            if event["kind"] == EventKind.STEP_MESSAGE_SENT]
    assert [(event["data"]["step"], event["data"]["to"]) for event in sent] == [("message_group", "valfardsteknik")]
    spoken = answers[0].get_data(as_text=True)
    assert spoken.index("Jag har skickat meddelandet till välfärdsteknikgruppen.") < spoken.index("<Dial")


def test_already_sent_nothing_is_sent_for_her(app: Flask, clock: FrozenClock) -> None:
    clock.set("2026-11-25T22:00")
    twilio = Twilio(app.test_client())
    answer = twilio.call(action(swedlock_until_point_3(twilio)), sid=CALL, Digits="1")
    assert messages_to_group(app) == []
    assert ET.fromstring(answer.get_data()).find("Dial") is not None


def test_a_notify_contact_without_an_sms_number_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG, config)
    line_yaml = config / "line.yaml"
    line_yaml.write_text(line_yaml.read_text(encoding="utf-8").replace(
        '    sms: "070-174 06 21"       # PLACEHOLDER: the group\'s mobile (PTS\' range for fiction)\n', ""), "utf-8")
    with pytest.raises(DataError) as caught:
        load_line(DEFAULT_CHECKLISTS, config)
    assert caught.value.problems == [
        "checklists/swedlock.yaml: steps[2].notify.to: contact 'valfardsteknik' has no 'sms' number in "
        "config/line.yaml to send the message to"]


@pytest.mark.parametrize(("notify", "problem"), [
    ("{to: valfardsteknik, answer: maybe}",
     "steps[0].notify.answer: must be yes or no: the answer on which the line sends the message"),
    ("{to: Välfärd, answer: no}",
     "steps[0].notify.to: must be a contact id from config/line.yaml, such as 'valfardsteknik'"),
    ("{to: valfardsteknik, answer: no}\n    unknown: next",
     "steps[0].notify: a step that sends a message takes only yes and no (remove 'unknown:')"),
])
def test_a_broken_notify_is_refused_with_its_path(notify: str, problem: str) -> None:
    text = f"""
id: lock
key: 7
name: {{sv: Lås, en: Lock}}
description: {{sv: Lås., en: Lock.}}
steps:
  - id: tell
    say: {{sv: Gruppen ska veta., en: The group must know.}}
    ask: {{sv: 'Har du skickat det?', en: 'Have you sent it?'}}
    notify: {notify}
rules:
  - outcome: it_support
"""
    with pytest.raises(DataError) as caught:
        parse_checklist(yaml.safe_load(text), "checklists/lock.yaml")
    assert f"checklists/lock.yaml: {problem}" in caught.value.problems
