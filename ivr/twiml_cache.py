"""TwiML text for responses the line gives again and again: the menu, each step's question.

Serialising a twilio builder tree (ElementTree, in Python) cost more than the
rest of a step's turn: 0.15 ms for the menu. The tree is still built by the
twilio builders every time; its text is looked up by the tree's full content
(every verb's name, text and attributes, in order), so a hit is exactly what
`str(response)` would give.

Not cached: responses with a <Dial> or <Number> (numbers to call) and any
action URL with a query (those carry the CallSid): they are different for every
call, and this cache should hold nothing about a particular caller.
"""

from __future__ import annotations

from typing import Any

from twilio.twiml import TwiML

MAX_ENTRIES = 512  # a line has a few hundred distinct prompts: 2 languages x (menu + ~60 steps) x prefaces
PER_CALL_VERBS = frozenset({"Dial", "Number"})

_texts: dict[tuple[Any, ...], str] = {}


def serialise(response: TwiML) -> str:
    """`str(response)`, from the cache when the same response was given before."""
    key = _content(response)
    if key is None:
        return str(response)
    text = _texts.get(key)
    if text is None:
        text = str(response)
        if len(_texts) >= MAX_ENTRIES:
            _texts.pop(next(iter(_texts)), None)  # the oldest entry; another thread may have taken it
        _texts[key] = text
    return text


def _content(node: TwiML) -> tuple[Any, ...] | None:
    """Everything str() depends on, as a hashable key; None for a response about one call."""
    if node.name in PER_CALL_VERBS or "?" in str(node.attrs.get("action", "")):
        return None
    if not isinstance(node.value, str | None):
        return None  # a dict value (JSON): rare, not worth a key
    verbs: list[Any] = []
    for verb in node.verbs:
        if isinstance(verb, str):
            verbs.append(verb)  # raw text added with append(): serialised as text
            continue
        content = _content(verb)
        if content is None:
            return None
        verbs.append(content)
    # Attribute values as xml() writes them: True and 1 are equal keys but different TwiML.
    attrs = tuple((name, str(value).lower() if isinstance(value, bool) else str(value))
                  for name, value in node.attrs.items())
    return (node.name, node.value, attrs, tuple(verbs))
