"""What the line knows when a system is chosen: IT's announcement and recent reports (incidents)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from flows.events import EventKind
from ivr.notify import NotifyError
from ivr.store import SessionRecord
from ivr.web.turn_context import turn_context


@dataclass(frozen=True)
class Intake:
    """Announcement, incident and the facts they make known."""

    announcement: str | None = None
    incident: bool = False
    known: dict[str, bool] = field(default_factory=dict)


def system_chosen(record: SessionRecord, system: str, line_number: str) -> Intake:
    """Look up announcements and recent reports for a system; alert the on-call manager once per incident."""
    context = turn_context()
    line, store, now = context.line, context.store, context.now
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
    context = turn_context()
    window = timedelta(minutes=context.line.settings.incident_window_minutes)
    context.store.report(record, system, context.now, window)


def incident_began(record: SessionRecord, system: str, window: timedelta) -> datetime:
    """When this incident's run of reports began (its one SMS is keyed by that moment)."""
    context = turn_context()
    now = context.now
    run = context.store.incident_run(system, via=record)
    if run is None or run[1] <= now - window:
        return now  # no report within a window: this caller's report starts the run
    return run[0]


def alert_once(record: SessionRecord, system: str, first: datetime, count: int, line_number: str) -> None:
    """One SMS to the on-call manager per incident, however many callers and instances."""
    context = turn_context()
    line, now = context.line, context.now
    # The claim lives in this session's transaction: if the turn fails, another caller may alert.
    if not record.claim(f"incident:{system}:{first.astimezone(ZoneInfo('UTC')):%Y%m%dT%H%M%S}"):
        return
    lang = line.settings.default_language
    local = line.calendar.local(first)
    body = line.messages.get("whisper", "incident_sms", lang, count=count,
                             system=line.library.by_id(system).name[lang], time=f"{local:%H.%M}")
    manager = line.roster.chain_at(now)[0]
    try:
        sid = context.notifier.send_sms(manager.number, line_number, body)
    except NotifyError as exc:
        current_app.logger.error("incident SMS failed: %s", exc)
        record.add_event(EventKind.INCIDENT_ALERT_FAILED, {"count": count}, system)
        return
    record.add_event(EventKind.INCIDENT_ALERT, {"count": count, "first_report": first.isoformat(), "sid": sid}, system)
