"""Text for the ear: phone numbers read digit by digit, in groups."""

from __future__ import annotations

from flows.phone import national

__all__ = ["national", "spoken_number"]


def spoken_number(number: str) -> str:
    """Digits with pauses between groups, so TTS says "noll ett fyra ett" and not a large number."""
    groups = national(number).replace("-", " ").split()
    return ", ".join(" ".join(group) for group in groups)
