"""TwiML text for responses the line gives again and again: the menu, each step's question.

Serialising a twilio builder tree (ElementTree, in Python) cost more than the
rest of a step's turn: 0.15 ms for the menu. Two ways spare that:

- `shared()`: the renderer names everything a prompt is built from (texts,
  voices, timeout); the first call builds it with the twilio builders and keeps
  the response and its text, later calls get the same response back. Shared
  between requests, it refuses to be changed.
- `serialise()`: any other response is built every time, and its text looked up
  by the tree's full content (every verb's name, text and attributes, in order),
  so a hit is exactly what `str(response)` would give.

Not cached: responses with a <Dial> or <Number> (numbers to call) and any
action URL with a query (those carry the CallSid): they are different for every
call, and this cache should hold nothing about a particular caller.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from twilio.twiml import TwiML
from twilio.twiml.voice_response import VoiceResponse

MAX_ENTRIES = 512  # a line has a few hundred distinct prompts: 2 languages x (menu + ~60 steps) x prefaces
PER_CALL_VERBS = frozenset({"Dial", "Number"})

_texts: dict[tuple[Any, ...], str] = {}
_evicting = threading.Lock()  # threaded servers: another thread must not change a dict we iterate


class SharedResponse(VoiceResponse):  # type: ignore[misc]  # twilio has no type hints
    """A response built once and handed to every request that needs the same one, with its text."""

    def __init__(self, built: VoiceResponse) -> None:
        """Take over a built response's verbs and serialise it once."""
        super().__init__()
        self.attrs = built.attrs
        self.verbs = built.verbs
        self.text = str(built)

    def nest(self, verb: Any) -> Any:
        """Refused: other requests hold this response too."""
        raise TypeError("a shared TwiML response cannot be changed: build a new VoiceResponse")


_shared: dict[tuple[Any, ...], SharedResponse] = {}


def shared(key: tuple[Any, ...], build: Callable[[], VoiceResponse]) -> VoiceResponse:
    """The response kept under `key`, built by `build()` the first time."""
    response = _shared.get(key)
    if response is None:
        response = SharedResponse(build())
        _remember(_shared, key, response)
    return response


def _remember(entries: dict[tuple[Any, ...], Any], key: tuple[Any, ...], value: Any) -> None:
    """Keep a value, dropping the oldest entry when full (only misses get here, so a lock is cheap)."""
    with _evicting:
        if len(entries) >= MAX_ENTRIES:
            entries.pop(next(iter(entries)))
        entries[key] = value


def serialise(response: TwiML) -> str:
    """`str(response)`, from the cache when the same response was given before."""
    if isinstance(response, SharedResponse):
        return response.text
    key = _content(response)
    if key is None:
        return str(response)
    text = _texts.get(key)
    if text is None:
        text = str(response)
        _remember(_texts, key, text)
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
