"""Phone numbers for people: the Swedish national form."""

from __future__ import annotations

import phonenumbers


def national(number: str) -> str:
    """A number the Swedish way, e.g. +46141225047 -> 0141-22 50 47."""
    parsed = phonenumbers.parse(number, "SE")
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL))


def spoken_number(number: str) -> str:
    """Digits with pauses between groups, so TTS says "noll ett fyra ett" and not a large number."""
    groups = national(number).replace("-", " ").split()
    return ", ".join(" ".join(group) for group in groups)
