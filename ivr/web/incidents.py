"""What the line knows of other callers: IT's announcement and recent reports (incidents).

A report is a caller who *finished* a system's checklist without it being solved. Reports are told
to the next caller with her first question; they never answer, skip or override a step for her, and
never route her call. The on-call manager's incident SMS counts reports only, and is sent only when
this caller's own answers send her to Chef i beredskap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from flows.events import EventKind
from flows.model import Outcome
from flows.routing import Decision
from ivr.notify import NotifyError
from ivr.store import SessionRecord
from ivr.web.turn_context import turn_context

# Outcomes that are no report: the checklist solved the problem, or the caller heard IT's
# announcement of the outage and ended there (IT already knows).
NOT_REPORTS = frozenset({Outcome.RESOLVED, Outcome.DEFLECTED})
# Reports are told from two others on ("2 kollegor ..."), and from the threshold less this caller.
MIN_TOLD = 2


@dataclass(frozen=True)
class Intake:
    """What the caller is told when she chooses a system: IT's announcement and other callers' reports."""

    announcement: str | None = None
    reports: int = 0  # other callers who finished this checklist unresolved within the window
    incident: bool = False  # the reports are told: with this caller they would reach the threshold


def system_chosen(record: SessionRecord, system: str) -> Intake:
    """The announcement and recent reports for a system: to tell the caller, never to answer for her."""
    context = turn_context()
    line, store, now = context.line, context.store, context.now
    window = timedelta(minutes=line.settings.incident_window_minutes)
    # Reporters within the window, this caller left out (she is asking, not reporting yet): one index range.
    others = store.other_reporters(system, now - window, now, record.caller_key, via=record)
    announcement = store.announcements(now, via=record).get(system)
    return Intake(announcement=str(announcement["text"]) if announcement else None, reports=others,
                  incident=others >= max(MIN_TOLD, line.settings.incident_threshold - 1))


def checklist_finished(record: SessionRecord, decision: Decision, line_number: str) -> None:
    """Count a finished, unresolved checklist as a report; alert the manager when this caller goes to her."""
    if decision.outcome in NOT_REPORTS:
        return
    context = turn_context()
    line, store, now = context.line, context.store, context.now
    system = decision.checklist_id
    window = timedelta(minutes=line.settings.incident_window_minutes)
    store.report(record, system, now, window)
    # Only a caller whose own answers send her to Chef i beredskap can make the incident SMS: a solved
    # problem, a supplier's outage or an office-hours route never wakes the manager.
    if decision.outcome is not Outcome.ON_CALL_MANAGER or context.office_hours:
        return
    count = store.reporter_count(system, now - window, now, via=record)
    if count >= line.settings.incident_threshold:
        alert_once(record, system, incident_began(record, system, window), count, line_number)


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
