"""The report: what the line did in a period, counted from the audit events alone (`ivr report`, the console)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any, TextIO, assert_never

from flows.events import EventKind
from flows.events import system_of as events_system_of
from flows.incidents import STATE_WORDS, Incident, IncidentState, actor_name
from flows.model import UNKNOWN, Library, Outcome
from flows.roster import Roster

NO_SYSTEM = "(no system chosen)"
# A voice session the SMS line placed (RING): it continues an SMS conversation, it is not one.
CALLBACK_LEG_KINDS = frozenset({EventKind.CALLBACK_STARTED, EventKind.CALLBACK_INVALID})
STARTED_KINDS = frozenset({EventKind.CALL_STARTED, EventKind.SMS_STARTED})


@dataclass
class SystemFigures:
    """One row of the report: a system's conversations and how they ended."""

    system: str | None  # checklist id; None for conversations that chose no system
    name: str
    key: int | None = None
    voice: int = 0
    sms: int = 0
    resolved: int = 0
    solved_by_step: dict[str, int] = field(default_factory=dict)  # step id -> conversations it solved
    supplier_outage: int = 0
    it_support: int = 0
    it_portal: int = 0
    local_contact: int = 0
    on_call_manager: int = 0
    # Of the on_call_manager outcomes; a call-back (RING) also counts as connected or manager SMS.
    on_call_connected: int = 0  # the manager pressed 1, on the call or on the SMS line's call-back
    on_call_manager_sms: int = 0  # nobody pressed 1: the first manager was texted to call back
    on_call_callback: int = 0  # an SMS conversation where the carer asked to be called (RING)
    wait_for_office_hours: int = 0
    deflected: int = 0  # ended at IT's outage announcement
    incident_known: int = 0  # Chef i beredskap already knew (an acknowledged incident): not rung again
    abandoned: int = 0  # no outcome in the period, or an "abandoned" event
    # step id -> conversations that answered it "vet inte": where carers cannot check what a step asks.
    unknown_by_step: dict[str, int] = field(default_factory=dict)

    @property
    def sessions(self) -> int:
        """Conversations on both channels."""
        return self.voice + self.sms

    def add(self, other: SystemFigures) -> None:
        """Add another row's figures to this one (for the totals)."""
        for item in fields(self):
            mine, theirs = getattr(self, item.name), getattr(other, item.name)
            # solved_by_step and unknown_by_step are left out: step ids (network, multiple_users) repeat
            # across checklists.
            if isinstance(mine, int) and item.name != "key":
                setattr(self, item.name, mine + theirs)


@dataclass(frozen=True)
class IncidentFigures:
    """One incident of the period, from the incidents table (ivr/store/incidents.py), for people."""

    id: int
    system: str
    name: str  # the system's Swedish name
    state: str  # open, acknowledged, escalated, resolved
    opened_at: datetime
    acknowledged_by: str | None  # the roster person's name ("konsolen" for the console), never a number
    acknowledged_at: datetime | None
    escalated_at: datetime | None
    resolved_at: datetime | None
    callers: int
    workplaces: int  # how many workplaces, where staff.directory names them (the names stay out)
    waiting: int  # callers who asked for an SMS when it is fixed

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: times in ISO 8601."""
        return {key: value.isoformat() if isinstance(value, datetime) else value
                for key, value in asdict(self).items()}


@dataclass
class Report:
    """Figures per system in menu order, the no-system row last, and their totals; the period's incidents."""

    since: datetime | None
    until: datetime | None
    systems: list[SystemFigures]
    total: SystemFigures
    incidents: list[IncidentFigures] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        data = asdict(self)
        for row, figures in zip([*data["systems"], data["total"]], [*self.systems, self.total], strict=True):
            row["sessions"] = figures.sessions
        data["since"] = self.since.isoformat() if self.since else None
        data["until"] = self.until.isoformat() if self.until else None
        data["incidents"] = [incident.to_json() for incident in self.incidents]
        return data


