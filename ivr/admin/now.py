"""The "Nu" page: calls in progress, live incidents, announcements, today's on-call chain, the line's health."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import render_template, request

from flows.engine import StateError
from flows.incidents import STATE_WORDS, actor_name
from flows.line import Line
from ivr.admin.blueprint import bp
from ivr.admin.texts import t
from ivr.admin.words import outcome as outcome_words
from ivr.conversation.session import VOICE, Session
from ivr.operations.repair_alert import stamp_path
from ivr.store import Store, StoreError
from ivr.store.console import ConsoleStore
from ivr.store.incidents import IncidentStore
from ivr.web.turn_context import turn_context

REFRESH_SECONDS = 30  # static/now.js fetches the page again this often (with a pause button, WCAG 2.2.1)
IN_PROGRESS = timedelta(minutes=15)  # a call with no turn for this long has ended without telling us


@dataclass(frozen=True)
class CallNow:
    """A call in progress: its system and where in the checklist it is."""

    system: str
    step: str
    since: datetime
    call_id: int | None = None  # its timeline in the call log


@dataclass(frozen=True)
class IncidentNow:
    """A live incident (ivr/store/incidents.py), in words: its state in Swedish, who acknowledged it."""

    system: str
    state: str  # öppen, kvitterad, eskalerad
    opened_at: datetime
    acknowledged_by: str | None  # the roster person's name, never a number
    acknowledged_at: datetime | None
    callers: int
    workplaces: int
    waiting: int  # callers who asked for an SMS when it is fixed


def call_position(line: Line, data: dict[str, Any]) -> tuple[str, str] | None:
    """(system, step) of a stored call, in words; None for a call that ended."""
    try:
        session = Session.from_data(VOICE, data)  # the one codec of a session's data
    except (StateError, TypeError, ValueError):
        return (t("(okänt)"), t("okänt steg"))
    if session.ended:
        return None
    state = session.state
    if not state.checklist:
        return (t("(inget valt ännu)"), t("menyn"))
    try:
        checklist = line.library.by_id(state.checklist)
    except KeyError:
        return (state.checklist, t("okänt steg"))
    if state.decision is not None:
        said = outcome_words(state.decision.outcome.value)  # in words
        return (checklist.name["sv"], t("utfall: {outcome}", outcome=said))
    if state.notice:
        return (checklist.name["sv"], t("hör driftinfo"))
    step = state.step
    total = len(checklist.steps)
    return (checklist.name["sv"], t("steg {n} av {total}", n=min(step + 1, total), total=total))


def calls_now(line: Line, console: ConsoleStore, now: datetime) -> list[CallNow]:
    """Calls with a turn in the last IN_PROGRESS, by system and step."""
    calls = []
    rows = console.calls_in_progress(now - IN_PROGRESS)
    starts = console.latest_starts([str(row["id"]) for row in rows])
    for row in rows:
        position = call_position(line, row["data"] or {})
        if position is not None:
            calls.append(CallNow(position[0], position[1], row["updated_at"], starts.get(str(row["id"]))))
    return sorted(calls, key=lambda call: (call.system, call.step))


def incidents_now(line: Line, store: Store, now: datetime) -> list[IncidentNow]:
    """The live incidents (not resolved, news within incidents.known_hours), the oldest first.

    Reports reaching the threshold open an incident (ivr/conversation/incidents.py), so these are the systems
    several callers reported too; a report below the threshold is not an incident yet.
    """
    live = IncidentStore(store).live_ones(now, timedelta(hours=line.settings.incident_known_hours))
    return [IncidentNow(system_name(line, incident.system), STATE_WORDS[incident.state], incident.opened_at,
                        actor_name(line.roster, incident.acknowledged_by), incident.acknowledged_at,
                        incident.callers, len(incident.workplaces), incident.waiting)
            for incident in sorted(live, key=lambda incident: (incident.opened_at, incident.id))]


def system_name(line: Line, system: str) -> str:
    """A checklist's Swedish name (the line-wide announcement is "Alla system")."""
    from ivr.admin.announce import LINE_WIDE_NAME
    from ivr.operations.announcements import LINE_WIDE

    if system == LINE_WIDE:
        return LINE_WIDE_NAME
    try:
        return line.library.by_id(system).name["sv"]
    except KeyError:
        return system


def last_fault() -> datetime | None:
    """When the fallback or error answer last alerted the admins (ivr/operations/repair_alert.py's stamp), if ever."""
    try:
        with open(stamp_path(), encoding="ascii") as stamp:
            moment = datetime.fromisoformat(stamp.read().strip())
    except (OSError, ValueError):
        return None
    return moment if moment.tzinfo is not None else None


def store_health(store: Store) -> str | None:
    """None when the database answers at the newest schema; else what is wrong."""
    try:
        store.check_schema()
    except StoreError as exc:
        return str(exc)
    return None


@bp.route("/")
def now() -> str:
    """The page; every figure is read fresh on each (automatic) reload."""
    context = turn_context()
    line, store, moment = context.line, context.store, context.now
    console = ConsoleStore(store)
    problem = store_health(store)
    fault = last_fault()
    local = line.calendar.local(moment)
    return render_template(
        "admin/now.html",
        # ?uppdatera=nej stops the reloads (WCAG 2.2.1: a person can turn off what the page does by itself).
        refresh=None if request.args.get("uppdatera") == "nej" else REFRESH_SECONDS,
        now=local,
        office_hours=context.office_hours,
        store_problem=problem,
        calls=[] if problem else calls_now(line, console, moment),
        incidents=[] if problem else incidents_now(line, store, moment),
        announcements=[] if problem else sorted(
            (system_name(line, system), item) for system, item in store.announcements(moment).items()),
        chain=line.roster.chain_at(local),
        last_webhook=None if problem else console.last_activity(),
        fault=fault,
        fault_today=fault is not None and line.calendar.local(fault).date() == local.date(),
        local=line.calendar.local,
        when=lambda moment: when(line, moment, local),
        known_hours=line.settings.incident_known_hours,
        # Tickets the ITSM has not taken yet (a declinable one waits its minute first); none without a backend.
        tickets_pending=None if problem or not line.settings.tickets.enabled
        else store.outbox.pending_counts().get("ticket", 0),
    )


def when(line: Line, moment: datetime, today: datetime) -> str:
    """"22.04" today, "2026-11-24 22.04" another day (an incident may outlive midnight)."""
    there = line.calendar.local(moment)
    return f"{there:%H.%M}" if there.date() == today.date() else f"{there:%Y-%m-%d %H.%M}"
