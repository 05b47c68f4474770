"""Phone numbers: which caller ids are numbers, and how people read and hear them."""

from __future__ import annotations

import re

import phonenumbers

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
# What Twilio puts in From when the caller hides their number ("ANONYMOUS" etc. on a keypad).
HIDDEN_NUMBERS = frozenset({"+266696687", "+86282452253", "+8656696", "+2562533", "+7378742833"})


def national(number: str) -> str:
    """A number the Swedish way, e.g. +46141225047 -> 0141-22 50 47."""
    parsed = phonenumbers.parse(number, "SE")
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL))


def written_number(number: str) -> str:
    """A number to call back, as people write it: 070-174 06 99 for a Swedish one, +47 ... for another.

    A caller id phonenumbers cannot read is written as it came (the manager can still try it).
    """
    try:
        parsed = phonenumbers.parse(number, "SE")
    except phonenumbers.NumberParseException:
        return number
    style = (phonenumbers.PhoneNumberFormat.NATIONAL if parsed.country_code == 46
             else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return str(phonenumbers.format_number(parsed, style))


def spoken_number(number: str) -> str:
    """Digits with pauses between groups, so TTS says "noll ett fyra ett" and not a large number."""
    groups = national(number).replace("-", " ").split()
    return ", ".join(" ".join(group) for group in groups)


# Numbers that take no SMS: Twilio refuses one to them at once (error 21614).
NO_SMS = frozenset({phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.TOLL_FREE,
                    phonenumbers.PhoneNumberType.PREMIUM_RATE, phonenumbers.PhoneNumberType.SHARED_COST,
                    phonenumbers.PhoneNumberType.UAN, phonenumbers.PhoneNumberType.VOICEMAIL})


def takes_sms(number: str) -> bool:
    """False for a number that is known to take no SMS (a landline, a switchboard); True when it may."""
    try:
        parsed = phonenumbers.parse(number, "SE")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(parsed) not in NO_SMS


def phone_number(value: str) -> str | None:
    """The caller's E.164 number; None for withheld numbers, SIP and client identities."""
    value = value.strip()
    return value if E164.match(value) and value not in HIDDEN_NUMBERS else None
