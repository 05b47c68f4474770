"""Pseudonyms for callers' numbers: the audit log counts people without storing who they are."""

from __future__ import annotations

import hashlib
import hmac

from flows.refcode import spell
from ivr import parts

PSEUDONYM_LENGTH = 32  # hex characters: 128 bits, plenty to tell a municipality's staff apart


def pseudonym(number: str, key: str) -> str:
    """A keyed hash of a phone number; without the key it cannot be reversed by trying numbers."""
    digest = hmac.new(key.encode(), number.encode(), hashlib.sha256).hexdigest()
    return digest[:PSEUDONYM_LENGTH]


def caller_key(number: str | None) -> str | None:
    """The pseudonym of a caller with the app's key; None for a hidden number."""
    if not number:
        return None
    return pseudonym(number, parts.settings().pseudonym_key)


def reference_code(session_id: str) -> str:
    """A session's code on its receipt and ticket: keyed by the pseudonym key, so it cannot be guessed from
    the call's id."""
    key = parts.settings().pseudonym_key.encode()
    return spell(hmac.new(key, b"receipt code " + session_id.encode(), hashlib.sha256).digest())


def sms_session_id(number: str) -> str:
    """An SMS conversation's key: by the sender, but pseudonymous, since it is copied into every event."""
    return f"sms:{caller_key(number)}"
