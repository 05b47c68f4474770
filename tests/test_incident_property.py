"""Incidents never answer for a caller: several callers on one line, random answers, after hours.

Callers interleave their calls about a few systems on one database, so other callers' reports
(finished, unresolved checklists) exist in every amount: none, below the threshold, an incident;
and each system starts with an incident in a random state (none, open, acknowledged, escalated,
resolved), while the manager presses 1 on some of the calls put through (acknowledging).
Whenever a call is put through to Chef i beredskap, the engine's routing of *that call's own
answers* (its answer events, nothing else) must give on_call_manager; she is never rung twice for
one acknowledged incident within its window; and she gets at most one incident SMS per system.

It runs through the signed webhooks on a fresh SQLite database per example.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.incidents import IncidentState
from flows.model import UNKNOWN, Answer, Outcome
from flows.routing import Context, route
from ivr import create_app
from ivr.store.incidents import IncidentStore
from tests.conftest import LINE_NUMBER, FrozenClock, Twilio, app_config, from_template, local

EXAMPLES = int(os.environ.get("INCIDENT_EXAMPLES", "25"))
SYSTEMS = ["1", "2", "4", "8"]  # Viva, Viva omsorg, NPÖ, Trygghetslarm: each has a several-users step
SYSTEM_IDS = {"1": "viva", "2": "viva_omsorg", "4": "npo", "8": "trygghetslarm"}
STATES = [None, *IncidentState]  # each system's incident before the first call, if any
ROSTER = {"+46701740610", "+46701740611", "+46701740612", "+46701740613"}
AFTER_HOURS = Context(office_hours=False, may_escalate=True)


class Line:
    """The line under test and what it has done."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.twilio = Twilio(app.test_client())
        self.checked = 0  # calls put through to Chef i beredskap, each checked
        self.acknowledged: set[str] = set()  # systems whose incident the manager knows: never rung again

    def call(self, index: int, caller: str, system: str, keys: list[str], accept: bool = False) -> None:
        """One whole call: the system's key, then keys until the call ends or the keys run out."""
        sid = f"CA{index:032d}"
        body = self.twilio.post("/voice", CallSid=sid, From=caller, To=LINE_NUMBER).data
        for key in [system, *keys]:
            root = ET.fromstring(body)
            gather = root.find("Gather")
            if gather is None:
                break
            body = self.twilio.post(str(gather.get("action")), CallSid=sid, From=caller, To=LINE_NUMBER,
                                    Digits=key).data
        if any(number.get("url", "").startswith("/voice/whisper") for number in ET.fromstring(body).iter("Number")):
            self.own_answers_send_her_to_the_manager(f"voice:{sid}")
            assert SYSTEM_IDS[system] not in self.acknowledged, f"the manager was rung again about {system}"
            if accept:  # she presses 1: she knows now
                self.twilio.post(f"/voice/whisper/accept?call={sid}&attempt=0", CallSid="CA" + "f" * 32, Digits="1")
                self.acknowledged.add(SYSTEM_IDS[system])

    def own_answers_send_her_to_the_manager(self, session: str) -> None:
        self.checked += 1
        library = self.app.extensions["ivr.line"].library
        events = self.app.extensions["ivr.store"].events(session)
        chosen = max(i for i, event in enumerate(events) if event["kind"] == "system_chosen")
        checklist = library.by_id(str(events[chosen]["system"]))
        answers: dict[str, Answer] = {}
        for event in events[chosen:]:
            if event["kind"] == "answer":
                data = event["data"]
                answers[data["step"]] = UNKNOWN if data.get("answer") == "unknown" else bool(data["yes"])
        assert route(checklist, answers, AFTER_HOURS).outcome is Outcome.ON_CALL_MANAGER, (checklist.id, answers)

    def incident_sms(self) -> list[str]:
        return [m["body"] for m in self.app.extensions["ivr.notifier"].sent
                if m["kind"] == "sms" and m["to"] in ROSTER and "anmälningar" in m["body"]]


def calls() -> st.SearchStrategy[list[tuple[int, str, list[str]]]]:
    """Calls, each choosing a system, pressing random answer keys, and whether the manager would press 1."""
    keys = st.lists(st.sampled_from(["1", "2", "2", "3"]), min_size=1, max_size=7)
    return st.lists(st.tuples(st.sampled_from(SYSTEMS), keys, st.booleans()), min_size=3, max_size=9)


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(story=calls(), states=st.lists(st.sampled_from(STATES), min_size=len(SYSTEMS), max_size=len(SYSTEMS)))
def test_chef_i_beredskap_only_from_the_callers_own_answers(
        tmp_path_factory: Any, migrated_sqlite: Path, story: list[tuple[str, list[str], bool]],
        states: list[IncidentState | None]) -> None:
    run(Path(tmp_path_factory.mktemp("incident")), migrated_sqlite, story,
        dict(zip(SYSTEM_IDS.values(), states, strict=True)))


def run(folder: Path, template: Path, story: list[tuple[str, list[str], bool]],
        states: dict[str, IncidentState | None] | None = None) -> Line:
    clock = FrozenClock(local("2026-11-25T22:00"))
    url = f"sqlite:///{folder / 'line.sqlite3'}"
    from_template(url, template)  # a fresh line: a copy of the migrated template
    app = create_app(app_config(url, clock))
    try:
        line = Line(app)
        incidents = IncidentStore(app.extensions["ivr.store"])
        for system, state in (states or {}).items():
            if state is not None:  # an incident from earlier this evening, in this state
                found = incidents.open(None, system, IncidentState.OPEN, local("2026-11-25T21:30"))
                if state is not IncidentState.OPEN:
                    incidents.move(found, state, "anna", local("2026-11-25T21:40"))
                if state in (IncidentState.ACKNOWLEDGED, IncidentState.ESCALATED):
                    line.acknowledged.add(system)
        for index, (system, keys, accept) in enumerate(story):
            # Each call from its own staff phone (the shipped work-mobile prefix): other callers' reports,
            # never her own earlier call resumed (tests/test_situation_property.py covers resume).
            line.call(index, f"+467017407{index:02d}", system, keys, accept)
            clock.moment = clock.moment.replace(minute=clock.moment.minute + 1)  # all within the window
        sms = line.incident_sms()
        systems = [body.split(" om ")[1].split(" sedan")[0] for body in sms]
        assert len(systems) == len(set(systems)), sms  # one incident SMS per system and window
        return line
    finally:
        app.extensions["ivr.store"].dispose()


def test_the_property_is_checked_on_incidents_that_reach_the_manager(tmp_path: Path, migrated_sqlite: Path) -> None:
    """Not vacuous: three Viva omsorg callers with several users make an incident and are each checked."""
    several = ["1", "1", "2", "2"]  # several users, network fine, restart no, other phone no
    line = run(tmp_path / "a", migrated_sqlite, [("2", several, False), ("2", several, False), ("2", several, False),
                                ("2", ["2", "1", "2", "2"], False)])
    assert line.checked == 3
    assert len(line.incident_sms()) == 1
    # The manager presses 1 on the first: the next two (going through anyway) are not put through again.
    line = run(tmp_path / "b", migrated_sqlite,
               [("2", several, True), ("2", ["1", *several], False), ("2", ["1", *several], False)])
    assert line.checked == 1 and line.acknowledged == {"viva_omsorg"}
