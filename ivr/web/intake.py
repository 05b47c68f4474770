"""What the line knows when a system is chosen: IT's announcement and recent reports (incidents)."""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app

from flows.engine import Turn, needs_pin, reroute
from flows.routing import Context
from ivr import deps
from ivr.notify import NotifyError
from ivr.store import SessionRecord


@dataclass(frozen=True)
class Intake:
    """Announcement, incident and the facts they make known."""

    announcement: str | None = None
    incident: bool = False
    known: dict[str, bool] = field(default_factory=dict)


def system_chosen(record: SessionRecord, system: str, line_number: str) -> Intake:
    """Look up announcements and recent reports for a system; alert the on-call manager once per incident."""
    line, store, now = deps.line(), deps.store(), deps.now()
    window = timedelta(minutes=line.settings.incident_window_minutes)
    # The reporters within the window, this caller included: one index range, whatever the traffic.
    count = store.reporter_count(system, now - window, now, also=record.caller_key, via=record)
    incident = count >= line.settings.incident_threshold
    if incident and not line.calendar.is_office_hours(now):
        alert_once(record, system, incident_began(record, system, window), count, line_number)
    announcement = store.announcements(now, via=record).get(system)
    return Intake(
        announcement=str(announcement["text"]) if announcement else None,
        incident=incident,
        known={"multiple_users": True} if incident else {},
    )


def step_answered(record: SessionRecord, system: str | None) -> None:
    """Count the caller as reporting a system: only an answered step counts, not a key pressed and hung up."""
    if system is None:
        return
    window = timedelta(minutes=deps.line().settings.incident_window_minutes)
    deps.store().report(record, system, deps.now(), window)


def incident_began(record: SessionRecord, system: str, window: timedelta) -> datetime:
    """When this incident's run of reports began (its one SMS is keyed by that moment)."""
    now = deps.now()
    run = deps.store().incident_run(system, via=record)
    if run is None or run[1] <= now - window:
        return now  # no report within a window: this caller's report starts the run
    return run[0]


def alert_once(record: SessionRecord, system: str, first: datetime, count: int, line_number: str) -> None:
    """One SMS to the on-call manager per incident, however many callers and instances."""
    line, now = deps.line(), deps.now()
    # The claim lives in this session's transaction: if the turn fails, another caller may alert.
    if not record.claim(f"incident:{system}:{first.astimezone(ZoneInfo('UTC')):%Y%m%dT%H%M%S}"):
        return
    lang = line.settings.default_language
    local = line.calendar.local(first)
    body = line.messages.get("whisper", "incident_sms", lang, count=count,
                             system=line.library.by_id(system).name[lang], time=f"{local:%H.%M}")
    manager = line.roster.chain_at(now)[0]
    try:
        sid = deps.notifier().send_sms(manager.number, line_number, body)
    except NotifyError as exc:
        current_app.logger.error("incident SMS failed: %s", exc)
        record.add_event("incident_alert_failed", {"count": count}, system)
        return
    record.add_event("incident_alert", {"count": count, "first_report": first.isoformat(), "sid": sid}, system)


def staff_pin() -> str | None:
    """The PIN that lets a phone off the staff list escalate, if one is set in the environment."""
    name = deps.line().settings.staff_pin_env
    pin = os.environ.get(name, "") if name else ""
    return pin or None


def pin_matches(entered: str) -> bool:
    """Compare in constant time, so the PIN cannot be found by timing."""
    pin = staff_pin()
    return bool(pin) and hmac.compare_digest(entered.strip().encode(), str(pin).encode())


def offers_pin(turn: Turn, context: Context) -> bool:
    """True when a PIN is set and only the staff check stands between this caller and Chef i beredskap."""
    return staff_pin() is not None and needs_pin(deps.line().library, turn.state, context)


MAX_PIN_TRIES = 3
ACCEPTED, RETRY, GIVE_UP = "accepted", "retry", "give_up"


def settle_pin(record: SessionRecord, result: str, standing: Turn, context: Callable[[], Context]) -> Turn | None:
    """Record an answer to the staff-code question (a pin_attempt result) in either channel.

    The turn that decides the conversation now: routed again as staff after the
    right code, or the decision that stood before; None to ask for the code again.
    context is called only after the right code, when the caller may escalate.
    """
    if result == ACCEPTED:
        record.add_event("pin_accepted", {}, standing.state.checklist)
        return reroute(deps.line().library, standing.state, context())
    if result == RETRY:
        record.add_event("pin_refused", {}, standing.state.checklist)
        return None
    return standing


def pin_attempt(pin: dict[str, Any], entered: str, skipped: bool) -> tuple[str, dict[str, Any]]:
    """One answer to the staff-code question: (ACCEPTED | RETRY | GIVE_UP, the new pin state)."""
    if pin_matches(entered):
        return ACCEPTED, {"ok": True}
    tries = int(pin.get("tries", 0)) + 1
    if not skipped and tries < MAX_PIN_TRIES:
        return RETRY, {"tries": tries}
    return GIVE_UP, {}