def incident_figures(incidents: Iterable[Incident], library: Library, roster: Roster,
                     since: datetime | None, until: datetime | None) -> list[IncidentFigures]:
    """The incidents that were live at some moment of the period (opened before its end, news after its start)."""
    found = []
    for incident in incidents:
        if (until is not None and incident.opened_at >= until) or (since is not None and incident.updated_at < since):
            continue
        try:
            name = library.by_id(incident.system).name.get("sv", incident.system)
        except KeyError:
            name = incident.system  # a checklist removed since
        found.append(IncidentFigures(
            id=incident.id, system=incident.system, name=name, state=incident.state.value,
            opened_at=incident.opened_at, acknowledged_by=actor_name(roster, incident.acknowledged_by),
            acknowledged_at=incident.acknowledged_at, escalated_at=incident.escalated_at,
            resolved_at=incident.resolved_at, callers=incident.callers, workplaces=len(incident.workplaces),
            waiting=incident.waiting))
    return sorted(found, key=lambda figures: (figures.opened_at, figures.id))


@dataclass
class Conversation:
    """One troubleshooting conversation: a call, or one problem texted about."""

    session_id: str
    channel: str
    events: list[dict[str, Any]] = field(default_factory=list)

    def kinds(self, kind: str) -> list[dict[str, Any]]:
        """The conversation's events of one kind, in order."""
        return [event for event in self.events if event["kind"] == kind]

    def has_outcome(self) -> bool:
        """True once the conversation has reached an outcome."""
        return any(event["kind"] == EventKind.OUTCOME for event in self.events)


def build_report(
    events: list[dict[str, Any]], library: Library, *, since: datetime | None = None, until: datetime | None = None
) -> Report:
    """Count conversations and their outcomes per system from audit events (as Store.events() gives them)."""
    # The audit trail of the people who run the line (channel "admin", sessions "admin:..."): not conversations.
    in_period = [e for e in events if e["channel"] != "admin" and not str(e["session_id"]).startswith("admin:")
                 and (since is None or e["at"] >= since) and (until is None or e["at"] < until)]
    sessions: dict[str, list[dict[str, Any]]] = {}
    for event in in_period:
        sessions.setdefault(event["session_id"], []).append(event)
    legs = {sid: evs for sid, evs in sessions.items() if any(e["kind"] in CALLBACK_LEG_KINDS for e in evs)}
    rows = {c.id: SystemFigures(c.id, c.name.get("sv", c.id), c.key) for c in library.checklists}
    no_system = SystemFigures(None, NO_SYSTEM)
    for session_id, session_events in sessions.items():
        if session_id in legs:
            continue
        for conversation in split_conversations(session_id, session_events):
            system = system_of(conversation)
            if system is None:
                row = no_system
            else:
                row = rows.setdefault(system, SystemFigures(system, system))  # a checklist removed since
            count(row, conversation, legs)
    systems = list(rows.values()) + [no_system]
    total = SystemFigures(None, "Total")
    for row in systems:
        total.add(row)
    return Report(since, until, systems, total)


def weekly_reports(events: list[dict[str, Any]], library: Library, since: datetime, until: datetime,
                   zone: tzinfo) -> list[tuple[str, Report]]:
    """The period cut at each Monday 00:00 local time: ("2026-W48", its report), oldest first."""
    result: list[tuple[str, Report]] = []
    start = since.astimezone(zone)
    while start < until:
        monday = datetime.combine(start.date() - timedelta(days=start.weekday()), time(0), tzinfo=zone)
        end = min(datetime.combine(monday.date() + timedelta(days=7), time(0), tzinfo=zone), until)
        year, week, _ = monday.isocalendar()
        result.append((f"{year}-W{week:02d}", build_report(events, library, since=start, until=end)))
        start = end
    return result


