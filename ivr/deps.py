"""Typed access to what create_app puts on the Flask app."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import cast

from flask import current_app

from flows.line import Line
from ivr.notify import Notifier
from ivr.store import Store

Clock = Callable[[], datetime]


def line() -> Line:
    """The loaded checklists and settings."""
    return cast(Line, current_app.extensions["ivr.line"])


def store() -> Store:
    """The session store."""
    return cast(Store, current_app.extensions["ivr.store"])


def now() -> datetime:
    """The current moment (frozen in tests and `ivr simulate --at`)."""
    return cast(Clock, current_app.extensions["ivr.clock"])()


def notifier() -> Notifier:
    """Outbound SMS and calls."""
    return cast(Notifier, current_app.extensions["ivr.notifier"])

