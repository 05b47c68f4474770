"""RING: the SMS line calls the carer and connects her to Chef i beredskap (the number is never texted)."""

from __future__ import annotations

from flows.events import EventKind
from flows.model import Outcome
from flows.routing import Decision
from ivr import outbox
from ivr.channels.sms.render import SmsRenderer
from ivr.channels.voice.render import url as action_url
from ivr.conversation.reply import Finished, Part, Say, Text
from ivr.conversation.session import Session
from ivr.outbox import Outgoing
from ivr.store import SessionRecord
from ivr.store.outbox import NOT_DELIVERED
from ivr.web.signature import public_base
from ivr.web.turn_context import turn_context


def given_up(record: SessionRecord, key: str) -> bool:
    """True when the outbox gave up on the call-back under this key (Twilio refused it, or never took it).

    Read in the turn's transaction; without the database, not known: the call stands as placed.
    """
    if not record.in_turn:
        return False
    row = turn_context().store.outbox.by_key(key, via=record)
    return row is not None and row["state"] in NOT_DELIVERED


def call_back(record: SessionRecord, session: Session, decision: Decision) -> list[Part]:
    """Place the call-back (once per outcome), or say why not."""
    context = turn_context()
    line = context.line
    if decision.outcome is not Outcome.ON_CALL_MANAGER or line.settings.sms_on_call_by != "callback":
        return [Finished(decision)]
    if session.ring_call and not given_up(record, session.ring_call):
        return [Say((Text("on_call_already"),))]
    if context.office_hours:
        # Office hours began since the offer: IT support is open, Chef i beredskap is not for this.
        record.add_event(EventKind.CALLBACK_IN_OFFICE_HOURS, {}, decision.checklist_id)
        return [Say((Text("it_support", {"portal": line.settings.it_portal_url}, it_support=True),))]
    if not (session.line_number or line.settings.line_number):
        record.add_event(EventKind.CALLBACK_FAILED, {"error": "no line number to call from"}, decision.checklist_id)
        return [Say((Text("on_call_failed"),))]
    # An outbox row of this turn: placed right after the commit, retried if Twilio is down. Keyed by the
    # conversation's turn, so the same turn run again places no second call; a second RING is answered
    # by ring_call, unless that call was given up (then this places a new one). Its audit events say
    # when Twilio took the call (callback_requested, with the call's sid, which names the call-back's
    # own session) or gave up (callback_failed).
    key = f"{record.id}:callback:{record.seq}"
    outbox.send(record, Outgoing(
        kind="callback", key=key, target=str(record.caller), text="", channel="call",
        sender=session.line_number or str(line.settings.line_number),
        url=public_base() + action_url("/voice/callback", sms=record.id.removeprefix("sms:")),
        audit={"sent": EventKind.CALLBACK_REQUESTED.value, "failed": EventKind.CALLBACK_FAILED.value,
               "system": decision.checklist_id, "data": {}},
        # Given up (Twilio refused it, or never took it): the carer is texted, never left waiting.
        follow={"then": {"kind": "callback_failed_sms", "target": str(record.caller), "n": record.seq,
                         "text": SmsRenderer(line, session.state.lang).text("on_call_failed")}}))
    session.ring_call = key
    return [Say((Text("on_call_calling"),))]
