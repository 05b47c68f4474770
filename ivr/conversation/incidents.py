"""What the line knows of other callers: IT's announcement, recent reports, and incidents.

A report is a caller who *finished* a system's checklist without it being solved. Reports are told
to the next caller with her first question; they never answer, skip or override a step for her, and
never route her call. The on-call manager's incident SMS counts reports only, and is sent only when
this caller's own answers send her to Chef i beredskap.

An incident (flows/incidents.py) opens when the reports reach the threshold, or when Chef i beredskap
takes a call (presses 1). Once she knows, a caller choosing the system is told so and may end there
with an SMS when it is fixed; a caller whose own answers would ring her again is not put through for
the same incident: she is told the manager knows, and the manager gets one SMS when the caller adds
something new (another fact, or another workplace where staff.directory names hers).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flows.events import EventKind
from flows.facts import manager_sms
from flows.incidents import Incident, IncidentState
from flows.model import LANGUAGES, Outcome
from flows.routing import Decision
from ivr import outbox
from ivr.store import SessionRecord
from ivr.store.incidents import IncidentStore
from ivr.store.null import NullIncidents
from ivr.store.outbox import Outgoing
from ivr.web.turn_context import turn_context

# Outcomes that are no report: the checklist solved the problem, the caller heard IT's announcement
# of the outage and ended there (IT already knows), or Chef i beredskap knew already.
NOT_REPORTS = frozenset({Outcome.RESOLVED, Outcome.DEFLECTED, Outcome.INCIDENT_KNOWN})
# Reports are told from two others on ("2 kollegor ..."), and from the threshold less this caller.
MIN_TOLD = 2


@dataclass(frozen=True)
class Intake:
    """What the caller is told when she chooses a system: IT's announcement and other callers' reports."""

    announcement: str | None = None
    reports: int = 0  # other callers who finished this checklist unresolved within the window
    incident: bool = False  # the reports are told: with this caller they would reach the threshold
    known: Incident | None = None  # an incident Chef i beredskap knows of: told instead of the reports

    @property
    def notice(self) -> bool:
        """Ask "go through the checklist anyway?" first: IT's announcement, or the manager knows."""
        return bool(self.announcement) or self.known is not None


def incidents() -> IncidentStore:
    """The incidents in this turn's store."""
    store = turn_context().store
    return IncidentStore(store) if store.durable else NullIncidents()


def known_for() -> timedelta:
    """How long an incident without news stays known (incidents.known_hours in line.yaml)."""
    return timedelta(hours=turn_context().line.settings.incident_known_hours)


def known_incident(record: SessionRecord, system: str) -> Incident | None:
    """The system's live incident, when Chef i beredskap knows of it."""
    found = incidents().live(system, turn_context().now, known_for(), via=record)
    return found if found is not None and found.manager_knows else None


def workplace_of(record: SessionRecord) -> str | None:
    """The caller's workplace, where staff.directory lists her number (kept only on her incident row)."""
    directory = turn_context().line.settings.staff_directory
    return directory.workplace_of(record.caller) if directory is not None else None


def system_chosen(record: SessionRecord, system: str) -> Intake:
    """The announcement, reports and known incident for a system: to tell the caller, never to answer for her."""
    context = turn_context()
    line, store, now = context.line, context.store, context.now
    window = timedelta(minutes=line.settings.incident_window_minutes)
    # Reporters within the window, this caller left out (she is asking, not reporting yet): one index range.
    others = store.other_reporters(system, now - window, now, record.caller_key, via=record)
    announcement = store.announcements(now, via=record).get(system)
    return Intake(announcement=str(announcement["text"]) if announcement else None, reports=others,
                  incident=others >= max(MIN_TOLD, line.settings.incident_threshold - 1),
                  known=None if announcement else known_incident(record, system))


def known_since(incident: Incident) -> str:
    """Since when Chef i beredskap knows, as the caller hears it: "22.04" (local time)."""
    return f"{turn_context().line.calendar.local(incident.acknowledged_at or incident.opened_at):%H.%M}"


def told_texts(incident: Incident, lang: str) -> list[str]:
    """"Chef i beredskap vet redan om felet i Viva, sedan klockan 22.04." and what "no" gives."""
    line = turn_context().line
    return [line.messages.get("voice", "incident_told", lang, system=line.library.by_id(incident.system).name[lang],
                              time=known_since(incident)),
            line.messages.get("voice", "incident_told_offer", lang)]


def settle(record: SessionRecord, decision: Decision, line_number: str) -> Decision:
    """The decision the caller gets, given what Chef i beredskap already knows.

    A caller who heard that the manager knows and ended there, or whose own answers would ring the
    manager again about an incident she has acknowledged, gets `incident_known`: an SMS when it is
    fixed, and one SMS to the manager when her answers add something new. Nothing else changes.
    """
    if decision.outcome not in (Outcome.DEFLECTED, Outcome.ON_CALL_MANAGER):
        return decision
    context = turn_context()
    if decision.outcome is Outcome.DEFLECTED and context.store.announcements(context.now, via=record).get(
            decision.checklist_id):
        return decision  # IT's announcement was the notice (it goes before a known incident)
    incident = known_incident(record, decision.checklist_id)
    if incident is None:
        return decision
    store, now = incidents(), context.now
    lang = context.line.settings.default_language
    told = decision.outcome is Outcome.DEFLECTED  # she heard it at the choice: no reason to say again
    workplace = workplace_of(record)
    if not told:
        added = adds_something(incident, decision.facts, workplace, record)
        store.join(record, incident.id, now, dict(decision.facts), workplace, lang)
        if added:
            text_manager(record, decision, line_number)
    subscribed = bool(record.caller)
    if subscribed:
        store.subscribe(record, incident.id, now, lang, workplace)
    record.add_event(EventKind.INCIDENT_TOLD, {"incident": incident.id, "sms_when_fixed": subscribed},
                     decision.checklist_id)
    messages = context.line.messages
    why = None if told else {each: messages.get("voice", "incident_known_why", each, time=known_since(incident))
                             for each in LANGUAGES}
    promise = "incident_known_sms" if subscribed else "incident_known_hidden"
    return replace(decision, outcome=Outcome.INCIDENT_KNOWN, why=why, blocked=None, contact=None,
                   say={each: messages.get("voice", promise, each) for each in LANGUAGES})


