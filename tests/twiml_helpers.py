"""Reading the line's TwiML answers in tests: what a caller hears, and which verbs she gets."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ivr.simulator.voice import spoken_text


def spoken(body: bytes | str) -> str:
    """Everything the TwiML says, nested or not."""
    return " ".join(spoken_text(node) for node in ET.fromstring(body).iter("Say"))


def verbs(body: bytes | str) -> list[str]:
    """Top-level TwiML verbs, e.g. ['Say', 'Dial']."""
    return [child.tag for child in ET.fromstring(body)]
