"""When the line files a ticket: the one function each channel's ending calls.

Every outcome that sends the caller to IT support files one, in the turn that decides it
(an outbox row of channel "ticket", sent after the commit: the caller never waits on the ITSM):

- finished(): office-hours IT support (beside the transfer, so whoever answers can open it),
  the IT-portal outcome, and after hours "wait for IT support" (it is there at 08:00);
- manager_unreached(): the last on-call number did not answer.

The decision then carries ticket=True: the caller hears "Jag har skapat ett ärende åt dig.", the
SMS outcome says it, and the receipt gives the code with it. One ticket per outage: when the
system's incident record exists (ivr/store/incidents.py), the first caller's ticket is keyed by
the incident and each later caller is a note on it (ivr/tickets/delivery.py), with how many
callers and workplaces so far. Keys name the call (or the incident), never the moment, so a
replayed webhook files nothing new. Without the database nothing is filed, and nothing is said.

A caller may decline her ticket (declinable(), decline()): key 9 on a call, INGET ÄRENDE by SMS.
So that declining stops it before it leaves, a declinable ticket waits tickets.decline_seconds in
the outbox before its first try (and so does the receipt that mentions it, ivr/conversation/receipt.py).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from flows.events import EventKind
from flows.model import Answer, Outcome
from flows.routing import Decision
from flows.ticket import ticket_content
from ivr.conversation.incidents import incidents, known_for
from ivr.conversation.session import Session
from ivr.privacy import reference_code
from ivr.store import SessionRecord
from ivr.store.outbox import Outgoing
from ivr.web.turn_context import turn_context

# Outcomes that send the caller to IT support at their end (on_call_manager only when nobody answered).
AT_FINISH = frozenset({Outcome.IT_SUPPORT, Outcome.IT_PORTAL, Outcome.WAIT_FOR_OFFICE_HOURS})


def declinable(channel: str, decision: Decision) -> bool:
    """May the caller decline the ticket filed for this outcome (key 9, INGET ÄRENDE)?

    Not on a call sent to IT support at once (office hours, Outcome.IT_SUPPORT): the call is being
    transferred as she hears it, and the person who answers opens the ticket with her on the line; if
    nobody answers, IT support calls back from it. Not after the last unanswered on-call number
    (manager_unreached): the call ends there, and the ticket is what IT support takes over with.
    """
    if not decision.ticket or decision.outcome not in AT_FINISH:
        return False
    return not (channel == "voice" and decision.outcome is Outcome.IT_SUPPORT)


def grace(channel: str, decision: Decision) -> timedelta:
    """How long a row that names this decision's ticket waits before its first try (time to decline it)."""
    if not declinable(channel, decision):
        return timedelta(0)
    return timedelta(seconds=turn_context().line.settings.tickets.decline_seconds)


def finished(record: SessionRecord, decision: Decision, answers: dict[str, Answer]) -> Decision:
    """The conversation's finish (ivr/conversation/steps.py): the decision, with ticket=True when the line
    filed one for it with these answers."""
    if decision.outcome not in AT_FINISH:
        return decision
    return file_ticket(record, decision, answers, decision.outcome.value, record.channel)


def manager_unreached(record: SessionRecord, call: Session) -> list[str]:
    """The voice dial's hook after the last unanswered on-call number: file, mark the call's decision; the
    voice keys to say first (["ticket_filed"] or none)."""
    if call.state.decision is None:
        return []
    decision = call.state.decision
    filed = file_ticket(record, decision, dict(call.state.answers), "on_call_unreached",
                        "sms" if call.callback else "voice")
    call.state = replace(call.state, decision=filed)
    return ["ticket_filed"] if filed.ticket else []


def file_ticket(record: SessionRecord, decision: Decision, answers: dict[str, Answer], outcome: str,
                channel: str) -> Decision:
    """Enqueue the ticket (or the note on the incident's ticket) in the turn; the decision says it was filed."""
    context = turn_context()
    delay = grace(record.channel, replace(decision, ticket=True))
    settings = context.line.settings.tickets
    if not settings.enabled or not record.in_turn:  # no database: no ticket (the receipt says so)
        return decision

    record.ref = record.ref or reference_code(record.id)
    live = incidents().live(decision.checklist_id, context.now, known_for(), via=record)
    # She joins the incident after the outcome is decided: counted here unless she is among its callers already.
    callers = live.callers + (0 if incidents().is_caller(record, live.id) else 1) if live else None
    ticket = ticket_content(context.line, decision, answers, outcome=outcome, at=context.now, code=record.ref,
                            channel=channel, caller=record.caller if settings.caller_number else None,
                            callers=callers,
                            workplaces=len(live.workplaces) if live else None, incident=live.id if live else None)
    store = context.store

    def row(kind: str, key: str, parent: str | None = None) -> Outgoing:
        return Outgoing(kind=kind, key=key, target=settings.backend, text=ticket.text, sender="", channel="ticket",
                        ticket={**ticket.fields(), **({"parent": parent} if parent else {})},
                        audit={"sent": EventKind.TICKET_FILED.value, "failed": EventKind.TICKET_FAILED.value,
                               "system": decision.checklist_id,
                               "data": {"code": record.ref, "incident": live.id if live else None}},
                        delay=delay)

    own = ticket_key(record)
    if live is None:
        store.enqueue(record, row("ticket", own))
    else:
        parent = f"ticket:incident:{live.id}"
        if store.enqueue(record, row("ticket", parent)) is None and store.outbox.owner(parent, record) != record.id:
            store.enqueue(record, row("ticket_note", own, parent))
    return replace(decision, ticket=True)


def ticket_key(record: SessionRecord) -> str:
    """The key of the ticket this turn files: one per call, whatever is replayed (the dial result that files
    it may come again); one per finished problem in a text conversation, which keeps one session per
    number for many problems (its turns are never run twice: a retried message is answered from its
    MessageSid before the conversation sees it, so the turn's seq names the problem)."""
    return f"{record.id}:ticket:{record.seq}" if record.channel == "sms" else f"{record.id}:ticket"


def decline(record: SessionRecord, decision: Decision) -> bool:
    """The caller declines her ticket: cancel its rows not tried yet, and say so in the log; True when
    nothing had left (False: too late, the ITSM has it or is being sent it now).

    Her rows are keyed by her conversation, or by the incident when she was its first caller: declining
    that one too means a later caller's note on it files a ticket of its own (ivr/tickets/delivery.py).
    """
    if not record.in_turn:
        return False
    outbox = turn_context().store.outbox
    cancelled = [key for key in outbox.ticket_keys(record) if outbox.cancel(record, key)]
    record.add_event(EventKind.TICKET_DECLINED, {"code": record.ref, "in_time": bool(cancelled)},
                     decision.checklist_id)
    return bool(cancelled)

