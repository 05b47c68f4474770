"""A call's webhooks as turns: keys read into intents for the conversation (ivr/conversation), the dials.

Each function takes the turn's record and call and returns the TwiML; the
routes (ivr/channels/voice/routes.py) and Twilio's fallback (ivr/channels/voice/fallback.py) run them
through ivr/channels/voice/call.run_turn.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from flask import Response, request
from twilio.twiml.voice_response import VoiceResponse

from flows.engine import State, StateError
from flows.events import EventKind
from flows.facts import manager_sms
from flows.model import Outcome
from flows.phone import phone_number
from ivr import outbox
from ivr.channels.voice import input as voice_input
from ivr.channels.voice import reply as voice_reply
from ivr.channels.voice.call import Handler, run_turn
from ivr.channels.voice.carried_state import PARAM
from ivr.channels.voice.render import VoiceRenderer
from ivr.channels.voice.twiml import call_sid, dial_bridged, hang_up
from ivr.conversation import dispatch
from ivr.conversation.receipt import send_receipt
from ivr.conversation.session import DialState, Session
from ivr.outbox import Outgoing
from ivr.outbox.escalation import manager_chain
from ivr.privacy import caller_key
from ivr.store import SessionRecord
from ivr.tickets import filing as tickets
from ivr.web.turn_context import turn_context

log = logging.getLogger(__name__)

YES = "1"  # the manager's key in the whisper
# Twilio reports a bridged <Dial> as "completed"; some clients say "answered".
DIAL_CONNECTED = frozenset({"completed", "answered"})


def renderer(call: Session) -> VoiceRenderer:
    """The voice in the call's language."""
    return VoiceRenderer(turn_context().line, call.state.lang)


def welcome(record: SessionRecord, call: Session) -> VoiceResponse:
    """The first turn's menu (or the offer to go on after a dropped call); a retried webhook: the same again."""
    return voice_reply.render([dispatch.welcome(record, call)], call.state.lang)


def key_entered(record: SessionRecord, call: Session) -> VoiceResponse:
    """What the call hears after a key (or silence), whatever it was waiting on."""
    intent = voice_input.read(call, dispatch.current(call))
    parts = dispatch.handle(record, call, intent)
    return voice_reply.render(parts, call.state.lang)


def on_call_chain(call: Session) -> tuple[str, ...]:
    """The person ids of the chain fixed for this call (no number rides in a URL)."""
    context = turn_context()
    people = context.line.roster.people
    if call.dial.chain and all(person in people for person in call.dial.chain):
        return call.dial.chain
    return tuple(person.id for person in context.line.roster.chain_at(context.now))  # the roster changed since


def on_call_numbers(call: Session) -> list[str]:
    """The numbers of the chain fixed for this call."""
    people = turn_context().line.roster.people
    return [people[person].number for person in on_call_chain(call)]


def dial_handler(kind: str) -> Handler:
    """The turn after a <Dial> of this kind (on_call, it_support, local)."""
    status = request.form.get("DialCallStatus", "")
    if kind == "on_call":
        return lambda record, call: on_call_result(record, call, status)
    return lambda record, call: other_dial_result(record, call, kind, status)


def other_dial_result(record: SessionRecord, call: Session, kind: str, status: str) -> VoiceResponse:
    """After the dial to IT support (or another number): hang up when it was answered, else say whom to call."""
    voice = renderer(call)
    record.add_event(EventKind.DIAL_RESULT, {"kind": kind, "status": status}, call.state.checklist)
    decided = call.state.decision
    if kind == "it_support" and decided is not None and decided.outcome is Outcome.IT_SUPPORT:
        # The receipt says how it went (this action comes when the call has ended).
        send_receipt(record, decided, call.state.lang, call.line_number, code_passed=call.pin.passed,
                     result="connected" if status in DIAL_CONNECTED else "unanswered")
    if status in DIAL_CONNECTED:
        return hang_up()
    if kind == "it_support":
        return voice.goodbye("it_support_unanswered_ticket" if decided and decided.ticket else "it_support_unanswered")
    return voice.goodbye("give_up_office", it_support=voice.it_support_number())


