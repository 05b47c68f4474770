"""Historik: who did what and when, read from the audit events (sign-ins, announcements, swaps, incidents,
look-ups, test calls), filterable by period, kind and person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import render_template, request

from flows.events import EventKind
from flows.incidents import actor_name
from flows.line import Line
from ivr.admin.blueprint import bp
from ivr.admin.texts import t
from ivr.admin.timeline import system_name
from ivr.operations.announcements import LINE_WIDE
from ivr.store.console import ConsoleStore
from ivr.web.turn_context import turn_context

DEFAULT_DAYS = 7
K = EventKind
# The page's kinds of event, as its filter offers them.
GROUPS = {
    "inloggning": ("Inloggning", {K.ADMIN_SIGNED_IN, K.ADMIN_SIGN_IN_REFUSED, K.ADMIN_SIGNED_OUT,
                                  K.ADMIN_SESSION_REVOKED}),
    "driftinfo": ("Driftinfo", {K.ANNOUNCEMENT_POSTED, K.ANNOUNCEMENT_EXTENDED, K.ANNOUNCEMENT_CLEARED}),
    "beredskap": ("Beredskap och provsamtal", {K.ONCALL_OVERRIDE_SET, K.ONCALL_OVERRIDE_CLEARED,
                                               K.TEST_CALL_REQUESTED, K.TEST_CALL_ACCEPTED}),
    "incidenter": ("Incidenter", {K.INCIDENT_ACKNOWLEDGED, K.INCIDENT_RESOLVED, K.INCIDENT_IT_REQUESTED,
                                  K.INCIDENT_ESCALATED}),
    "sokningar": ("Sökningar på samtal", {K.SESSION_LOOKED_UP}),
}


@dataclass(frozen=True)
class Done:
    """One line of the history."""

    at: datetime
    who: str
    what: str
    group: str


def who_did(line: Line, event: dict[str, Any]) -> str:
    """The person's name (a masked number for a break-glass sign-in; a roster person by name)."""
    data = event["data"]
    if event["kind"] == K.INCIDENT_ESCALATED:
        return "IT-beredskapen"
    if event["kind"] == K.TEST_CALL_ACCEPTED:
        return "den som provringdes"
    by = data.get("by")
    if not by:
        return "okänd"
    if str(by).startswith("admin:"):
        by = str(by).removeprefix("admin:")
    return actor_name(line.roster, str(by)) or str(by)


def what(line: Line, event: dict[str, Any]) -> str:
    """What was done, in words."""
    kind, data = event["kind"], event["data"]
    system = system_name(line, event["system"]) if event["system"] else ""
    if event["system"] == LINE_WIDE:
        system = "alla system"
    how = "med kommunens konto" if data.get("method") == "oidc" else "med sms-kod"
    local = line.calendar.local
    until = data.get("until")
    until_text = f" till {local(datetime.fromisoformat(until)):%Y-%m-%d %H.%M}" if isinstance(until, str) else ""
    via = " i konsolen" if data.get("via") == "console" or data.get("method") else " med sms" \
        if data.get("via") == "sms" else ""
    replaced = person(line, data.get("replaces")) if data.get("replaces") else "den första i kedjan"
    texts = {
        K.ADMIN_SIGNED_IN: f"Loggade in {how}.",
        K.ADMIN_SIGN_IN_REFUSED: "Inloggningen nekades" + (": ingen roll i konsolen." if data.get("reason") == "no_role"
                                                           else ": fel eller gammal kod."),
        K.ADMIN_SIGNED_OUT: "Loggade ut.",
        K.ADMIN_SESSION_REVOKED: f"Avslutade inloggningen för {data.get('whose', 'någon')}.",
        K.ANNOUNCEMENT_POSTED: f"Lade ut driftinfo för {system}{until_text}"
                               + (f": ”{data['text']}”" if data.get("text") else "") + ".",
        K.ANNOUNCEMENT_EXTENDED: f"Ändrade sluttiden för driftinfo om {system}{until_text}.",
        K.ANNOUNCEMENT_CLEARED: f"Tog bort driftinfo för {system}.",
        K.SESSION_LOOKED_UP: ("Sökte samtal med koden " + str(data["code"]) if data.get("code")
                              else "Sökte samtal på ett telefonnummer") + f" ({data.get('found', 0)} träffar).",
        K.ONCALL_OVERRIDE_SET: f"Bytte beredskap: {person(line, data.get('person'))} i stället för "
                               f"{replaced}{moment_range(line, data)}.",
        K.ONCALL_OVERRIDE_CLEARED: f"Avslutade beredskapsbyte nummer {data.get('id')}.",
        K.TEST_CALL_REQUESTED: f"Provringde {person(line, data.get('person'))}.",
        K.TEST_CALL_ACCEPTED: "Provsamtalet besvarades med 1.",
        K.INCIDENT_ACKNOWLEDGED: f"Kvitterade incidenten om {system}{via}.",
        K.INCIDENT_RESOLVED: f"Markerade incidenten om {system} som löst{via}; {data.get('texted', 0)} som väntade "
                             "fick sms.",
        K.INCIDENT_IT_REQUESTED: f"Bad linjen koppla IT-beredskapen om {system}{via}.",
        K.INCIDENT_ESCALATED: f"Tog emot incidenten om {system}.",
    }
    return texts.get(kind, "Annan händelse.")


def person(line: Line, who: object) -> str:
    """A roster person's name, or a number masked."""
    from ivr.operations.logs import mask_numbers

    if who is None:
        return "okänd"
    found = line.roster.people.get(str(who))
    return found.name if found is not None else mask_numbers(str(who))


def moment_range(line: Line, data: dict[str, Any]) -> str:
    """" 2026-11-25 18.00–2026-11-26 08.00"."""
    try:
        start, end = (line.calendar.local(datetime.fromisoformat(str(data[name]))) for name in ("from", "until"))
    except (KeyError, ValueError):
        return ""
    return f", {start:%Y-%m-%d %H.%M}–{end:%Y-%m-%d %H.%M}"


def group_of(kind: str) -> str:
    return next((name for name, (_, kinds) in GROUPS.items() if kind in kinds), "")


@bp.get("/historik")
def history() -> str:
    """The history with its filters (a GET form)."""
    context = turn_context()
    line = context.line
    today = line.calendar.local(context.now).date()
    problems = []

    def day(name: str, default: date) -> date:
        text = request.args.get(name, "").strip()[:20]
        try:
            return date.fromisoformat(text) if text else default
        except ValueError:
            problems.append(t("Datumet {text} går inte att läsa. Välj ett datum i kalendern.", text=repr(text)))
            return default

    end = day("till", today)
    start = min(day("fran", end - timedelta(days=DEFAULT_DAYS - 1)), end)
    group = request.args.get("slag", "")
    group = group if group in GROUPS else ""
    name = request.args.get("vem", "").strip()[:100]
    zone = line.calendar.tz
    events = ConsoleStore(context.store).history(datetime.combine(start, time(), zone),
                                                 datetime.combine(end + timedelta(days=1), time(), zone))
    done = [Done(event["at"], who_did(line, event), what(line, event), group_of(event["kind"])) for event in events
            if group_of(event["kind"])]
    people = sorted({item.who for item in done})
    done = [item for item in done if (not group or item.group == group) and (not name or item.who == name)]
    return render_template("admin/history.html", done=done, start=start, end=end, group=group, groups=GROUPS,
                           who=name, people=people, problems=problems, local=line.calendar.local)
