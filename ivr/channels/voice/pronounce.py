"""How the voice should say a text: the pieces a renderer turns into SSML (<sub>, <lang>, <prosody>, <break>).

Pure: the voice channel (ivr/channels/voice/render.py) builds the SSML from these
pieces with the twilio builders. Three rules, in this order of precedence:

- Phone numbers as `spoken_number` writes them ("0 1 4 1, 2 2, 5 0, 4 7") are
  said slower, and twice: a caller in a car has no pen ready the first time.
- Clock times ("08.00", "8:30") are said as words ("åtta", "åtta trettio").
  A Swedish TTS reads "08.00" as "noll åtta punkt noll noll", and Polly's
  say-as "time" means a duration, so the words go in a <sub alias>.
- The terms of `pronunciation` in config/line.yaml: "NPÖ" said "en-pe-ö",
  English product names (Time Care, Cosmic Link, e-Care) in English inside
  Swedish sentences, Swedish names inside English ones.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from flows.settings import Term

Kind = Literal["text", "sub", "lang", "number"]

# A phone number as flows.phone.spoken_number writes it: at least six single digits, in groups.
NUMBER = r"(?<![\w,])\d(?:,? \d){5,}(?![\w])"
# A clock time, 00.00-23.59 with "." or ":", perhaps after "kl"; not part of a longer number ("1.2.30").
TIME = r"(?P<kl>(?<!\w)kl\.? )?(?<![\w.:])(?P<hour>[01]?\d|2[0-3])[.:](?P<minute>[0-5]\d)(?![\w]|[.:]\d)"
O_CLOCK = {"sv": "klockan ", "en": ""}  # said before a time that the sentence does not already introduce

_SV_ONES = ("noll", "ett", "två", "tre", "fyra", "fem", "sex", "sju", "åtta", "nio", "tio", "elva", "tolv",
            "tretton", "fjorton", "femton", "sexton", "sjutton", "arton", "nitton")
_SV_TENS = {2: "tjugo", 3: "trettio", 4: "fyrtio", 5: "femtio"}
_EN_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
            "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
_EN_TENS = {2: "twenty", 3: "thirty", 4: "forty", 5: "fifty"}


@dataclass(frozen=True)
class Piece:
    """A run of a text and how to say it.

    text: plain text; sub: `text` said as `alias`; lang: `inner` said in `lang`;
    number: a phone number, said slower and twice.
    """

    kind: Kind
    text: str
    alias: str = ""
    lang: str = ""
    inner: tuple[Piece, ...] = ()


def pieces(text: str, lang: str, terms: Mapping[str, Term]) -> list[Piece]:
    """The text split into pieces (adjacent plain text is one piece); lang: "sv" or "en", for clock times."""
    pattern = _pattern(tuple(sorted(terms, key=len, reverse=True)))
    found: list[Piece] = []
    position = 0
    for match in pattern.finditer(text):
        _text(found, text[position:match.start()])
        written = match.group(0)
        if match.group("number"):
            found.append(Piece("number", written))
        elif match.group("hour") is not None:
            said = clock(int(match.group("hour")), int(match.group("minute")), lang)
            if match.group("kl") or not text[:match.start()].endswith(O_CLOCK.get(lang, "") or "\0"):
                said = O_CLOCK.get(lang, "") + said  # "sedan 14.00", "kl 14.00": "sedan klockan fjorton"
            found.append(Piece("sub", written, alias=said))
        else:
            found.append(_term(written, terms[written]))
        position = match.end()
    _text(found, text[position:])
    return found


def heard(found: list[Piece], again: str) -> str:
    """What a listener hears: aliases instead of the written form, each number twice."""
    parts: list[str] = []
    for piece in found:
        if piece.kind == "sub":
            parts.append(piece.alias)
        elif piece.kind == "lang":
            parts.append(heard(list(piece.inner), again))
        elif piece.kind == "number":
            parts.append(f"{piece.text}, {again} {piece.text}")
        else:
            parts.append(piece.text)
    return " ".join("".join(parts).split())


def clock(hour: int, minute: int, lang: str) -> str:
    """A clock time in words: "åtta", "åtta trettio", "åtta noll fem"; "eight in the morning"."""
    if lang == "sv":
        if minute == 0:
            return _number_sv(hour)
        return f"{_number_sv(hour)} {'noll ' if minute < 10 else ''}{_number_sv(minute)}"
    said = _number_en(hour % 12 or 12)
    if minute:
        said += f" {'oh ' if minute < 10 else ''}{_number_en(minute)}"
    # Words, not "a.m.": an abbreviation's dot would meet the sentence's own full stop.
    return f"{said} in the {'morning' if hour < 12 else 'afternoon' if hour < 18 else 'evening'}"


def _number_sv(value: int) -> str:
    if value < 20:
        return _SV_ONES[value]
    tens, ones = divmod(value, 10)
    return _SV_TENS[tens] + (_SV_ONES[ones] if ones else "")


def _number_en(value: int) -> str:
    if value < 20:
        return _EN_ONES[value]
    tens, ones = divmod(value, 10)
    return _EN_TENS[tens] + (f"-{_EN_ONES[ones]}" if ones else "")


def _term(written: str, term: Term) -> Piece:
    said = Piece("sub", written, alias=term.say) if term.say else Piece("text", written)
    return Piece("lang", written, lang=term.lang, inner=(said,)) if term.lang else said


def _text(found: list[Piece], text: str) -> None:
    if not text:
        return
    if found and found[-1].kind == "text":
        found[-1] = Piece("text", found[-1].text + text)
    else:
        found.append(Piece("text", text))


_PATTERNS: dict[tuple[str, ...], re.Pattern[str]] = {}


def _pattern(terms: tuple[str, ...]) -> re.Pattern[str]:
    """Numbers, times, then the terms (longest first), each a whole word: "e-Care" but not "Carer"."""
    if terms not in _PATTERNS:
        words = "|".join(re.escape(term) for term in terms)
        term_part = f"|(?<![\\w-])(?:{words})(?![\\w-])" if terms else ""
        _PATTERNS[terms] = re.compile(f"(?P<number>{NUMBER})|{TIME}{term_part}")
    return _PATTERNS[terms]
