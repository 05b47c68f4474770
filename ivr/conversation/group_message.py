"""A step's message for the caller (`notify:` in a checklist): Swedlock's point 3 to välfärdsteknikgruppen.

The seed tells the carer to send it; the line offers to do it for her and, on the
answer the step names, texts the contact's `sms` number (config/line.yaml)
through the outbox: written in the turn's transaction, sent once per
conversation and step (a replayed answer, or the same checklist again in the
same call, adds nothing), retried. The message is in the line's first language,
for the group that reads it next morning: the time, the system, the answers
that record facts, and the number to call back.
"""

from __future__ import annotations

from flows.engine import Turn
from flows.events import EventKind
from flows.facts import group_sms
from ivr import outbox
from ivr.conversation.reply import Text
from ivr.conversation.session import Session
from ivr.outbox import Outgoing
from ivr.store import SessionRecord
from ivr.web.turn_context import turn_context


def send_step_message(record: SessionRecord, session: Session, turn: Turn) -> Text:
    """Queue the step's message to its contact; what the caller is told ("Jag har skickat meddelandet ...")."""
    context = turn_context()
    assert turn.step is not None and turn.step.notify is not None and turn.checklist is not None
    contact = context.line.settings.contacts[turn.step.notify]
    assert contact.sms is not None  # flows/line.py refuses a notify contact without one
    facts = {step.fact: step.fact_value(session.state.answers[step.id]) for step in turn.checklist.steps
             if step.fact and step.id in session.state.answers}
    text = group_sms(context.line, turn.checklist.id, facts, record.caller or None, context.now)
    outbox.send(record, Outgoing(
        kind="step_message", key=f"{record.id}:step_message:{turn.step.id}", target=contact.sms, text=text,
        sender=session.line_number,
        audit={"sent": EventKind.STEP_MESSAGE_SENT.value, "failed": EventKind.STEP_MESSAGE_FAILED.value,
               "system": turn.checklist.id, "data": {"step": turn.step.id, "to": contact.id}}))
    return Text("step_message_sent", {"contact": contact.name[session.state.lang]})
