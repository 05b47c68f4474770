"""One request's view of the line: its data, its store, its notifier, and the moment, read once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import cast

from flask import current_app, g

from flows.line import Line
from flows.oncall import merged
from ivr.notify import Notifier
from ivr.store import Store
from ivr.web.oncall_cache import OncallCache

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class TurnContext:
    """What every part of one webhook turn shares; built on first use and kept for the request."""

    line: Line  # with the on-call swaps in force merged into its roster
    store: Store
    notifier: Notifier
    now: datetime  # the turn's one reading of the clock (frozen in tests and `ivr simulate --at`)
    office_hours: bool


def turn_context(*, memory_only: bool = False) -> TurnContext:
    """This request's context (the clock is read once per request, however many parts ask).

    The roster is roster.yaml with the stored on-call swaps merged in, as this worker last read
    them; memory_only (the fault paths) does not try the database for newer ones.
    """
    context = cast(TurnContext | None, g.get("ivr_turn"))
    if context is None:
        extensions = current_app.extensions
        line = cast(Line, extensions["ivr.line"])
        now = cast(Clock, extensions["ivr.clock"])()
        swaps = cast(OncallCache, extensions["ivr.oncall"]).changes(now, refresh=not memory_only)
        if swaps:
            line = replace(line, roster=merged(line.roster, swaps))
        context = TurnContext(line, cast(Store, extensions["ivr.store"]), cast(Notifier, extensions["ivr.notifier"]),
                              now, line.calendar.is_office_hours(now))
        g.ivr_turn = context
    return context
