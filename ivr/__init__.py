"""Felsökningslinjen's Flask app: Twilio voice and SMS webhooks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask


def create_app(test_config: dict[str, Any] | None = None, **overrides: Any) -> Flask:
    """Build the app from the environment, or from test_config in tests and the simulator.

    overrides apply on top of the environment (e.g. DEV_MODE for `ivr serve --dev`).
    """
    # Imported here, so that `ivr check` and the other commands need not load the web stack.
    from ivr import admin, outbox, parts
    from ivr.channels.sms import routes as sms
    from ivr.channels.voice import fallback, it_on_call, test_call
    from ivr.channels.voice import routes as voice
    from ivr.config import checked_line, load_settings, make_notifier
    from ivr.operations import db_budget, metrics, reload
    from ivr.store import Store
    from ivr.web import signature
    from ivr.web.oncall_cache import OncallCache

    app = Flask(__name__, instance_relative_config=True)
    load_settings(app, test_config, overrides)
    app.extensions[parts.LINE] = checked_line(app)
    reload.init_app(app)  # `ivr reload` / SIGHUP: a new validated line, swapped in before a request
    # The /admin console (people signed in by SMS code, CSRF-checked forms): its settings are
    # checked here, before the store opens connections that a refused start would leave open.
    admin.init_app(app)
    settings = parts.settings(app)
    store = Store(settings.database_url)
    # Before the first connection (a refused token leaves none open), and before the signature
    # check's before_request, so that its timer sees refused requests too.
    metrics.init_app(app, store)
    if settings.db_auto_upgrade:
        store.upgrade()
    app.extensions[parts.STORE] = store
    app.extensions[parts.ONCALL] = OncallCache(store, settings.oncall_refresh_seconds)  # each worker's copy of swaps
    app.extensions[parts.CLOCK] = settings.clock or (lambda: datetime.now(UTC))
    app.extensions[parts.NOTIFIER] = settings.notifier or make_notifier(settings)
    db_budget.init_app(app)  # each request's database waits end at one deadline (a hanging PostgreSQL)
    outbox.init_app(app)  # each turn's messages sent after its commit, then retried; the status callbacks
    signature.init_app(app)  # before any view: every webhook is checked
    app.register_blueprint(voice.bp)
    app.register_blueprint(sms.bp)
    app.register_blueprint(test_call.bp)
    app.register_blueprint(it_on_call.bp)
    fallback.init_app(app)  # the fallback routes, and the error handler that never leaves a call silent
    return app
