"""One request's view of the line: its data, its store, its notifier, and the moment, read once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from flask import current_app, g

from flows.line import Line
from ivr.notify import Notifier
from ivr.store import Store

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class TurnContext:
    """What every part of one webhook turn shares; built on first use and kept for the request."""

    line: Line
    store: Store
    notifier: Notifier
    now: datetime  # the turn's one reading of the clock (frozen in tests and `ivr simulate --at`)
    office_hours: bool


def turn_context() -> TurnContext:
    """This request's context (the clock is read once per request, however many parts ask)."""
    context = cast(TurnContext | None, g.get("ivr_turn"))
    if context is None:
        extensions = current_app.extensions
        line = cast(Line, extensions["ivr.line"])
        now = cast(Clock, extensions["ivr.clock"])()
        context = TurnContext(line, cast(Store, extensions["ivr.store"]), cast(Notifier, extensions["ivr.notifier"]),
                              now, line.calendar.is_office_hours(now))
        g.ivr_turn = context
    return context
