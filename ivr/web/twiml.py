"""What the voice webhooks and the fallback read from a Twilio request, and how they answer it."""

from __future__ import annotations

from flask import Response, request
from twilio.twiml.voice_response import VoiceResponse


def twiml(response: VoiceResponse) -> Response:
    """A TwiML HTTP response."""
    return Response(str(response), mimetype="text/xml")


def hang_up() -> VoiceResponse:
    """TwiML that only hangs up: the call (or the manager's leg) is over."""
    response = VoiceResponse()
    response.hangup()
    return response


def query_int(name: str) -> int:
    """A small whole number from our own action URL's query; 0 if it was tampered into anything else."""
    value = request.args.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 3 else 0


def call_sid() -> str:
    """The CallSid of this webhook; a request without one is not from Twilio's voice API."""
    return request.form.get("CallSid", "") or "unknown"


def dial_bridged() -> bool:
    """Twilio's own word that a <Dial> ended bridged: with screening, only after the whisper let it through."""
    return request.form.get("DialBridged", "").strip().lower() == "true"
