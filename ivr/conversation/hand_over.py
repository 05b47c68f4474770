"""Key 8: a call goes on by SMS at the same step, with the answers already given.

The step is texted through the outbox (one per call and step: a replayed key 8
sends nothing new), sent right after the commit and retried. The SMS
conversation is keyed by the sender's pseudonym (ivr/privacy.py), as if the
carer had texted: their first reply answers the step the call was on, and the
rest (RING for Chef i beredskap included) is the SMS line's own. It is written
in the call's own transaction, so a call is never handed over to a conversation
that was not stored. A message Twilio gives up on later is audited as
sms_handover_failed; the SMS conversation waits for the carer's reply.
"""

from __future__ import annotations

from flows.engine import Turn
from flows.events import EventKind
from ivr import outbox
from ivr.channels.sms.render import SmsRenderer
from ivr.conversation.session import SMS, PinState, Session
from ivr.outbox import Outgoing
from ivr.privacy import caller_key, sms_session_id
from ivr.store import SessionRecord
from ivr.web.turn_context import turn_context


def hand_over(call_record: SessionRecord, session: Session, turn: Turn) -> None:
    """Text the step and start the caller's SMS conversation there (any earlier one of theirs is replaced)."""
    context = turn_context()
    step = turn.step.id if turn.step else None
    number = str(call_record.caller)
    outbox.send(call_record, Outgoing(
        kind="sms_handover", key=f"{call_record.id}:sms_handover:{step}", target=number,
        text=SmsRenderer(context.line, session.state.lang).step(turn), sender=session.line_number,
        audit={"failed": EventKind.SMS_HANDOVER_FAILED.value, "system": session.state.checklist,
               "data": {"reason": "send_failed", "step": step}}))
    state = session.state
    with context.store.other_session(call_record, sms_session_id(number), "sms", caller=number) as record:
        record.caller_key = caller_key(number)
        if record.data is not None:
            old = Session.stored_state(SMS, record.data)
            if old is not None and old.checklist and old.decision is None:
                record.add_event(EventKind.ABANDONED, {"reason": "replaced_by_call"}, old.checklist)
        record.add_event(EventKind.SMS_STARTED, {"after": "call", "step": state.step}, state.checklist)
        # The staff code goes with her: passed (or offered) on the call, it is not asked again by SMS.
        pin = PinState(passed=session.pin.passed, asked=session.pin.asked)
        record.data = Session(SMS, state, session.line_number, pin).to_data()
