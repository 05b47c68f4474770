"""Incidenter: the live incidents with their callers and workplaces, and the manager's SMS words as buttons.

Acknowledge and resolve are the manager's KVITTERA and KLAR (ivr/channels/sms/manager_sms.py): the same
store moves (IncidentStore.move), and KLAR's same path, so every caller waiting for it is texted through
the outbox. Connecting IT-beredskapen is the manager's alone (the seed): only the manager role sees or
may post it (ivr/admin/auth.py MANAGER_ONLY); the line calls her on her roster number and, when she presses
1, connects her (ivr/channels/voice/it_on_call.py), with the incident issue's confirmation rule (one caller
and one workplace known: asked once more). Each action is audited with the signed-in person's name.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from flows.events import EventKind
from flows.incidents import STATE_WORDS, Incident, IncidentState, actor_name
from flows.line import Line
from flows.roster import Person
from ivr.admin.auth import Admin, current_admin
from ivr.admin.blueprint import bp
from ivr.admin.texts import t
from ivr.admin.timeline import system_name
from ivr.channels.sms.manager_sms import escalate, resolve
from ivr.store import SessionRecord
from ivr.store.incidents import IncidentStore
from ivr.web.turn_context import turn_context

RECENT = timedelta(hours=24)  # resolved incidents are listed this long after their last news


def signed_in() -> Admin:
    admin = current_admin()
    assert admin is not None  # the blueprint's guard
    return admin


def me_on_the_roster(line: Line, admin: Admin) -> str:
    """The roster person with the signed-in person's name (the default for whom the line calls), if any."""
    return next((person.id for person in line.roster.people.values() if person.name == admin.who), "")


def page(confirm: dict[str, Any] | None = None, status: int = 200) -> tuple[str, int]:
    """The live incidents, and the resolved ones of the last day."""
    context = turn_context()
    line, now = context.line, context.now
    known_for = timedelta(hours=line.settings.incident_known_hours)
    store = IncidentStore(context.store)
    live = sorted(store.live_ones(now, known_for), key=lambda incident: (incident.opened_at, incident.id))
    done = [incident for incident in store.since(now - RECENT) if incident.state is IncidentState.RESOLVED]
    admin = signed_in()
    return render_template(
        "admin/incidents.html", live=live, done=done, words=STATE_WORDS, name=lambda s: system_name(line, s),
        actor=lambda who: actor_name(line.roster, who), local=line.calendar.local, known_hours=line.settings
        .incident_known_hours, people=sorted(line.roster.people.values(), key=lambda person: person.name),
        me=me_on_the_roster(line, admin), confirm=confirm, it_on_call=bool(line.settings.it_on_call and
                                                                            line.settings.it_on_call.number),
        calls_since=lambda incident: line.calendar.local(incident.opened_at).date().isoformat()), status


@bp.get("/incidenter")
def incidents() -> tuple[str, int]:
    """The page."""
    return page()


def console_action(record: SessionRecord, admin: Admin, before: int) -> None:
    """The events the shared path added: by the signed-in person's name, from the console."""
    for _, data, _ in record.events[before:]:
        data.update({"by": admin.who[:64], "via": "console", "role": admin.role.value, "method": admin.method})


def act(incident_id: int, action: str) -> tuple[str, int] | Response:
    """Acknowledge, resolve or connect, in a transaction of its own (the outbox's rows in it)."""
    context = turn_context()
    line, now = context.line, context.now
    admin = signed_in()
    known_for = timedelta(hours=line.settings.incident_known_hours)
    called: Person | None = None
    if action == "connect":
        called = line.roster.people.get(request.form.get("person", ""))
        if called is None:
            flash(t("Välj vem linjen ska ringa upp."))
            return redirect(url_for("admin.incidents"), 303)
    # The manager's own conversation for the connect (the confirmation is hers, by SMS or here).
    session_id = f"admin:manager:{called.id}" if called else f"admin:incident:{incident_id}"
    with context.store.session(session_id, "admin", now) as record:
        record.caller_key = admin.key
        incidents = IncidentStore(context.store)
        found = incidents.get(incident_id, via=record)
        if found is None or not found.live(now, known_for):
            flash(t("Incidenten är redan löst eller inte längre känd. Inget ändrades."))
            return redirect(url_for("admin.incidents"), 303)
        name = system_name(line, found.system)
        before = len(record.events)
        message = do(record, found, action, admin, called, name)
        console_action(record, admin, before)
    if message is None:  # the confirmation rule: asked once more
        return page({"incident": found.id, "person": called.id if called else "", "system": name,
                     "callers": found.callers})
    flash(message)
    return redirect(url_for("admin.incidents"), 303)


def do(record: SessionRecord, found: Incident, action: str, admin: Admin, called: Person | None,
       name: str) -> str | None:
    """The action on a live incident; its answer for the page (None: she is asked to confirm)."""
    context = turn_context()
    line_number = context.line.settings.line_number or ""
    if action == "acknowledge":
        IncidentStore(context.store).move(found.id, IncidentState.ACKNOWLEDGED, admin.who[:64], context.now,
                                          via=record)
        record.add_event(EventKind.INCIDENT_ACKNOWLEDGED, {"incident": found.id}, found.system)
        return t("Incidenten om {system} är kvitterad. De som ringer om felet får höra att chefen vet.", system=name)
    if action == "resolve":
        resolve(record, found, admin.who[:64], line_number, name)
        texted = record.events[-1][1].get("texted", 0)
        return t("Incidenten om {system} är löst. {n} som väntade får ett sms nu.", system=name, n=texted)
    assert called is not None
    it_on_call = context.line.settings.it_on_call
    if it_on_call is None or not it_on_call.number:
        return t("IT-beredskapen har inget nummer i Felsökningslinjen. Ring dem själv.")
    escalate(record, found, called, line_number, name)
    if any(kind == EventKind.INCIDENT_IT_REQUESTED for kind, _, _ in record.events):
        return t("Linjen ringer {who} nu. Tryck 1 i samtalet så kopplas du till IT-beredskapen.", who=called.name)
    return None


@bp.post("/incidenter/<int:incident_id>/kvittera")
def incident_acknowledge(incident_id: int) -> tuple[str, int] | Response:
    """KVITTERA: Chef i beredskap knows."""
    return act(incident_id, "acknowledge")


@bp.post("/incidenter/<int:incident_id>/klar")
def incident_resolve(incident_id: int) -> tuple[str, int] | Response:
    """KLAR: resolved, and the callers waiting are texted."""
    return act(incident_id, "resolve")


@bp.post("/incidenter/<int:incident_id>/it")
def incident_connect(incident_id: int) -> tuple[str, int] | Response:
    """IT: the line calls the manager and connects her to IT-beredskapen (the manager role only)."""
    return act(incident_id, "connect")
