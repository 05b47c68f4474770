"""Pronunciation pieces (ivr/channels/voice/pronounce.py) as SSML children of a <Say>, through the twilio builders.

Polly's standard voices (Polly.Astrid, Polly.Amy) take <sub>, <lang>, <prosody>
and <break>. The builders keep text between children as the previous child's
tail, so the pieces alternate text and elements (adjacent text is one piece).
"""

from __future__ import annotations

from collections.abc import Iterable

from twilio.twiml.voice_response import Say, SsmlLang

from ivr.channels.voice.pronounce import Piece

NUMBER_RATE = "slow"  # a phone number is written down as it is heard
NUMBER_PAUSE = "500ms"  # before it is said again


def ssml(node: Say | SsmlLang, found: Iterable[Piece], again: str) -> None:
    """Append the pieces to a <Say> (or a <lang> inside it)."""
    for piece in found:
        if piece.kind == "text":
            node.append(piece.text)
        elif piece.kind == "sub":
            node.sub(piece.text, alias=piece.alias)
        elif piece.kind == "lang":
            ssml(node.lang(xml_lang=piece.lang), piece.inner, again)
        else:  # a phone number: slower, a pause, "jag upprepar:", and again
            node.prosody(piece.text, rate=NUMBER_RATE)
            node.append(", ")
            node.break_(time=NUMBER_PAUSE)
            node.append(f"{again} ")
            node.prosody(piece.text, rate=NUMBER_RATE)
