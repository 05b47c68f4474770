"""What the voice and SMS golden tests share: the app a case runs on, and rewriting a case file."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from flask import Flask

from flows.incidents import IncidentState
from ivr import create_app
from ivr.notify import LogNotifier
from ivr.simulator.common import PUBLIC_URL
from ivr.store.incidents import IncidentStore

STOCKHOLM = ZoneInfo("Europe/Stockholm")
TOKEN = "golden-token-not-a-secret"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


@contextmanager
def golden_app(case: dict[str, Any], database_url: str) -> Iterator[Flask]:
    """A fresh app on the given database with the clock frozen at the case's `at` (Stockholm time).

    `speech: true` turns on speech input (off in the shipped line.yaml), as an IT unit would.
    """
    moment = datetime.fromisoformat(str(case["at"])).replace(tzinfo=STOCKHOLM)
    app = create_app({
        "TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_URL": PUBLIC_URL, "DATABASE_URL": database_url,
        "CLOCK": lambda: moment, "NOTIFIER": LogNotifier(),
    })
    # `announcements: {alla: ..., viva: ...}`: posted before the call, as `ivr announce` would.
    for system, text in (case.get("announcements") or {}).items():
        app.extensions["ivr.store"].announce(str(system), str(text), None, moment, by="golden")
    # `known_incidents: {viva: "21:50"}`: Chef i beredskap acknowledged an incident about the system at
    # that time of the case's day (as pressing 1 on a call about it would), so callers are told she knows.
    for system, clock in (case.get("known_incidents") or {}).items():
        at = datetime.fromisoformat(f"{moment:%Y-%m-%d}T{clock}").replace(tzinfo=STOCKHOLM)
        IncidentStore(app.extensions["ivr.store"]).open(None, str(system), IncidentState.ACKNOWLEDGED, at, by="anna")
    if case.get("speech"):
        line = app.extensions["ivr.line"]
        app.extensions["ivr.line"] = replace(line, settings=replace(line.settings, speech_enabled=True))
    try:
        yield app
    finally:
        app.extensions["ivr.store"].dispose()


def write_case(path: Path, case: dict[str, Any], inputs: tuple[str, ...], expected: dict[str, Any]) -> None:
    """Rewrite a case file: its inputs as they were, then the new expected section."""
    data = {key: case[key] for key in inputs if key in case}
    data["at"] = str(data["at"])
    if "sends" in data:
        data["sends"] = [str(send) for send in data["sends"]]
    data["expected"] = expected
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100), encoding="utf-8")
