"""Chef i beredskap closes the loop by SMS: KVITTERA, KLAR and IT, from her own number.

Only a person on the roster may use them (config/roster.yaml, swaps included). They act on a live
incident (flows/incidents.py): the one named ("KLAR VIVA"), or the only one. KLAR texts every caller
who asked for it; IT has the line call her and, when she presses 1, connect her to IT-beredskapen
(ivr/channels/voice/it_on_call.py). The seed leaves that decision to her and allows it only on an established
critical outage hitting several users or workplaces: with one caller and one workplace known she is
asked to send IT again before the line calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from flows.events import EventKind
from flows.incidents import Incident, IncidentState
from flows.line import Line
from flows.names import normalise
from flows.roster import Person
from ivr import outbox
from ivr.conversation.replies import exact_system
from ivr.privacy import caller_key
from ivr.store import SessionRecord
from ivr.store.incidents import IncidentStore
from ivr.store.outbox import Outgoing
from ivr.web.signature import public_base
from ivr.web.turn_context import turn_context

CONFIRM_FOR = timedelta(minutes=10)  # "IT" again within this long confirms a call for a single caller


class Word(StrEnum):
    """The manager's words (Swedish in both languages, as the line's other SMS keywords)."""

    ACKNOWLEDGE = "kvittera"
    RESOLVE = "klar"
    IT = "it"


@dataclass(frozen=True)
class Command:
    """A manager's text: who, which word, and the system she named (if any)."""

    person: Person
    word: Word
    system: str | None


def parse(line: Line, sender: str, body: str) -> Command | None:
    """The manager's command in a text, or None when the sender is not on the roster or the word is another."""
    person = next((p for p in line.roster.people.values() if p.number == sender), None)
    parts = body.split(maxsplit=1)
    if person is None or not parts or normalise(parts[0]) not in tuple(Word):
        return None
    named = exact_system(line.library.checklists, parts[1]) if len(parts) > 1 else None
    return Command(person, Word(normalise(parts[0])), named.id if named else None)


def manager_command(command: Command, sender: str, line_number: str, message_sid: str) -> list[str]:
    """Carry out the manager's word in a transaction of her own; the reply (a retried webhook: the same)."""
    context = turn_context()
    store = context.store
    with store.session(f"admin:manager:{command.person.id}", "admin", context.now, caller=sender) as record:
        record.caller_key = caller_key(sender)
        if message_sid and not record.claim(message_sid[:64]):
            return [str((record.data or {}).get("last_reply", ""))]  # Twilio retried it: the same answer
        reply = act(record, command, line_number)
        record.data = {**(record.data or {}), "last_reply": reply}
    return [reply]


def act(record: SessionRecord, command: Command, line_number: str) -> str:
    """Pick the incident and apply the word."""
    context = turn_context()
    line, now = context.line, context.now
    known_for = timedelta(hours=line.settings.incident_known_hours)
    incidents = IncidentStore(context.store)
    live = incidents.live_ones(now, known_for, via=record)
    if command.system is not None:
        live = [incident for incident in live if incident.system == command.system]
    if not live:
        return text(line, "manager_none")
    if len(live) > 1:
        names = ", ".join(dict.fromkeys(system_name(line, incident.system) for incident in live))
        return text(line, "manager_which", items=names, system=system_name(line, live[0].system).upper())
    incident = live[0]
    name = system_name(line, incident.system)
    who = command.person.id
    if command.word is Word.ACKNOWLEDGE:
        incidents.move(incident.id, IncidentState.ACKNOWLEDGED, who, now, via=record)
        record.add_event(EventKind.INCIDENT_ACKNOWLEDGED, {"incident": incident.id, "by": who, "via": "sms"},
                         incident.system)
        return text(line, "manager_acknowledged", system=name)
    if command.word is Word.RESOLVE:
        return resolve(record, incident, who, line_number, name)
    return escalate(record, incident, command.person, line_number, name)


def resolve(record: SessionRecord, incident: Incident, who: str, line_number: str, name: str) -> str:
    """KLAR: the incident is resolved and every caller who asked gets one SMS (through the outbox)."""
    context = turn_context()
    line, now = context.line, context.now
    incidents = IncidentStore(context.store)
    incidents.move(incident.id, IncidentState.RESOLVED, who, now, via=record)
    waiting = incidents.waiting(incident.id, via=record)
    sent = 0
    for person in waiting:
        # The number from her conversation (never kept with the incident); a read of its own.
        caller = context.store.get(person.session_id)
        number = caller.caller if caller is not None else None
        if not number:
            continue  # the number was forgotten meanwhile (privacy.forget_numbers_after_hours)
        body = line.messages.get("sms", "incident_resolved", person.lang, system=line.library.by_id(
            incident.system).name[person.lang])
        outbox.send(record, Outgoing(kind="incident_fixed", key=f"incident:{incident.id}:fixed:{person.session_id}",
                                     target=number, text=body, sender=line_number))
        sent += 1
    record.add_event(EventKind.INCIDENT_RESOLVED, {"incident": incident.id, "by": who, "texted": sent},
                     incident.system)
    return text(line, "manager_resolved", system=name, count=sent)


def escalate(record: SessionRecord, incident: Incident, person: Person, line_number: str, name: str) -> str:
    """IT: the counts, a confirmation when only one caller and workplace are known, then a call to her."""
    context = turn_context()
    line, now = context.line, context.now
    it_on_call = line.settings.it_on_call
    if it_on_call is None or not it_on_call.number:
        return text(line, "manager_it_missing")
    single = incident.callers <= 1 and len(incident.workplaces) <= 1
    asked = (record.data or {}).get("it_confirm")
    confirmed = isinstance(asked, dict) and asked.get("incident") == incident.id and \
        now - datetime.fromisoformat(str(asked.get("at"))) <= CONFIRM_FOR
    if single and not confirmed:
        record.data = {**(record.data or {}), "it_confirm": {"incident": incident.id, "at": now.isoformat()}}
        return text(line, "manager_it_confirm", system=name, count=incident.callers)
    record.data = {**(record.data or {}), "it_confirm": None}
    url = f"{public_base()}/voice/it/manager?incident={incident.id}"
    outbox.send(record, Outgoing(kind="it_call", key=f"incident:{incident.id}:it_call:{now:%Y%m%dT%H%M}",
                                 target=person.number, text="", sender=line_number, channel="call", url=url))
    record.add_event(EventKind.INCIDENT_IT_REQUESTED, {"incident": incident.id, "by": person.id}, incident.system)
    return text(line, "manager_it_calling", system=name, count=incident.callers)


def text(line: Line, name: str, /, **values: object) -> str:
    """A reply to the manager, in the line's first language."""
    return line.messages.get("sms", name, line.settings.default_language, **values)


def system_name(line: Line, system: str) -> str:
    """A system's name in the line's first language."""
    return line.library.by_id(system).name[line.settings.default_language]
