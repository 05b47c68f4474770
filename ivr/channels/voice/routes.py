"""Voice routes: each Twilio voice webhook, run as one turn of the call (ivr/channels/voice/turns.py)."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request
from twilio.twiml.voice_response import VoiceResponse

from flows.engine import StateError
from flows.events import EventKind
from ivr.channels.voice import turns as voice_turns
from ivr.channels.voice.call import carried_call, newer, run_turn
from ivr.channels.voice.carried_state import PARAM
from ivr.channels.voice.render import VoiceRenderer
from ivr.channels.voice.twiml import call_sid, hang_up, query_int, twiml
from ivr.conversation.incidents import manager_accepted
from ivr.conversation.receipt import send_receipt
from ivr.conversation.session import VOICE, Session
from ivr.store import StoreError
from ivr.web.turn_context import turn_context

bp = Blueprint("voice", __name__, url_prefix="/voice")
log = logging.getLogger(__name__)

# Twilio's final call statuses: the call is over.
ENDED = ("completed", "busy", "failed", "no-answer", "canceled")


@bp.post("")
def incoming() -> Response:
    """A new call: welcome and the system menu (a retried webhook re-presents the current turn)."""
    return run_turn(voice_turns.welcome)


@bp.post("/input")
def keypress() -> Response:
    """A key (or silence) in answer to the menu or a step."""
    return run_turn(voice_turns.key_entered)


@bp.post("/dial/<kind>")
def dial_result(kind: str) -> Response:
    """How a <Dial> ended: done, or what the caller should do instead."""
    return run_turn(voice_turns.dial_handler(kind))


@bp.post("/whisper")
def whisper() -> Response:
    """The on-call manager's leg: who calls about what, press 1 to accept."""
    parent = request.args.get("call", "")
    carried = carried_call(parent, request.args.get(PARAM, ""))
    context = turn_context()
    try:
        record = context.store.get(f"voice:{parent}")
        stored = Session.from_data(VOICE, record.data) if record is not None and record.data is not None else None
    except (StoreError, StateError, TypeError, ValueError) as exc:
        log.error("whisper without the stored call (%s): it uses the state its URL carries", exc)
        stored = None
    call = newer(stored, carried)
    if call is None or call.state.decision is None:
        return twiml(hang_up())  # no escalation waiting: this leg has nothing to say
    voice = VoiceRenderer(context.line, context.line.settings.default_language)
    return twiml(voice.whisper(call.state.decision, parent, query_int("attempt")))


@bp.post("/whisper/accept")
def whisper_accept() -> Response:
    """The manager's key: 1 bridges the call, anything else hangs up this leg."""
    parent = request.args.get("call", "")
    attempt = query_int("attempt")
    context = turn_context()
    if request.form.get("Digits", "") != voice_turns.YES:
        return twiml(VoiceRenderer(context.line, context.line.settings.default_language).declined())
    try:
        with context.store.session(f"voice:{parent}", "voice", context.now) as record:
            if record.data is not None:
                call = Session.from_data(VOICE, record.data)
                if call.dial.chain and call.dial.attempt == attempt:
                    call.dial.accepted = True
                    record.data = call.to_data()
                    record.add_event(EventKind.ON_CALL_ACCEPTED, {"attempt": attempt})
                    if call.state.decision is not None and attempt < len(call.dial.chain):
                        decision = call.state.decision
                        # She knows now: the system's incident is acknowledged (opened if none).
                        manager_accepted(record, decision, call.dial.chain[attempt])
                        # The receipt can say it now: "Du kopplades till chef i beredskap 22.04." (a call-back
                        # after RING has none: that carer's conversation is the SMS itself)
                        if not call.callback:
                            send_receipt(record, decision, call.state.lang, call.line_number,
                                         code_passed=call.pin.passed, result="connected")
    except (StoreError, StateError, TypeError, ValueError) as exc:
        # The bridge itself is the record: the dial's action hears DialBridged=true.
        log.error("could not store the manager's acceptance (%s); bridging anyway", exc)
    return twiml(VoiceResponse())  # an empty response bridges the two legs


@bp.post("/callback")
def callback() -> Response:
    """A call the SMS line placed after RING: bridge the carer to the on-call manager."""
    sms_session = turn_context().store.get(f"sms:{request.args.get('sms', '')}")
    sms_data = sms_session.data if sms_session else None
    return run_turn(lambda record, call: voice_turns.bridge_callback(record, call, sms_data))


@bp.post("/status")
def status() -> Response:
    """Twilio's status callback: a call that ended before its outcome was abandoned by the caller."""
    if request.form.get("CallStatus") not in ENDED:
        return twiml(VoiceResponse())
    store, now = turn_context().store, turn_context().now
    try:
        # One transaction: the locked read and the write (a call never stored writes nothing; measured,
        # a read-only transaction before it was a second BEGIN/COMMIT for every call's end).
        with store.session(f"voice:{call_sid()}", "voice", now) as record:
            if record.data is not None:
                voice_turns.call_ended(record, Session.from_data(VOICE, record.data))
    except (StoreError, StateError, TypeError, ValueError) as exc:
        log.error("status callback not recorded: %s", exc)
    return twiml(VoiceResponse())