def on_call_result(record: SessionRecord, call: Session, status: str) -> VoiceResponse:
    """After one on-call number: connected, the next number, or an SMS and a promise of a call back.

    Connected means the manager pressed 1 in the whisper, whatever DialCallStatus says:
    recorded in the store, or (without it) Twilio's DialBridged, since a screened leg is
    only bridged once the whisper let it through.
    """
    voice = renderer(call)
    attempt = call.dial.attempt
    accepted = call.dial.accepted or dial_bridged()
    record.add_event(EventKind.DIAL_RESULT, {"kind": "on_call", "attempt": attempt, "status": status,
                                             "accepted": accepted}, call.state.checklist)
    if accepted:
        if call.state.decision is not None and not call.callback:
            # Sent when she pressed 1 (ivr/channels/voice/routes.py); this finds that row and adds nothing. Without the
            # database then, this is the receipt's one direct send.
            send_receipt(record, call.state.decision, call.state.lang, call.line_number,
                         code_passed=call.pin.passed, result="connected")
        return hang_up()
    if call.state.decision is None or call.state.decision.outcome is not Outcome.ON_CALL_MANAGER:
        return voice.goodbye("goodbye")  # no on-call dial was made for this call: nothing to continue
    chain = on_call_numbers(call)
    if attempt + 1 < len(chain):
        call.dial = DialState(attempt + 1, False, call.dial.chain)
        response = VoiceResponse()
        voice.say(response, voice.text("on_call_next"))
        voice.dial_on_call(response, record.id.removeprefix("voice:"), attempt + 1, chain[attempt + 1])
        return response
    filed = tickets.manager_unreached(record, call)  # IT support takes over: the ticket (ivr/tickets/filing.py)
    context = turn_context()
    body = manager_sms(context.line, call.state.decision, record.caller, context.now)
    # Keyed by the call and the dial it follows: a replayed or retried dial result (Twilio retries,
    # a proxy repeats, a status callback comes twice) finds this row and texts the manager no more.
    # Not delivered (in time), it goes to the next in the chain (ivr/outbox/escalation.py).
    outbox.send(record, Outgoing(
        kind="manager_sms", key=f"{record.id}:manager_sms:{attempt}", target=chain[0], text=body,
        sender=call.line_number,
        audit={"sent": EventKind.ON_CALL_SMS.value, "failed": EventKind.ON_CALL_SMS_FAILED.value,
               "system": call.state.checklist, "data": {}},
        follow=manager_chain(on_call_chain(call), 0)))
    # Now the receipt can say what happened: nobody answered, the manager has been texted.
    if not call.callback:
        send_receipt(record, call.state.decision, call.state.lang, call.line_number,
                     code_passed=call.pin.passed, result="unanswered")
    # A hidden number cannot be called back: the caller must try again instead.
    return voice.goodbye(*filed, "on_call_unanswered" if record.caller else "on_call_unreachable")


def bridge_callback(record: SessionRecord, call: Session, sms_data: dict[str, Any] | None) -> VoiceResponse:
    """The carer answered the call-back the SMS line placed after RING: say why, then dial the on-call chain."""
    record.caller = phone_number(request.form.get("To", ""))  # Twilio called the carer
    record.caller_key = caller_key(record.caller)
    voice = renderer(call)
    state = on_call_sms_state(sms_data)
    if state is None or state.decision is None or record.caller is None:
        record.add_event(EventKind.CALLBACK_INVALID, {})
        return voice.goodbye("on_call_unreachable")
    decision = state.decision
    call.state = state
    call.line_number = request.form.get("From", "")
    call.callback = True
    numbers = dispatch.start_on_call(call)
    record.add_event(EventKind.CALLBACK_STARTED, {}, decision.checklist_id)
    voice = renderer(call)
    response = VoiceResponse()
    system = turn_context().line.library.by_id(decision.checklist_id).name[call.state.lang]
    voice.say(response, voice.text("callback_intro", system=system))
    voice.say(response, voice.text("on_call_manager"))
    voice.dial_on_call(response, call_sid(), 0, numbers[0])
    return response


def on_call_sms_state(data: dict[str, Any] | None) -> State | None:
    """The SMS conversation's state, only if it ended in an on-call decision."""
    try:
        state = State.from_dict((data or {}).get("state"))
    except StateError:
        return None
    if state.decision is None or state.decision.outcome is not Outcome.ON_CALL_MANAGER:
        return None
    return state


def call_ended(record: SessionRecord, call: Session) -> None:
    """Forget the call's number for good, and count a hang-up before the outcome as abandoned."""
    record.caller_key = caller_key(record.caller)  # these last events still count this caller
    call.ended = True
    record.caller = None
    if call.state.decision is None and not call.by_sms:  # a call gone on by SMS is not abandoned
        record.add_event(EventKind.ABANDONED, {"reason": "hangup", "step": call.state.step}, call.state.checklist)
    record.add_event(EventKind.CALL_ENDED, {"status": request.form.get("CallStatus"),
                                            "seconds": request.form.get("CallDuration", "")[:8]},
                     call.state.checklist)
    record.data = call.to_data()


# The requests Twilio's fallback can continue, by the path that failed.
CONTINUABLE: dict[str, Callable[[], Handler]] = {
    "/voice": lambda: welcome, "/voice/input": lambda: key_entered,
    "/voice/dial/on_call": lambda: dial_handler("on_call"),
    "/voice/dial/it_support": lambda: dial_handler("it_support"),
    "/voice/dial/local": lambda: dial_handler("local"),
}


def continue_after_failure(error_url: str) -> Response | None:
    """Twilio's fallback: answer the request that failed from the state its URL carried, without the database.

    None when that request cannot be continued this way (the caller then gets the
    fault answer).
    """
    parts = urlsplit(error_url)
    path = parts.path.rstrip("/")
    handler = next((make for suffix, make in CONTINUABLE.items() if path.endswith(suffix)), None)
    if handler is None:
        return None
    return run_turn(handler(), token=dict(parse_qsl(parts.query)).get(PARAM, ""), offline=True)
