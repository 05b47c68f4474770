"""Felsökningslinjen's Flask app: Twilio voice and SMS webhooks."""

from __future__ import annotations

from typing import Any

from flask import Flask


def create_app(test_config: dict[str, Any] | None = None, **overrides: Any) -> Flask:
    """Build the app from the environment, or from test_config in tests and the simulator.

    overrides apply on top of the environment (e.g. DEV_MODE for `ivr serve --dev`).
    """
    from ivr.setup import configure  # here, so that `ivr check` need not import the web stack

    app = Flask(__name__, instance_relative_config=True)
    configure(app, test_config, overrides)
    return app
