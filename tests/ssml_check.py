"""What Polly's standard voices accept inside a <Say>: the SSML the line may send, checked in every golden call.

Polly answers an unknown tag or a bad attribute with an error, and Twilio then
says nothing at all: a caller left in silence. So the golden replays check
every <Say> they hear against this list.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}-[A-Z]{2}$")
RATES = re.compile(r"^(x-slow|slow|medium|fast|x-fast|[1-9]\d{1,2}%)$")
BREAK_TIME = re.compile(r"^(\d{1,4}ms|\d{1,2}s)$")
BREAK_STRENGTH = ("none", "x-weak", "weak", "medium", "strong", "x-strong")


def ssml_problems(say: ET.Element) -> list[str]:
    """Everything in a <Say> that Polly would refuse; [] when it is fine."""
    problems: list[str] = []
    if say.tag != "Say":
        return [f"<{say.tag}> is not a <Say>"]
    if not "".join(say.itertext()).strip():
        problems.append("an empty <Say>")
    for child in say.iter():
        if child is say:
            continue
        problems += _element(child)
    return problems


def _element(node: ET.Element) -> list[str]:
    attrs = dict(node.attrib)
    if node.tag == "sub":
        ok = bool(attrs.pop("alias", "").strip()) and bool((node.text or "").strip()) and len(node) == 0
        return [] if ok and not attrs else [f"<sub> needs an alias, written text and no children: {_xml(node)}"]
    if node.tag == "lang":
        tag = attrs.pop(XML_LANG, "")
        return [] if LANGUAGE_TAG.match(tag) and not attrs else [f"<lang> needs xml:lang like en-GB: {_xml(node)}"]
    if node.tag == "prosody":
        rate = attrs.pop("rate", "")
        return [] if RATES.match(rate) and not attrs else [f"<prosody> rate must be slow, 90% ...: {_xml(node)}"]
    if node.tag == "break":
        time, strength = attrs.pop("time", None), attrs.pop("strength", None)
        ok = (time is None or BREAK_TIME.match(time)) and (strength is None or strength in BREAK_STRENGTH)
        return [] if ok and not attrs and not (node.text or "").strip() else [f"bad <break>: {_xml(node)}"]
    return [f"<{node.tag}> is not SSML the line uses: {_xml(node)}"]


def _xml(node: ET.Element) -> str:
    return ET.tostring(node, encoding="unicode")