def split_conversations(session_id: str, events: list[dict[str, Any]]) -> Iterator[Conversation]:
    """A session's events cut into conversations.

    A call is one session, but an SMS session is keyed by the sender (a pseudonym) and
    lasts for weeks: a new conversation starts at each sms_started, and at a system chosen
    after an outcome (MENY after an outcome starts a new problem without one).
    """
    current: Conversation | None = None
    for event in events:
        starts_anew = event["kind"] in STARTED_KINDS or (
            event["kind"] == EventKind.SYSTEM_CHOSEN and current is not None and current.has_outcome()
        )
        if current is None or (starts_anew and current.events):
            if current is not None:
                yield current
            current = Conversation(session_id, str(event["channel"]))
        current.events.append(event)
    if current is not None:
        yield current


def system_of(conversation: Conversation) -> str | None:
    """The last system chosen; else the last one any event names (the choice came before the period)."""
    return events_system_of(conversation.events)


def count(row: SystemFigures, conversation: Conversation, legs: dict[str, list[dict[str, Any]]]) -> None:
    """Add one conversation to its system's row."""
    if conversation.channel == "sms":
        row.sms += 1
    else:
        row.voice += 1
    # Once per conversation and step, whatever the outcome (an abandoned call may have shrugged too).
    for step in dict.fromkeys(str(event["data"].get("step")) for event in conversation.kinds(EventKind.ANSWER)
                              if event["data"].get("answer") == UNKNOWN):
        row.unknown_by_step[step] = row.unknown_by_step.get(step, 0) + 1
    outcomes = conversation.kinds(EventKind.OUTCOME)
    # A call that went on by SMS (key 8) is counted there, not as abandoned here.
    gone_on = bool(conversation.kinds(EventKind.CONTINUED_BY_SMS))
    if (not outcomes and not gone_on) or conversation.kinds(EventKind.ABANDONED):
        row.abandoned += 1
    if not outcomes:
        return
    decision = outcomes[-1]["data"]
    try:
        outcome = Outcome(str(decision.get("outcome")))
    except ValueError:
        return  # an outcome this version does not know: better left out than counted as another
    match outcome:
        case Outcome.RESOLVED:
            row.resolved += 1
            step = str(decision.get("solved_step") or "?")
            row.solved_by_step[step] = row.solved_by_step.get(step, 0) + 1
        case Outcome.ON_CALL_MANAGER:
            row.on_call_manager += 1
            callbacks = conversation.kinds(EventKind.CALLBACK_REQUESTED)
            # The call-back is its own voice session, named by the SID Twilio gave it (the outbox's "sid";
            # "call" in events written before the call-back went through the outbox).
            linked = conversation.events + [
                event for request in callbacks
                for event in legs.get(f"voice:{request['data'].get('sid') or request['data'].get('call')}", [])
            ]
            kinds = {event["kind"] for event in linked}
            row.on_call_connected += int(EventKind.ON_CALL_ACCEPTED in kinds)
            row.on_call_manager_sms += int(EventKind.ON_CALL_SMS in kinds)
            row.on_call_callback += int(bool(callbacks))
        case Outcome.SUPPLIER_OUTAGE:
            row.supplier_outage += 1
        case Outcome.IT_SUPPORT:
            row.it_support += 1
        case Outcome.IT_PORTAL:
            row.it_portal += 1
        case Outcome.LOCAL_CONTACT:
            row.local_contact += 1
        case Outcome.WAIT_FOR_OFFICE_HOURS:
            row.wait_for_office_hours += 1
        case Outcome.DEFLECTED:
            row.deflected += 1
        case Outcome.INCIDENT_KNOWN:
            row.incident_known += 1
        case _:
            assert_never(outcome)  # a new outcome must get its own figure, not fall through


