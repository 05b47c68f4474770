"""The /admin console for the people who run the line: same app, same store, signed in by an SMS code.

Pages are a Flask blueprint with Jinja templates and one stylesheet (no front-end build).
Every page but the sign-in needs a signed-in admin (ivr/admin/auth.py guards the whole
blueprint); every POST carries a CSRF token (Flask-WTF's CSRFProtect, applied to this
blueprint only: Twilio's webhooks are checked by their signature instead).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from ivr.admin.blueprint import unknown_console_path
from ivr.admin.views import bp

__all__ = ["bp", "init_app"]

SESSION_HOURS = 8  # a working day: a signed-in console is not left open for days
csrf = CSRFProtect()


def session_secret(pseudonym_key: str) -> str:
    """Flask's signing key when IVR_SECRET_KEY is not set: derived from the required IVR_PSEUDONYM_KEY.

    A keyed derivation, so the cookie's key is not the pseudonym key itself and one
    leaked cookie key says nothing about callers' pseudonyms.
    """
    return hmac.new(pseudonym_key.encode(), b"felsokningslinjen /admin session cookie", hashlib.sha256).hexdigest()


def session_hours(value: object) -> int:
    """IVR_ADMIN_SESSION_HOURS as a whole number of hours (default SESSION_HOURS); ConfigError otherwise."""
    if value is None:
        return SESSION_HOURS
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 24 * 7:
        from ivr.config import ConfigError

        raise ConfigError("ADMIN_SESSION_HOURS must be a whole number of hours from 1 to 168")
    return value


def init_app(app: Flask) -> None:
    """Cookie settings, CSRF protection and the blueprint."""
    config = app.config
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = session_secret(str(config["PSEUDONYM_KEY"]))
    secure = config.get("ADMIN_COOKIE_SECURE")
    if secure is None:
        secure = not config["DEV_MODE"]  # plain http only for `ivr serve --dev` on loopback
    if not isinstance(secure, bool):
        from ivr.config import ConfigError

        raise ConfigError("ADMIN_COOKIE_SECURE must be true or false (IVR_ADMIN_COOKIE_SECURE=false)")
    config.update(
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",  # Lax: a link from a mail to /admin still finds the session
        SESSION_COOKIE_NAME="ivr_admin",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=session_hours(config.get("ADMIN_SESSION_HOURS"))),
        # Checked only where the console asks (auth.py), never on the webhooks.
        WTF_CSRF_CHECK_DEFAULT=False,
        # The token lives as long as the signed-in session, not an hour: the Now page stays open all day.
        WTF_CSRF_TIME_LIMIT=None,
    )
    csrf.init_app(app)
    app.register_blueprint(bp)
    # Routing errors happen before any blueprint is chosen: the app's own 404 handler gives the
    # console's page for /admin/... and leaves every other path as it was.
    app.register_error_handler(404, unknown_console_path)
