"""A call's webhooks as turns: what Twilio posts, read for the conversation (ivr/conversation), rendered as TwiML.

No decision is made here. Each function takes the turn's record and call and returns the TwiML; the
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

from flows.phone import phone_number
from ivr.channels.voice import input as voice_input
from ivr.channels.voice import reply as voice_reply
from ivr.channels.voice.call import Handler, run_turn
from ivr.channels.voice.carried_state import PARAM
from ivr.channels.voice.twiml import dial_bridged
from ivr.conversation import dispatch, on_call
from ivr.conversation.session import Session
from ivr.privacy import caller_key
from ivr.store import SessionRecord

log = logging.getLogger(__name__)

YES = "1"  # the manager's key in the whisper


def welcome(record: SessionRecord, call: Session) -> VoiceResponse:
    """The first turn's menu (or the offer to go on after a dropped call); a retried webhook: the same again."""
    return voice_reply.render([dispatch.welcome(record, call)], call.state.lang)


def key_entered(record: SessionRecord, call: Session) -> VoiceResponse:
    """What the call hears after a key (or silence), whatever it was waiting on."""
    intent = voice_input.read(call, dispatch.current(call))
    parts = dispatch.handle(record, call, intent)
    return voice_reply.render(parts, call.state.lang)


def dial_handler(kind: str) -> Handler:
    """The turn after a <Dial> of this kind (on_call, it_support, local)."""
    status = request.form.get("DialCallStatus", "")
    if kind == "on_call":
        return lambda record, call: voice_reply.render(
            [on_call.on_call_dial_ended(record, call, status, bridged=dial_bridged())], call.state.lang)
    return lambda record, call: voice_reply.render([on_call.other_dial_ended(record, call, kind, status)],
                                                   call.state.lang)


def bridge_callback(record: SessionRecord, call: Session, sms_data: dict[str, Any] | None) -> VoiceResponse:
    """The carer answered the call-back the SMS line placed after RING: say why, then dial the on-call chain."""
    record.caller = phone_number(request.form.get("To", ""))  # Twilio called the carer: she is To, the line From
    record.caller_key = caller_key(record.caller)
    part = on_call.call_back_answered(record, call, sms_data, request.form.get("From", ""))
    return voice_reply.render([part], call.state.lang)


def call_ended(record: SessionRecord, call: Session) -> None:
    """Twilio's status callback said the call is over."""
    on_call.call_ended(record, call, request.form.get("CallStatus"), request.form.get("CallDuration", ""))


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
