"""Waiting for what a server writes after its answer: an access line, a reload's result."""

from __future__ import annotations

import time
from collections.abc import Callable


def text_once(read: Callable[[], str], text: str, *, count: int = 1, within_s: float = 5.0) -> str:
    """read()'s text once it holds `text` `count` times, or as it stands after within_s: the caller asserts on it."""
    deadline = time.monotonic() + within_s
    while (current := read()).count(text) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return current