def ordered_steps(row: SystemFigures, library: Library, by_step: dict[str, int] | None = None) -> list[tuple[str, int]]:
    """Solved-by-step counts (or another per-step figure) in the checklist's step order (unknown steps last)."""
    by_step = row.solved_by_step if by_step is None else by_step
    order: list[str] = []
    if row.system is not None:
        try:
            order = [step.id for step in library.by_id(row.system).steps]
        except KeyError:
            pass
    return sorted(by_step.items(),
                  key=lambda item: (order.index(item[0]) if item[0] in order else len(order), item[0]))


def solved_by_step_text(row: SystemFigures, library: Library, by_step: dict[str, int] | None = None) -> str:
    """"home_drive:3;restart:1"."""
    return ";".join(f"{step}:{number}" for step, number in ordered_steps(row, library, by_step))


# ---------------------------------------------------------------------------------- output

INCIDENT_CSV_COLUMNS = (
    "id", "system", "name", "state", "opened_at", "acknowledged_by", "acknowledged_at", "escalated_at",
    "resolved_at", "callers", "workplaces", "waiting",
)

CSV_COLUMNS = (
    "period_start", "period_end", "system", "name", "key", "voice_sessions", "sms_sessions", "sessions",
    "resolved", "solved_by_step", "supplier_outage", "it_support", "it_portal", "local_contact",
    "on_call_manager", "on_call_connected", "on_call_manager_sms", "on_call_callback",
    "wait_for_office_hours", "deflected", "incident_known", "abandoned", "unknown_by_step",
)



def outcome_heading(outcome: Outcome) -> str:
    """The table's Swedish heading for an outcome's figure (the figure is named by the outcome's value)."""
    match outcome:
        case Outcome.RESOLVED:
            return "Löst"
        case Outcome.IT_SUPPORT:
            return "IT-support"
        case Outcome.IT_PORTAL:
            return "IT-portal"
        case Outcome.LOCAL_CONTACT:
            return "Lokalt"
        case Outcome.SUPPLIER_OUTAGE:
            return "Leverantör"
        case Outcome.ON_CALL_MANAGER:
            return "Chef i beredskap"
        case Outcome.WAIT_FOR_OFFICE_HOURS:
            return "Väntar"
        case Outcome.DEFLECTED:
            return "Driftinfo"
        case Outcome.INCIDENT_KNOWN:
            return "Kvitterat"  # Chef i beredskap had acknowledged the incident
        case _:
            assert_never(outcome)


# (heading, figure): Swedish first; the CSV and JSON carry the English names. One column per outcome.
TABLE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("Samtal", "voice"), ("SMS", "sms"), *((outcome_heading(outcome), outcome.value) for outcome in Outcome),
    ("Avbrutna", "abandoned"),
)


def write_csv(report: Report, library: Library, path: Path) -> None:
    """One row per system (and the no-system row), every figure."""
    # utf-8-sig: Excel on Windows otherwise reads "NPÖ" as mojibake.
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        write_csv_to(handle, report, library)


def csv_text(report: Report, library: Library) -> str:
    """The same CSV as `ivr report --csv`, as text (a download in the console), with Excel's BOM."""
    handle = io.StringIO(newline="")
    handle.write("\ufeff")
    write_csv_to(handle, report, library)
    return handle.getvalue()


def write_csv_to(handle: TextIO, report: Report, library: Library) -> None:
    """The report's CSV rows written to an open text file."""
    writer = csv.writer(handle)
    writer.writerow(CSV_COLUMNS)
    for row in report.systems:
        writer.writerow([
            report.since.isoformat() if report.since else "", report.until.isoformat() if report.until else "",
            row.system or "", row.name, row.key or "", row.voice, row.sms, row.sessions,
            row.resolved, solved_by_step_text(row, library), row.supplier_outage, row.it_support,
            row.it_portal, row.local_contact, row.on_call_manager, row.on_call_connected,
            row.on_call_manager_sms, row.on_call_callback, row.wait_for_office_hours, row.deflected,
            row.incident_known, row.abandoned, solved_by_step_text(row, library, row.unknown_by_step),
        ])


