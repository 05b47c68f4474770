"""A call's (or SMS conversation's) timeline in Swedish for the call log: `ivr lookup`'s reading, in words.

The steps come from ivr/reports/lookup.py's helpers (the question as the caller heard it, the answer,
the steps an incident answered); the outcome with its reason; dials and their results; the messages
from the outbox with their delivery states. No phone number is ever shown: a number still kept for
a call in progress is masked as everywhere else (ivr/operations/logs.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flows.events import EventKind
from flows.line import Line
from ivr.admin.texts import t
from ivr.admin.words import CHANNELS, MESSAGE_KINDS, MESSAGE_STATES, outcome
from ivr.reports.lookup import answer_text, known_steps, step_text
from ivr.reports.lookup import system_name as lookup_system_name
from ivr.store import Store
from ivr.store.console import Conversation

# What the other events say, in Swedish (lookup.py's NOTED, and the ones a call log shows besides).
NOTED = {
    EventKind.CALL_STARTED: "Samtalet började.",
    EventKind.SMS_STARTED: "Sms-samtalet började.",
    EventKind.STATE_RESET: "Ett sparat läge kunde inte fortsätta: började om.",
    EventKind.BACK_TO_MENU: "Gick tillbaka till menyn.",
    EventKind.PIN_ASKED: "Personalkoden efterfrågades.",
    EventKind.PIN_ACCEPTED: "Personalkoden godkändes.",
    EventKind.PIN_REFUSED: "Fel personalkod.",
    EventKind.PIN_LOCKED: "För många fel personalkoder från numret den senaste timmen: koden efterfrågades inte.",
    EventKind.ON_CALL_ACCEPTED: "Chef i beredskap tog samtalet.",
    EventKind.ON_CALL_SMS: "Ingen svarade: Chef i beredskap fick sms om att ringa upp.",
    EventKind.ON_CALL_SMS_NEXT: "Det sms:et kom inte fram i tid: nästa i kedjan fick sms.",
    EventKind.ON_CALL_SMS_UNREACHED: "Det sms:et kom inte fram, och ingen fanns kvar i kedjan.",
    EventKind.INCIDENT_TOLD: "Fick höra att Chef i beredskap redan vet om felet.",
    EventKind.INCIDENT_NEWS: "Svaren tillförde något: chefen fick ett sms.",
    EventKind.CALLBACK_REQUESTED: "Bad om att bli uppringd.",
    EventKind.CALLBACK_STARTED: "Uppringningen började.",
    EventKind.CALLBACK_FAILED: "Uppringningen misslyckades.",
    EventKind.CALLBACK_FAILED_TEXTED: "Uppringningen gavs upp: den som ringde fick sms om det.",
    EventKind.IT_SUPPORT_OFFER_TAKEN: "Tryckte 1 för att kopplas till IT-supporten.",
    EventKind.RECEIPT_SENT: "Kvittot skickades.",
    EventKind.RECEIPT_FAILED: "Kvittot kunde inte skickas.",
    EventKind.TICKET_FILED: "Ärendet kom in i IT-portalen.",
    EventKind.TICKET_FAILED: "Ärendet kunde inte registreras.",
    EventKind.TICKET_DECLINED: "Tackade nej till ärendet.",
    EventKind.MORE_TIME: "Bad om mer tid på steget (tangent 5).",
    EventKind.CONTINUED_BY_SMS: "Fortsatte med sms (tangent 8).",
    EventKind.SMS_HANDOVER_FAILED: "Sms:et med steget kunde inte skickas: steget frågades igen.",
    EventKind.RESUME_OFFERED: "Samma telefon ringde igen strax efter ett avbrutet samtal: fick välja att fortsätta.",
    EventKind.RESUMED: "Fortsatte där det avbrutna samtalet slutade.",
    EventKind.RESUME_DECLINED: "Började om från början.",
    EventKind.ABANDONED: "Lade på eller var tyst innan utfallet.",
    EventKind.CALL_ENDED: "Samtalet avslutades.",
}
DIALLED = {"on_call": "Chef i beredskap", "it_support": "IT-supporten", "local": "den lokala kontakten"}
DIAL_STATUS = {"completed": "svarade", "answered": "svarade", "no-answer": "svarade inte", "busy": "upptaget",
               "failed": "gick inte att ringa", "canceled": "avbröts"}
LANGUAGES = {"sv": "svenska", "en": "engelska"}


@dataclass(frozen=True)
class Entry:
    """One line of the timeline: when, and what happened in words."""

    at: datetime | None
    text: str
    kind: str = "step"  # step, outcome, dial, message: the page groups them by this


@dataclass(frozen=True)
class Timeline:
    """A conversation told in Swedish."""

    conversation: Conversation
    system: str
    channel: str
    outcome: str
    caller: str  # the masked number while the call is kept with one, else that it is forgotten
    steps: list[Entry]
    messages: list[Entry]


def system_name(line: Line, system: str | None) -> str:
    """A checklist's Swedish name ("inget valt" before the caller chose)."""
    return "inget valt" if system is None else lookup_system_name(line, system)


