"""What follows a dial, a call-back and a call's end: every decision of them, for the voice channel to render.

After an on-call number: connected, the next number of the chain fixed for the
call, or (nobody took it) the manager's SMS, the ticket and the receipt. After
IT support's or a local contact's number: done, or whom to call instead. The
SMS line's call-back (RING): why the carer is called, then the chain.
"""

from __future__ import annotations

from typing import Any

from flows.events import EventKind
from flows.facts import manager_sms
from flows.model import Outcome
from ivr import outbox
from ivr.conversation import dispatch
from ivr.conversation.receipt import send_receipt
from ivr.conversation.reply import CallBack, DialNext, Goodbye, HangUp, Part
from ivr.conversation.session import SMS, DialState, Session
from ivr.outbox import Outgoing
from ivr.outbox.escalation import manager_chain
from ivr.privacy import caller_key
from ivr.store import SessionRecord
from ivr.tickets import filing as tickets
from ivr.web.turn_context import turn_context

# Twilio reports a bridged <Dial> as "completed"; some clients say "answered".
DIAL_CONNECTED = frozenset({"completed", "answered"})


def chain_of(session: Session) -> tuple[str, ...]:
    """The person ids of the chain fixed for this call (no number rides in a URL)."""
    context = turn_context()
    people = context.line.roster.people
    if session.dial.chain and all(person in people for person in session.dial.chain):
        return session.dial.chain
    return tuple(person.id for person in context.line.roster.chain_at(context.now))  # the roster changed since


def numbers_of(session: Session) -> list[str]:
    """The numbers of the chain fixed for this call."""
    people = turn_context().line.roster.people
    return [people[person].number for person in chain_of(session)]


def other_dial_ended(record: SessionRecord, session: Session, kind: str, status: str) -> Part:
    """After the dial to IT support (or a local contact): done when answered, else whom to call."""
    record.add_event(EventKind.DIAL_RESULT, {"kind": kind, "status": status}, session.state.checklist)
    decided = session.state.decision
    if kind == "it_support" and decided is not None and decided.outcome is Outcome.IT_SUPPORT:
        # The receipt says how it went (this action comes when the call has ended).
        send_receipt(record, decided, session.state.lang, session.line_number, code_passed=session.pin.passed,
                     result="connected" if status in DIAL_CONNECTED else "unanswered")
    if status in DIAL_CONNECTED:
        return HangUp()
    if kind == "it_support":
        return Goodbye(("it_support_unanswered_ticket" if decided and decided.ticket else "it_support_unanswered",))
    return Goodbye(("give_up_office",), it_support=True)


def on_call_dial_ended(record: SessionRecord, session: Session, status: str, bridged: bool) -> Part:
    """After one on-call number: connected, the next number, or an SMS and a promise of a call back.

    Connected means the manager pressed 1 in the whisper, whatever DialCallStatus says:
    recorded in the store, or (without it) Twilio's DialBridged, since a screened leg is
    only bridged once the whisper let it through.
    """
    attempt = session.dial.attempt
    accepted = session.dial.accepted or bridged
    record.add_event(EventKind.DIAL_RESULT, {"kind": "on_call", "attempt": attempt, "status": status,
                                             "accepted": accepted}, session.state.checklist)
    decision = session.state.decision
    if accepted:
        if decision is not None and not session.callback:
            # Sent when she pressed 1 (ivr/channels/voice/routes.py); this finds that row and adds nothing.
            # Without the database then, this is the receipt's one direct send.
            send_receipt(record, decision, session.state.lang, session.line_number,
                         code_passed=session.pin.passed, result="connected")
        return HangUp()
    if decision is None or decision.outcome is not Outcome.ON_CALL_MANAGER:
        return Goodbye(("goodbye",))  # no on-call dial was made for this call: nothing to continue
    chain = numbers_of(session)
    if attempt + 1 < len(chain):
        session.dial = DialState(attempt + 1, False, session.dial.chain)
        return DialNext(attempt + 1, chain[attempt + 1], record.id.removeprefix("voice:"))
    filed = tickets.manager_unreached(record, session)  # IT support takes over: the ticket
    context = turn_context()
    body = manager_sms(context.line, decision, record.caller, context.now)
    # Keyed by the call and the dial it follows: a replayed or retried dial result (Twilio retries,
    # a proxy repeats, a status callback comes twice) finds this row and texts the manager no more.
    # Not delivered (in time), it goes to the next in the chain (ivr/outbox/escalation.py).
    outbox.send(record, Outgoing(
        kind="manager_sms", key=f"{record.id}:manager_sms:{attempt}", target=chain[0], text=body,
        sender=session.line_number,
        audit={"sent": EventKind.ON_CALL_SMS.value, "failed": EventKind.ON_CALL_SMS_FAILED.value,
               "system": session.state.checklist, "data": {}},
        follow=manager_chain(chain_of(session), 0)))
    # Now the receipt can say what happened: nobody answered, the manager has been texted.
    if not session.callback:
        send_receipt(record, decision, session.state.lang, session.line_number,
                     code_passed=session.pin.passed, result="unanswered")
    # A hidden number cannot be called back: the caller must try again instead.
    return Goodbye((*filed, "on_call_unanswered" if record.caller else "on_call_unreachable"))


def call_back_answered(record: SessionRecord, session: Session, sms_data: dict[str, Any] | None,
                       line_number: str) -> Part:
    """The carer answered the call-back the SMS line placed after RING: say why, then dial the chain."""
    state = Session.stored_state(SMS, sms_data)
    if (state is None or state.decision is None or state.decision.outcome is not Outcome.ON_CALL_MANAGER
            or record.caller is None):
        record.add_event(EventKind.CALLBACK_INVALID, {})
        return Goodbye(("on_call_unreachable",))
    session.state = state
    session.line_number = line_number
    session.callback = True
    numbers = dispatch.start_on_call(session)
    record.add_event(EventKind.CALLBACK_STARTED, {}, state.decision.checklist_id)
    system = turn_context().line.library.by_id(state.decision.checklist_id).name[state.lang]
    return CallBack(system, numbers[0], record.id.removeprefix("voice:"))


def call_ended(record: SessionRecord, session: Session, status: str | None, seconds: str) -> None:
    """Forget the call's number for good, and count a hang-up before the outcome as abandoned."""
    record.caller_key = caller_key(record.caller)  # these last events still count this caller
    session.ended = True
    record.caller = None
    if session.state.decision is None and not session.by_sms:  # a call gone on by SMS is not abandoned
        record.add_event(EventKind.ABANDONED, {"reason": "hangup", "step": session.state.step},
                         session.state.checklist)
    record.add_event(EventKind.CALL_ENDED, {"status": status, "seconds": seconds[:8]}, session.state.checklist)
    record.data = session.to_data()
