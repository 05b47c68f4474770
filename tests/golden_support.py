"""What the voice and SMS golden tests share: the app a case runs on, and rewriting a case file."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from flask import Flask

from flows.directory import Directory
from flows.incidents import IncidentState
from flows.ticket_settings import SPEC, TicketSettings
from ivr import create_app
from ivr.notify import LogNotifier
from ivr.simulator.common import PUBLIC_URL
from ivr.simulator.tickets import RecordingBackend
from ivr.store.incidents import IncidentStore
from tests.conftest import state_dir

STOCKHOLM = ZoneInfo("Europe/Stockholm")
TOKEN = "golden-token-not-a-secret"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def after_decline_time(app: Flask) -> dict[str, Any] | None:
    """With `tickets:`, the outbox run once the caller can no longer decline: the tickets filed, and the SMS
    sent then (a receipt that mentions a ticket waits as long); None for a case without tickets."""
    backend = app.extensions.get("ivr.ticket_backend")
    if not isinstance(backend, RecordingBackend):
        return None
    notifier = app.extensions["ivr.notifier"]
    seen = len(notifier.sent)
    grace = timedelta(seconds=app.extensions["ivr.line"].settings.tickets.decline_seconds + 1)
    app.extensions["ivr.outbox"].send_due(app.extensions["ivr.clock"]() + grace)
    return {"tickets": backend.filed,
            "sms": [str(sent["body"]) for sent in notifier.sent[seen:] if sent["kind"] == "sms"]}


def read_case(path: Path) -> dict[str, Any]:
    """One case file, as yaml.safe_load reads it, on libyaml's parser where PyYAML has it (the pure-Python
    parser took ~3 s of CPU in each golden module: every case is read at collection and by its test)."""
    case = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    assert isinstance(case, dict), f"{path.name}: not a mapping"
    return case


@contextmanager
def golden_app(case: dict[str, Any], database_url: str) -> Iterator[Flask]:
    """A fresh app on the given database with the clock frozen at the case's `at` (Stockholm time).

    `speech: true` turns on speech input (off in the shipped line.yaml), as an IT unit would.
    """
    moment = datetime.fromisoformat(str(case["at"])).replace(tzinfo=STOCKHOLM)
    app = create_app({
        "TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_URL": PUBLIC_URL, "DATABASE_URL": database_url,
        "CLOCK": lambda: moment, "NOTIFIER": LogNotifier(), "STATE_DIR": state_dir(),
    })
    # `announcements: {alla: ..., viva: ...}`: posted before the call, as `ivr announce` would.
    for system, text in (case.get("announcements") or {}).items():
        app.extensions["ivr.store"].announce(str(system), str(text), None, moment, by="golden")
    # `directory: {"+46701740699": Solgårdens äldreboende}`: staff.directory, as the IT unit's CSV would give it.
    if case.get("directory"):
        line = app.extensions["ivr.line"]
        directory = Directory("golden", {str(number): str(place) for number, place in case["directory"].items()})
        app.extensions["ivr.line"] = replace(line, settings=replace(line.settings, staff_directory=directory))
    # `known_incidents: {viva: "21:50"}`: Chef i beredskap acknowledged an incident about the system at
    # that time of the case's day (as pressing 1 on a call about it would), so callers are told she knows.
    # `{viva: {at: "21:50", callers: {"+46701740601": {multiple_users: true}}}}`: and these callers had
    # finished its checklist with those facts (their workplaces from `directory`).
    for system, known in (case.get("known_incidents") or {}).items():
        clock, callers = (known["at"], known.get("callers") or {}) if isinstance(known, dict) else (known, {})
        at = datetime.fromisoformat(f"{moment:%Y-%m-%d}T{clock}").replace(tzinfo=STOCKHOLM)
        incidents = IncidentStore(app.extensions["ivr.store"])
        opened = incidents.open(None, str(system), IncidentState.ACKNOWLEDGED, at, by="anna")
        settings = app.extensions["ivr.line"].settings
        for index, (number, facts) in enumerate(callers.items()):
            with app.extensions["ivr.store"].session(f"voice:golden-{index}", "voice", at, caller=None) as record:
                record.caller_key = f"golden:{index}"
                place = settings.staff_directory.workplace_of(str(number)) if settings.staff_directory else None
                incidents.join(record, opened, at, dict(facts or {}), place, "sv")
    # `tickets: true` (or `{caller_number: false}`): a ticket backend on (off in the shipped line.yaml), as an
    # IT unit would set one up; the tickets go to a RecordingBackend, and `expected.after_decline_time` holds them.
    if case.get("tickets"):
        line = app.extensions["ivr.line"]
        chosen = case["tickets"] if isinstance(case["tickets"], dict) else {}
        tickets = TicketSettings("webhook", caller_number=bool(chosen.get("caller_number", True)),
                                 options={**SPEC["webhook"][1], "url": "https://itsm.invalid/golden"})
        app.extensions["ivr.line"] = replace(line, settings=replace(line.settings, tickets=tickets))
        app.extensions["ivr.ticket_backend"] = RecordingBackend()
    if case.get("speech"):
        line = app.extensions["ivr.line"]
        app.extensions["ivr.line"] = replace(line, settings=replace(line.settings, speech_enabled=True))
    # `receipt_outcomes: [resolved, ...]`: line.yaml's receipt.outcomes for this case, as an IT unit may set it
    # (the shipped list leaves resolved and deflected out).
    if case.get("receipt_outcomes") is not None:
        line = app.extensions["ivr.line"]
        outcomes = frozenset(str(outcome) for outcome in case["receipt_outcomes"])
        app.extensions["ivr.line"] = replace(line, settings=replace(line.settings, receipt_outcomes=outcomes))
    # `staff_pin: "7"`: a staff code in the environment (staff.pin_env), as an IT unit may set one; one digit,
    # since a golden call presses one key per prompt.
    name = app.extensions["ivr.line"].settings.staff_pin_env
    saved = os.environ.get(name) if name else None
    if case.get("staff_pin") is not None and name:
        os.environ[name] = str(case["staff_pin"])
    try:
        yield app
    finally:
        app.extensions["ivr.store"].dispose()
        if case.get("staff_pin") is not None and name:
            if saved is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = saved


def write_case(path: Path, case: dict[str, Any], inputs: tuple[str, ...], expected: dict[str, Any]) -> None:
    """Rewrite a case file: its inputs as they were, then the new expected section."""
    data = {key: case[key] for key in inputs if key in case}
    data["at"] = str(data["at"])
    if "sends" in data:
        data["sends"] = [str(send) for send in data["sends"]]
    data["expected"] = expected
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100), encoding="utf-8")
