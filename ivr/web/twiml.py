"""What the voice webhooks and the fallback read from a Twilio request, and how they answer it."""

from __future__ import annotations

import re

from flask import Response, request
from twilio.twiml.voice_response import VoiceResponse

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
# What Twilio puts in From when the caller hides their number ("ANONYMOUS" etc. on a keypad).
HIDDEN_NUMBERS = frozenset({"+266696687", "+86282452253", "+8656696", "+2562533", "+7378742833"})


def twiml(response: VoiceResponse) -> Response:
    """A TwiML HTTP response."""
    return Response(str(response), mimetype="text/xml")


def phone_number(value: str) -> str | None:
    """The caller's E.164 number; None for withheld numbers, SIP and client identities."""
    value = value.strip()
    return value if E164.match(value) and value not in HIDDEN_NUMBERS else None


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
