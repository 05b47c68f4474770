"""What a call with this receipt code answered, for IT support (`ivr lookup CODE`, the console).

Read from the store only: the session found by its code (an index), and its audit
events in order. The caller's number is shown masked, and is gone once the call
ended; the answers stay until `ivr purge` removes the session (retention_days).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from flows.events import EventKind, system_of
from flows.line import Line
from ivr.conversation.session import Session
from ivr.operations.logs import mask_numbers
from ivr.store import SessionRecord, Store

# Events that tell IT support something about the call besides the steps and the outcome.
NOTED = {
    EventKind.BACK_TO_MENU: "went back to the menu",
    EventKind.PIN_ACCEPTED: "staff code accepted",
    EventKind.PIN_REFUSED: "wrong staff code",
    EventKind.PIN_LOCKED: "too many wrong staff codes from this number within the hour: not asked for it",
    EventKind.ON_CALL_ACCEPTED: "Chef i beredskap took the call",
    EventKind.ON_CALL_SMS: "nobody took the call: Chef i beredskap was texted to call back",
    EventKind.ON_CALL_SMS_NEXT: "that SMS was not delivered in time: the next in the on-call chain was texted",
    EventKind.ON_CALL_SMS_UNREACHED: "that SMS was not delivered, and nobody was left in the on-call chain",
    EventKind.RECEIPT_SENT: "receipt texted",
    EventKind.RECEIPT_FAILED: "receipt could not be sent",
    EventKind.ABANDONED: "caller hung up or stayed silent before the outcome",
}
# The outbox's kinds and states in words (ivr/store/outbox.py).
MESSAGE_KINDS = {"manager_sms": "SMS to Chef i beredskap", "receipt": "receipt to the caller",
                 "sms_handover": "the step by SMS (key 8)", "ticket": "ticket in the IT portal",
                 "ticket_note": "added to the incident's ticket"}
MESSAGE_STATES = {"pending": "waiting for a retry", "sending": "being sent", "queued": "accepted by Twilio",
                  "sent": "sent by Twilio", "delivered": "delivered", "undelivered": "not delivered",
                  "failed": "failed at Twilio", "dead": "given up (never accepted)",
                  "logged": "only logged (no Twilio account)", "cancelled": "cancelled (the caller declined it)"}


def describe(line: Line, store: Store, record: SessionRecord, code: str) -> Iterator[str]:
    """The lines `ivr lookup` prints for one session."""
    events = store.events(record.id)
    zone = line.calendar.tz

    def at(moment: datetime | None) -> str:
        return f"{line.calendar.local(moment):%Y-%m-%d %H:%M:%S}" if moment else "-"

    system = system_of(events)
    yield f"Code {code}: call {record.id.removeprefix('voice:')}"
    yield f"System: {system_name(line, system)}"
    yield f"Caller: {mask_numbers(record.caller) if record.caller else 'number forgotten (the call ended)'}"
    yield f"Times ({zone.key}): started {at(record.created_at)}, last activity {at(record.updated_at)}"
    yield "Steps:"
    asked: set[str] = set()
    for event in events:
        kind, data = event["kind"], event["data"]
        if kind == EventKind.SYSTEM_CHOSEN and event["system"] != system:
            yield f"  {at(event['at'])}  chose {system_name(line, event['system'])}"
        elif kind == EventKind.ANSWER:
            asked.add(str(data.get("step")))
            yield f"  {at(event['at'])}  {step_text(line, event['system'], data.get('step'))} -> {answer_text(data)}"
        elif kind == EventKind.OUTCOME:
            yield f"Outcome: {outcome_text(line, data)} ({at(event['at'])})"
        elif kind in NOTED:
            yield f"  {at(event['at'])}  {NOTED[EventKind(kind)]}"
    for step in known_steps(record, asked):
        yield f"  {step_text(line, system, step)} -> answered earlier, in the call this one continues"
    if not any(event["kind"] == EventKind.OUTCOME for event in events):
        yield "Outcome: none (the call ended before the checklist did)"
    messages = store.outbox.rows(session_id=record.id)
    if messages:
        yield "Messages (the outbox; `ivr outbox list`):"
    for message in reversed(messages):  # oldest first, as the steps
        tries = f", {message['attempts']} tries" if message["attempts"] > 1 else ""
        if message["channel"] == "ticket" and message["state"] == "delivered":
            tries += f" (filed, id {message['provider_id'] or 'none given'})"
        elif message["channel"] == "ticket" and message["last_error"]:
            tries += f" ({message['last_error']})"
        yield f"  {at(message['created_at'])}  {MESSAGE_KINDS.get(message['kind'], message['kind'])}: " \
              f"{MESSAGE_STATES.get(message['state'], message['state'])}{tries}"


def system_name(line: Line, system: str | None) -> str:
    """A checklist's Swedish name, or its id if it is no longer configured."""
    if system is None:
        return "(none chosen)"
    try:
        return line.library.by_id(system).name["sv"]
    except KeyError:
        return system


def step_text(line: Line, system: str | None, step_id: object) -> str:
    """"2. Ser du något av dem?": the step's number and question as the caller heard it."""
    try:
        checklist = line.library.by_id(str(system))
        index = checklist.step_index(str(step_id))
    except KeyError:
        return f"{step_id} (no longer in the checklist)"
    return f"{index + 1}. {checklist.steps[index].ask['sv']}"


def answer_text(data: dict[str, Any]) -> str:
    """ja, nej, or whatever other answer the event records."""
    value = data.get("yes")
    if value is True:
        return "ja"
    if value is False:
        return "nej"
    return str(data.get("answer", value))


def outcome_text(line: Line, data: dict[str, Any]) -> str:
    """The outcome and the reason the caller heard."""
    text = str(data.get("outcome"))
    if data.get("blocked"):
        text += f" (not put through: {data['blocked']})"
    why = data.get("why")
    if isinstance(why, dict) and why.get("sv"):
        text += f": {why['sv']}"
    if data.get("solved_step"):
        text += f" at {step_text(line, data.get('checklist'), data['solved_step'])}"
    return text


def known_steps(record: SessionRecord, asked: set[str]) -> list[str]:
    """Steps the conversation holds answers to without an answer event: carried over from the call it resumes or
    continues by SMS (no step is answered from other callers' reports)."""
    state = Session.stored_state(record.channel, record.data)  # the session's one codec
    return [step for step in (state.answers if state else {}) if step not in asked]
