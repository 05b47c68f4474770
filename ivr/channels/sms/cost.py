"""What an SMS costs: GSM-7 or not, and how many segments."""

from __future__ import annotations

import functools

import gsm0338  # noqa: F401 - registers the "gsm03.38" codec

SEGMENT_SEPTETS = 160  # one GSM-7 segment
# A longer SMS is sent in parts of 153 septets (each carries a 7-byte header): two parts hold this much.
TWO_SEGMENTS_SEPTETS = 2 * 153


def gsm7_septets(text: str) -> int | None:
    """Septets the text needs in GSM-7 (extension characters count two), None if not GSM-7."""
    total = 0
    for char in text:
        septets = char_septets(char)
        if septets is None:
            return None
        total += septets
    return total


@functools.cache
def char_septets(char: str) -> int | None:
    """One character's septets; cached, since `ivr check` measures thousands of texts at each start."""
    try:
        return len(char.encode("gsm03.38"))
    except UnicodeEncodeError:
        return None


def non_gsm7_characters(text: str) -> list[str]:
    """The characters that would force the whole SMS into UCS-2."""
    return sorted({char for char in text if gsm7_septets(char) is None})


def fits_one_segment(text: str) -> bool:
    """True for a GSM-7 text of at most 160 septets."""
    septets = gsm7_septets(text)
    return septets is not None and septets <= SEGMENT_SEPTETS
