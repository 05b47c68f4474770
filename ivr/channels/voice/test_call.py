"""The webhooks of `ivr test-call`: the whisper a person on the roster hears, and their key.

The call is placed by the CLI through Twilio's REST API (ivr/cli/test_call.py); Twilio fetches its TwiML
here, signed like every other webhook. A press of 1 is stored as an audit event on the test call's own
session (`test:<CallSid>`), which the CLI reads: the one place both processes share.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request
from twilio.twiml.voice_response import VoiceResponse

from flows.events import EventKind
from ivr.channels.voice.render import VoiceRenderer
from ivr.channels.voice.twiml import call_sid, twiml
from ivr.store import StoreError
from ivr.web.turn_context import turn_context

bp = Blueprint("test_call", __name__, url_prefix="/voice/test-call")
log = logging.getLogger(__name__)

ACCEPT_KEY = "1"


def session_id(sid: str) -> str:
    """The store's session for one test call."""
    return f"test:{sid}"


@bp.post("")
def whisper() -> Response:
    """What the person hears: a test, press 1. No key (a voicemail) hangs up."""
    line = turn_context().line
    voice = VoiceRenderer(line, line.settings.default_language)
    return twiml(voice.screening([voice.text_whisper("test_call")], "/voice/test-call/accept", press="test_call_press"))


@bp.post("/accept")
def accept() -> Response:
    """Their key: 1 is stored for `ivr test-call` to report; anything else ends the call."""
    context = turn_context()
    voice = VoiceRenderer(context.line, context.line.settings.default_language)
    if request.form.get("Digits", "") != ACCEPT_KEY:
        return twiml(voice.declined())
    try:
        with context.store.session(session_id(call_sid()), "test", context.now) as record:
            record.data = {"accepted": True}
            record.add_event(EventKind.TEST_CALL_ACCEPTED)
    except StoreError as exc:
        log.error("test call %s: 1 pressed but not stored (%s)", call_sid(), exc)
    response = VoiceResponse()
    voice.say(response, voice.text_whisper("test_call_ok"))
    response.hangup()
    return twiml(response)