def outcome_text(line: Line, data: dict[str, Any]) -> str:
    """The outcome in words, the reason the caller heard, and where the checklist solved it."""
    text = outcome(str(data.get("outcome") or ""))
    if data.get("blocked"):
        text += " (inte kopplad vidare: reglerna tillät det inte)"
    why = data.get("why")
    if isinstance(why, dict) and why.get("sv"):
        text += f". Skäl: {why['sv']}"
    if data.get("solved_step"):
        text += f". Löst vid steg {step_text(line, data.get('checklist'), data['solved_step'])}"
    return text


def dial_text(data: dict[str, Any]) -> str:
    """"Ringde Chef i beredskap (försök 2): svarade inte."."""
    who = DIALLED.get(str(data.get("kind")), "ett nummer")
    attempt = f" (försök {data['attempt']})" if data.get("attempt") else ""
    status = DIAL_STATUS.get(str(data.get("status")), "okänt svar")
    if data.get("accepted"):
        status = "svarade och tryckte 1"
    return f"Ringde {who}{attempt}: {status}."


def entry(line: Line, event: dict[str, Any], system: str | None) -> Entry | None:
    """One event in words; None for those the timeline leaves out (the outcome is told by itself)."""
    kind, data, at = event["kind"], event["data"], event["at"]
    if kind == EventKind.SYSTEM_CHOSEN:
        return Entry(at, f"Valde {system_name(line, event['system'])}.")
    if kind == EventKind.LANGUAGE:
        return Entry(at, f"Valde språk: {LANGUAGES.get(str(data.get('lang')), str(data.get('lang')))}.")
    if kind == EventKind.ANSWER:
        return Entry(at, f"{step_text(line, event['system'] or system, data.get('step'))} Svar: {answer_text(data)}.")
    if kind == EventKind.NOTICE_ANSWER:
        return Entry(at, "Svarade på driftinfon.")
    if kind == EventKind.OUTCOME:
        return Entry(at, f"Utfall: {outcome_text(line, data)}.", "outcome")
    if kind == EventKind.DIAL_RESULT:
        return Entry(at, dial_text(data), "dial")
    if kind in NOTED:
        return Entry(at, NOTED[EventKind(kind)])
    return None


def message_entry(message: dict[str, Any]) -> Entry:
    """An outbox row: what it was and how it went."""
    tries = f", {message['attempts']} försök" if message["attempts"] > 1 else ""
    if message["channel"] == "ticket" and message["state"] == "delivered":
        tries += f" (ärendenummer {message['provider_id'] or 'saknas'})"
    kind = MESSAGE_KINDS.get(message["kind"], "meddelande")
    state = MESSAGE_STATES.get(message["state"], message["state"])
    return Entry(message["created_at"], f"{kind}: {state}{tries}.", "message")


def timeline(line: Line, store: Store, conversation: Conversation) -> Timeline:
    """The conversation in words, with its messages (an SMS sender's: those until her next conversation)."""
    from ivr.operations.logs import mask_numbers

    system = conversation.system
    steps = [found for found in (entry(line, event, system) for event in conversation.events) if found]
    # The session's number and state belong to its latest conversation only.
    record = store.get(conversation.session_id) if conversation.latest else None
    if record is not None:
        asked = {str(event["data"].get("step")) for event in conversation.events if event["kind"] == EventKind.ANSWER}
        steps += [Entry(None, f"{step_text(line, system, step)} Besvarat tidigare, i samtalet som det här fortsätter.")
                  for step in known_steps(record, asked)]
    rows = store.outbox.rows(session_id=conversation.session_id, limit=200)
    messages = [message_entry(row) for row in reversed(rows)  # oldest first, as the steps
                if conversation.started_at <= row["created_at"]
                and (conversation.next_at is None or row["created_at"] < conversation.next_at)]
    caller = mask_numbers(record.caller) if record is not None and record.caller else \
        t("numret är glömt (samtalet är slut)")
    if conversation.outcome is None:
        steps.append(Entry(None, "Inget utfall: samtalet slutade innan checklistan gjorde det.", "outcome"))
    channel = t(CHANNELS.get(conversation.channel, conversation.channel))
    return Timeline(conversation, system_name(line, system), channel, outcome(conversation.outcome), caller, steps,
                    messages)
