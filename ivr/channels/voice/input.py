"""A call's key or speech, read into the conversation's intent (ivr/conversation/intent.py).

Key 1 is yes, 2 no, 3 "vet inte", * again, 0 the menu, # the other language,
5 more time, 8 on by SMS, 9 no ticket (after an outcome that filed one); a digit
also names that system at the menu. While the staff code is asked, the keys are the code.
"""

from __future__ import annotations

from flask import request

from flows.engine import Expect, Turn
from ivr.channels.voice import speech as voice_speech
from ivr.conversation.intent import Act, Intent
from ivr.conversation.session import Session
from ivr.web.turn_context import turn_context

KEYS = {"1": Act.YES, "2": Act.NO, "3": Act.DONT_KNOW, "*": Act.REPEAT, "0": Act.MENU, "#": Act.LANGUAGE,
        "5": Act.MORE_TIME,  # the key with the raised dot: found without looking
        "8": Act.BY_SMS,
        "9": Act.NO_TICKET}  # the line's last key, away from 1 (yes, and "connect me" after an outcome)


def read(session: Session, turn: Turn) -> Intent:
    """The intent of this request's Digits (or SpeechResult) at the turn the call waits on."""
    digits = request.form.get("Digits", "").strip()
    if session.pin.asking:  # before step 1 or after the last (ivr/conversation/dispatch.py staff_first)
        return Intent(Act.CODE if digits else Act.SILENCE, text=digits)  # # alone skips the code
    if turn.expect is not Expect.NOTHING:
        spoken = voice_speech.heard(turn, session.state.lang)
        if spoken is not None:  # speech counts as its key
            if spoken.key is None:
                return Intent(Act.UNCLEAR)
            digits = spoken.key
    if not digits:
        return Intent(Act.SILENCE)
    library = turn_context().line.library
    system = library.by_key(int(digits)) if len(digits) == 1 and digits in "123456789" else None
    return Intent(KEYS.get(digits, Act.OTHER), text=digits, system=system)
