"""The safety property with the caller's situation: Chef i beredskap only after every step.

Whatever a caller does on a call, with more time (5), going on by SMS (8), hanging
up and calling again (resume or start over), texting ja/nej/RING afterwards: a dial
to Chef i beredskap, or a call-back for RING, comes only when the conversation
holds an answer to every step of its checklist, each answer one the caller gave
(an audit event). And every voice answer tells the caller what to do next.

It runs through the signed webhooks on a fresh database per example (SQLite).
tests/test_engine.py holds the same property for the engine alone.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivr import create_app
from tests.conftest import CALLER, LINE_NUMBER, FrozenClock, Twilio, app_config, from_template, local, sms_session

EXAMPLES = int(os.environ.get("SITUATION_EXAMPLES", "40"))
# Answers more often than the rest, so that many examples get through a whole checklist.
ACTIONS = ["1", "1", "2", "2", "2", "3", "5", "8", "*", "0", "-", "drop",
           "sms:ja", "sms:nej", "sms:nej", "sms:vet inte", "sms:RING"]


class Caller:
    """One carer's phone: calls (and calls again), keys, texts; checks every answer it gets."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.twilio = Twilio(app.test_client())
        self.calls = 0
        self.sid = ""
        self.action: str | None = None  # where the current call's next key goes (None: no call)
        self.texts = 0
        self.checked = 0  # on-call dials and call-backs checked

    def dial_line(self) -> None:
        self.calls += 1
        self.sid = f"CA{self.calls:032d}"
        self.heard(self.twilio.call("/voice", sid=self.sid).data)

    def press(self, digits: str) -> None:
        if self.action is None:
            self.dial_line()
        if self.action is not None:
            self.heard(self.twilio.call(self.action, sid=self.sid, Digits=digits).data)

    def hang_up(self) -> None:
        if self.action is not None:
            self.twilio.call("/voice/status", sid=self.sid, CallStatus="completed")
            self.action = None

    def text(self, body: str) -> None:
        self.texts += 1
        sent = len(self.notifier_sent())
        response = self.twilio.post("/sms", From=CALLER, To=LINE_NUMBER, Body=body, MessageSid=f"SM{self.texts:032d}")
        assert response.status_code == 200
        for item in self.notifier_sent()[sent:]:
            if item["kind"] == "call":  # RING placed a call-back to bridge to Chef i beredskap
                record = self.app.extensions["ivr.store"].get(sms_session(self.app, CALLER))
                assert record is not None
                self.every_step_answered(record.data["state"])

    def heard(self, body: bytes) -> None:
        """A voice answer: valid TwiML that says what to do next; an on-call dial only after every step."""
        root = ET.fromstring(body)
        assert root.tag == "Response"
        tags = [child.tag for child in root]
        gather = root.find("Gather")
        self.action = None
        if gather is not None:
            assert gather.find("Say") is not None  # never a silent question
            self.action = str(gather.get("action"))
            return
        assert "Say" in tags  # every ending says something first
        if any(number.get("url", "").startswith("/voice/whisper") for number in root.iter("Number")):
            record = self.app.extensions["ivr.store"].get(f"voice:{self.sid}")
            assert record is not None
            self.every_step_answered(record.data["state"])
        else:
            assert tags[-1] in ("Hangup", "Dial")

    def every_step_answered(self, state: dict[str, Any]) -> None:
        self.checked += 1
        decision = state["decision"]
        assert decision is not None and decision["outcome"] == "on_call_manager"
        checklist = self.app.extensions["ivr.line"].library.by_id(state["checklist"])
        assert set(state["answers"]) == {step.id for step in checklist.steps}
        # An answer event holds {"yes": true/false}, or a third answer's word ("answer": "unknown").
        given_answers = {(event["data"]["step"], event["data"].get("answer", event["data"]["yes"]))
                         for event in self.app.extensions["ivr.store"].events()
                         if event["kind"] == "answer" and event["system"] == checklist.id}
        for step, value in state["answers"].items():
            assert (step, value) in given_answers, f"{step} was never answered {value} by the caller"

    def notifier_sent(self) -> list[dict[str, Any]]:
        return list(self.app.extensions["ivr.notifier"].sent)


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    system=st.sampled_from("123456789"),
    actions=st.lists(st.sampled_from(ACTIONS), max_size=24),
    after_hours=st.booleans(),
)
def test_on_call_only_after_every_step_with_more_time_sms_and_resume(
    tmp_path_factory: Any, migrated_sqlite: Path, system: str, actions: list[str], after_hours: bool,
) -> None:
    run(Path(tmp_path_factory.mktemp("situation")), migrated_sqlite, system, actions, after_hours)


def run(folder: Path, template: Path, system: str, actions: list[str], after_hours: bool = True) -> Caller:
    """One caller's whole story on a fresh line (a copy of the migrated template); the caller, with what it checked."""
    clock = FrozenClock(local("2026-11-25T22:00" if after_hours else "2026-11-25T10:00"))
    url = f"sqlite:///{folder / 'line.sqlite3'}"
    from_template(url, template)
    app = create_app(app_config(url, clock))
    try:
        caller = Caller(app)
        caller.dial_line()
        caller.press(system)
        for action in actions:
            if action == "drop":
                caller.hang_up()
                caller.dial_line()  # the same phone calls again: an offer to go on, or the menu
            elif action.startswith("sms:"):
                caller.text(action.removeprefix("sms:"))
            else:
                caller.press("" if action == "-" else action)
        return caller
    finally:
        app.extensions["ivr.store"].dispose()


def test_the_check_is_made_on_calls_that_reach_chef_i_beredskap(tmp_path: Path, migrated_sqlite: Path) -> None:
    """Not vacuous: a resumed call, a call gone on by SMS, and a call with more time do get checked."""
    # Viva omsorg: several users, network; dropped at step 3; called again, 1 goes on; no, no.
    assert run(tmp_path / "resumed", migrated_sqlite, "2", ["1", "1", "drop", "1", "2", "2"]).checked == 1
    # Viva omsorg: 8 at step 3, then by SMS: nej, nej, RING.
    assert run(tmp_path / "sms", migrated_sqlite, "2", ["1", "1", "8", "sms:nej", "sms:nej", "sms:RING"]).checked == 1
    # Viva: more time, silence, then every step.
    assert run(tmp_path / "waited", migrated_sqlite, "1", ["5", "-", "2", "5", "1", "1"]).checked == 1