def write_incidents_csv(report: Report, path: Path) -> None:
    """One row per incident of the period (`--incidents-csv`): the systems' CSV keeps its columns."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(INCIDENT_CSV_COLUMNS)
        for incident in report.incidents:
            data = incident.to_json()
            writer.writerow(["" if data[column] is None else data[column] for column in INCIDENT_CSV_COLUMNS])


def incident_lines(report: Report, zone: tzinfo) -> Iterable[str]:
    """The period's incidents, one line each, in Swedish."""
    if not report.incidents:
        yield "Incidenter: inga"
        return
    yield f"Incidenter ({len(report.incidents)}):"
    for incident in report.incidents:
        acknowledged = (f"kvitterad av {incident.acknowledged_by} {moment_text(incident.acknowledged_at, zone)}"
                        if incident.acknowledged_at else "inte kvitterad")
        yield (f"  {incident.name}: {STATE_WORDS[IncidentState(incident.state)]}; öppnad "
               f"{moment_text(incident.opened_at, zone)}, {acknowledged}, eskalerad "
               f"{moment_text(incident.escalated_at, zone)}, löst {moment_text(incident.resolved_at, zone)}; "
               f"{incident.callers} som ringt, {incident.workplaces} arbetsplatser, "
               f"{incident.waiting} väntar på sms")


def table_lines(report: Report, library: Library, zone: tzinfo) -> Iterable[str]:
    """The readable fixed-width report."""
    yield f"Felsökningslinjen, period {moment_text(report.since, zone)} till {moment_text(report.until, zone)}"
    yield ""
    label_width = max(len("System"), len("Totalt"), *(len(row_label(row)) for row in report.systems))
    header = "System".ljust(label_width) + "".join(f"  {heading}" for heading, _ in TABLE_COLUMNS)
    yield header
    yield "-" * len(header)
    for row in report.systems:
        yield figures_line(row_label(row), row, label_width)
    yield "-" * len(header)
    yield figures_line("Totalt", report.total, label_width)
    details = list(detail_lines(report, library))
    if details:
        yield ""
        yield from details
    yield ""
    yield from incident_lines(report, zone)


def figures_line(label: str, row: SystemFigures, label_width: int) -> str:
    """One table row, each figure right-aligned under its heading."""
    return label.ljust(label_width) + "".join(
        f"  {getattr(row, name):>{len(heading)}}" for heading, name in TABLE_COLUMNS
    )


def detail_lines(report: Report, library: Library) -> Iterable[str]:
    """Which step solved it, and how the on-call escalations went, for rows that have any."""
    for row in report.systems:
        if row.solved_by_step:
            steps = ", ".join(
                f"{step_label(row, step, library)}: {number}" for step, number in ordered_steps(row, library)
            )
            yield f"{row_label(row)}: löst vid {steps}"
        if row.unknown_by_step:
            steps = ", ".join(f"{step_label(row, step, library)}: {number}"
                              for step, number in ordered_steps(row, library, row.unknown_by_step))
            yield f"{row_label(row)}: vet inte vid {steps}"
        if row.on_call_manager:
            yield (f"{row_label(row)}: chef i beredskap {row.on_call_manager}: kopplad {row.on_call_connected}, "
                   f"sms till chefen {row.on_call_manager_sms}, uppringning begärd {row.on_call_callback}")


def step_label(row: SystemFigures, step_id: str, library: Library) -> str:
    """"steg 1 (home_drive)", or just the id of a step no longer in the checklist."""
    try:
        number = library.by_id(str(row.system)).step_index(step_id) + 1
    except KeyError:
        return f"steg {step_id}"
    return f"steg {number} ({step_id})"


def row_label(row: SystemFigures) -> str:
    """The system's Swedish name, or the no-system label."""
    return "(inget system valt)" if row.system is None else row.name


def moment_text(moment: datetime | None, zone: tzinfo) -> str:
    """A local wall-clock time for people."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else "-"
