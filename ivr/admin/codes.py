"""One-time sign-in codes: made at random, kept only as an HMAC, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets

import phonenumbers

CODE_DIGITS = 6


def new_code() -> str:
    """Six random digits ("042917"): easy to type from an SMS on a phone."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_hash(secret: str, number_key: str, code: str) -> str:
    """The stored form of a code: bound to its number, useless without the server's secret."""
    return hmac.new(secret.encode(), f"{number_key}:{code}".encode(), hashlib.sha256).hexdigest()


def typed_code(value: str) -> str | None:
    """A code as typed ("042 917", "042-917") without spaces and hyphens; None if it is not six digits."""
    digits = "".join(value.split()).replace("-", "")
    return digits if len(digits) == CODE_DIGITS and digits.isascii() and digits.isdigit() else None


def typed_number(value: str) -> str | None:
    """A phone number as typed ("070-174 06 98", "+46 70 ...") in E.164; None if it is not a valid one."""
    try:
        parsed = phonenumbers.parse(value.strip()[:40], "SE")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))
