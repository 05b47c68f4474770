"""A call's state carried in the action URLs of its own TwiML, so a turn needs no database read.

Every <Gather>, <Dial> and <Number url> the line returns points back at the line
with `s=<token>`: the call's state after this turn. Twilio requests exactly that
URL and signs it (X-Twilio-Signature covers the whole URL), so a caller cannot
change it. With the database down, a call still runs its checklist from the
token; with the database up, the newer of the two states wins (a replayed or
retried request carries an older one).

The token holds no phone number (URLs reach Twilio's logs and access logs):
only the engine state, counters, and roster person ids. It is bound by an HMAC
to the call it belongs to, so a token of one call is no use in another.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import zlib
from typing import Any

from twilio.twiml import TwiML

PARAM = "s"
MAC_BYTES = 12  # 96 bits: a forgery needs the server's key, not luck
MAX_TOKEN = 3000  # Twilio accepts URLs of a few thousand characters; ours are a few hundred
# Verbs whose attribute is a URL back to the line: that attribute carries the state.
URL_ATTRIBUTES = {"Gather": "action", "Dial": "action", "Number": "url"}


class TokenError(ValueError):
    """A token that is not ours, not for this call, or not readable."""


def _mac(key: bytes, call_sid: str, payload: bytes) -> bytes:
    """The token's HMAC: the call's id and the payload, under a key only this server knows."""
    message = call_sid.encode() + b"\x00" + payload
    return hmac.new(key, message, hashlib.sha256).digest()[:MAC_BYTES]


def encode(data: dict[str, Any], call_sid: str, key: bytes) -> str:
    """A URL-safe token for this call's state."""
    # The keys in the order given (Session.carried()), not sorted: a turn compares the state it carries with
    # the stored row's JSON text (ivr/channels/voice/call.py), and the order of a step's answers is theirs.
    payload = zlib.compress(json.dumps(data, separators=(",", ":")).encode(), 9)
    return base64.urlsafe_b64encode(_mac(key, call_sid, payload) + payload).decode().rstrip("=")


def decode(token: str, call_sid: str, key: bytes) -> dict[str, Any]:
    """The state a token carries; TokenError if it was not made for this call by this server."""
    if not token or len(token) > MAX_TOKEN or not token.isascii():
        raise TokenError("no usable state token")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise TokenError("state token is not base64") from None
    mac, payload = raw[:MAC_BYTES], raw[MAC_BYTES:]
    if not hmac.compare_digest(mac, _mac(key, call_sid, payload)):
        raise TokenError("state token was not made for this call")
    try:
        data = json.loads(zlib.decompress(payload))
    except (zlib.error, ValueError):
        raise TokenError("state token does not hold JSON") from None
    if not isinstance(data, dict):
        raise TokenError("state token does not hold an object")
    return data


def carry(node: TwiML, token: str) -> None:
    """Add the token to every URL in a response that points back at the line (relative URLs)."""
    carry_token = getattr(node, "carry_token", None)
    if carry_token is not None:  # a prompt built once (twiml.Prompt): the token goes into its placeholder
        carry_token(token)
        return
    attribute = URL_ATTRIBUTES.get(node.name)
    if attribute is not None:
        target = node.attrs.get(attribute)
        if isinstance(target, str) and target.startswith("/"):
            node.attrs[attribute] = f"{target}{'&' if '?' in target else '?'}{PARAM}={token}"
    for child in node.verbs:
        if isinstance(child, TwiML):
            carry(child, token)
