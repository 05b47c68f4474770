"""A caller's speech (Twilio's SpeechResult and Confidence) as the key it stands for (speech_words.py).

The transcript itself is never stored or logged: a carer may say a client's
name, and the line keeps no personal data about anyone.
"""

from __future__ import annotations

from flask import request

from flows.engine import Expect, Turn
from ivr.channels.voice.speech_words import Heard, said_as, speech_key
from ivr.web.turn_context import turn_context


def heard(turn: Turn, lang: str) -> Heard | None:
    """The key the caller's speech stands for; None when nothing was said (or speech is off, or a key came)."""
    line = turn_context().line
    text = request.form.get("SpeechResult", "").strip()
    if not line.settings.speech_enabled or not text or request.form.get("Digits", "").strip():
        return None
    try:
        confidence = float(request.form.get("Confidence", ""))
    except ValueError:
        confidence = 0.0  # no confidence reported: not sure enough to act on
    return speech_key(text, confidence, line.settings.speech_min_confidence, lang, turn.expect is Expect.SYSTEM,
                      line.library.checklists, said_as(line.settings.pronunciation.get(lang, {})))