def adds_something(incident: Incident, facts: dict[str, Any], workplace: str | None, record: SessionRecord) -> bool:
    """Does this caller tell the manager something the incident's callers had not: a fact's other value, or
    another workplace (where staff.directory knows hers)?"""
    if workplace is not None and workplace not in incident.workplaces:
        return True
    seen = incidents().facts(incident.id, via=record)
    return any(all(known.get(name) != value for known in seen) for name, value in facts.items())


def text_manager(record: SessionRecord, decision: Decision, line_number: str) -> None:
    """One SMS (never a call) to the first on-call person: the caller's facts and number, through the outbox."""
    context = turn_context()
    manager = context.line.roster.chain_at(context.now)[0]
    body = manager_sms(context.line, decision, record.caller, context.now)
    outbox.send(record, Outgoing(
        kind="incident_news", key=f"{record.id}:incident_news", target=manager.number, text=body,
        sender=line_number, audit={"sent": EventKind.INCIDENT_NEWS, "failed": EventKind.INCIDENT_NEWS_FAILED,
                                   "system": decision.checklist_id}))


def checklist_finished(record: SessionRecord, decision: Decision, line_number: str) -> None:
    """Count a finished, unresolved checklist as a report (and in its incident); alert the manager when this
    caller goes to her."""
    if decision.outcome in NOT_REPORTS:
        return
    context = turn_context()
    line, store, now = context.line, context.store, context.now
    system = decision.checklist_id
    window = timedelta(minutes=line.settings.incident_window_minutes)
    store.report(record, system, now, window)
    count = store.reporter_count(system, now - window, now, via=record)
    live = incidents().live(system, now, known_for(), via=record)
    lang = line.settings.default_language
    workplace = workplace_of(record)
    if live is not None:
        incidents().join(record, live.id, now, dict(decision.facts), workplace, lang)
    elif count >= line.settings.incident_threshold:
        opened = incidents().open(record, system, IncidentState.OPEN, now)
        incidents().join(record, opened, now, dict(decision.facts), workplace, lang)
        incidents().join_reporters(record, opened, system, now - window, now)
        record.add_event(EventKind.INCIDENT_OPENED, {"incident": opened, "reports": count}, system)
    # Only a caller whose own answers send her to Chef i beredskap can make the incident SMS: a solved
    # problem, a supplier's outage or an office-hours route never wakes the manager.
    if decision.outcome is not Outcome.ON_CALL_MANAGER or context.office_hours:
        return
    if count >= line.settings.incident_threshold:
        alert_once(record, system, incident_began(record, system, window), count, line_number)


def manager_accepted(record: SessionRecord, decision: Decision, person: str) -> None:
    """Chef i beredskap pressed 1 on a call about a system: she knows of its incident (opened if none)."""
    context = turn_context()
    store, now, system = incidents(), context.now, decision.checklist_id
    lang = context.line.settings.default_language
    live = store.live(system, now, known_for(), via=record)
    if live is None:
        incident_id = store.open(record, system, IncidentState.ACKNOWLEDGED, now, by=person)
        record.add_event(EventKind.INCIDENT_OPENED, {"incident": incident_id, "by": "manager"}, system)
    else:
        incident_id = live.id
        store.move(incident_id, IncidentState.ACKNOWLEDGED, person, now, via=record)
    store.join(record, incident_id, now, dict(decision.facts), workplace_of(record), lang)
    record.add_event(EventKind.INCIDENT_ACKNOWLEDGED, {"incident": incident_id, "by": person}, system)


def incident_began(record: SessionRecord, system: str, window: timedelta) -> datetime:
    """When this incident's run of reports began (its one SMS is keyed by that moment)."""
    context = turn_context()
    now = context.now
    run = context.store.incident_run(system, via=record)
    if run is None or run[1] <= now - window:
        return now  # no report within a window: this caller's report starts the run
    return run[0]


def alert_once(record: SessionRecord, system: str, first: datetime, count: int, line_number: str) -> None:
    """One SMS to the on-call manager per incident, however many callers and instances.

    The outbox's key names the system and the run's first report: a second caller's turn enqueues the
    same key, which adds nothing (and a turn that fails adds nothing, so another caller may alert).
    """
    context = turn_context()
    line, now = context.line, context.now
    lang = line.settings.default_language
    local = line.calendar.local(first)
    body = line.messages.get("whisper", "incident_sms", lang, count=count,
                             system=line.library.by_id(system).name[lang], time=f"{local:%H.%M}")
    manager = line.roster.chain_at(now)[0]
    run = f"{first.astimezone(ZoneInfo('UTC')):%Y%m%dT%H%M%S}"
    outbox.send(record, Outgoing(
        kind="incident_sms", key=f"incident:{system}:{run}", target=manager.number, text=body, sender=line_number,
        audit={"sent": EventKind.INCIDENT_ALERT, "failed": EventKind.INCIDENT_ALERT_FAILED, "system": system,
               "data": {"count": count, "first_report": first.isoformat()}}))
