"""The app's shared parts, typed: the app.extensions keys every layer reads, and one accessor each.

The settings (ivr/settings.py), the line, the store, the on-call cache, the clock, the
notifier and the signature check live in Flask's `app.extensions` under the names below; the
accessors here are the one way to read them, so no module spells a key or casts a value
itself. A part one module owns keeps its key there, with its accessor: the reloader
(operations/reload.py), the metrics (operations/metrics.py), the outbox's sender and worker
(outbox/sender.py, outbox/worker.py); nothing here imports them, so nothing goes round. They stay
separate entries because some are swapped while the app runs (`ivr reload` swaps the line;
tests and the simulator swap the clock and the line).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from flask import Flask, current_app

if TYPE_CHECKING:
    from twilio.request_validator import RequestValidator

    from flows.line import Line
    from ivr.notify import Notifier
    from ivr.settings import Settings
    from ivr.store import Store
    from ivr.web.oncall_cache import OncallCache

Clock = Callable[[], datetime]

# app.extensions keys
SETTINGS = "ivr.settings"  # ivr.settings.Settings, frozen
LINE = "ivr.line"  # flows.line.Line: swapped by `ivr reload`
STORE = "ivr.store"
ONCALL = "ivr.oncall"  # OncallCache: each worker's copy of the on-call swaps
CLOCK = "ivr.clock"  # () -> aware datetime: frozen in tests and `ivr simulate --at`
NOTIFIER = "ivr.notifier"
VALIDATOR = "ivr.validator"  # twilio's RequestValidator with the auth token


def _extensions(app: Flask | None) -> dict[str, Any]:
    return (app or current_app).extensions


def settings(app: Flask | None = None) -> Settings:
    """The app's checked settings (the current app's by default)."""
    return cast("Settings", _extensions(app)[SETTINGS])


def line(app: Flask | None = None) -> Line:
    """The line as loaded (roster.yaml without the stored swaps: see turn_context for those)."""
    return cast("Line", _extensions(app)[LINE])


def store(app: Flask | None = None) -> Store:
    """The app's store."""
    return cast("Store", _extensions(app)[STORE])


def oncall_cache(app: Flask | None = None) -> OncallCache:
    """This worker's copy of the on-call swaps."""
    return cast("OncallCache", _extensions(app)[ONCALL])


def clock(app: Flask | None = None) -> Clock:
    """The app's clock (call it for the moment)."""
    return cast(Clock, _extensions(app)[CLOCK])


def now(app: Flask | None = None) -> datetime:
    """The moment, by the app's clock."""
    return clock(app)()


def notifier(app: Flask | None = None) -> Notifier:
    """Twilio's REST API, or the log in development and tests."""
    return cast("Notifier", _extensions(app)[NOTIFIER])


def validator(app: Flask | None = None) -> RequestValidator:
    """Twilio's signature check with the app's auth token."""
    return cast("RequestValidator", _extensions(app)[VALIDATOR])
