"""The /admin console for the people who run the line: same app, same store, signed in with OIDC or an SMS code.

Pages are a Flask blueprint with Jinja templates and one stylesheet (no front-end build).
Every page but the sign-in needs a signed-in admin (ivr/admin/auth.py guards the whole
blueprint); every POST carries a CSRF token (Flask-WTF's check, called by this blueprint's
guard only, ivr/admin/csrf.py: Twilio's webhooks are checked by their signature instead).
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from ivr import parts
from ivr.admin import csrf, headers, oidc, sessions
from ivr.admin.blueprint import unknown_console_path
from ivr.admin.views import bp

__all__ = ["bp", "init_app"]


def init_app(app: Flask) -> None:
    """Cookie settings, CSRF protection and the blueprint."""
    settings = parts.settings(app)
    app.config.update(
        SECRET_KEY=settings.secret_key,  # IVR_SECRET_KEY, or derived from the pseudonym key (ivr/settings.py)
        SESSION_COOKIE_SECURE=settings.admin_cookie_secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",  # Lax: a link from a mail to /admin still finds the session
        SESSION_COOKIE_NAME="ivr_admin",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.admin_session_hours),
    )
    sessions.init_app(app)  # server-side: the cookie holds only an id (ivr/admin/sessions.py)
    csrf.init_app(app)  # checked only where the console asks (auth.py), never on the webhooks
    oidc.init_app(app)
    headers.init_app(app)
    app.register_blueprint(bp)
    # Routing errors happen before any blueprint is chosen: the app's own 404 handler gives the
    # console's page for /admin/... and leaves every other path as it was.
    app.register_error_handler(404, unknown_console_path)
