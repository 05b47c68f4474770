"""The console's CSRF check: Flask-WTF's token on every POST, with an answer a person can act on.

Flask-WTF (and WTForms, which it imports) is imported at the console's first form, not with the
app: 30 modules and ~0.5 MiB of every worker (measured December 2026 on a started app), which
Twilio's webhooks never use (they are checked by their signature, ivr/web/signature.py).
So no CSRFProtect.init_app (it imports Flask-WTF at start, and adds a before_request to every
webhook that did nothing here): its settings are set below, its check and its token are
called by the console alone.
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import BadRequest


class CsrfRefused(BadRequest):
    """A POST without the session's token, or over https without a same-origin Referer (Flask-WTF's reason)."""

    description = "CSRF validation failed."


def init_app(app: Flask) -> None:
    """What CSRFProtect.init_app would set that its check reads, and `csrf_token()` for the templates."""
    for key, value in (("WTF_CSRF_METHODS", {"POST", "PUT", "PATCH", "DELETE"}), ("WTF_CSRF_FIELD_NAME", "csrf_token"),
                       ("WTF_CSRF_HEADERS", ["X-CSRFToken", "X-CSRF-Token"]), ("WTF_CSRF_SSL_STRICT", True)):
        app.config.setdefault(key, value)
    # The token lives as long as the signed-in session, not an hour: the Now page stays open all day.
    app.config["WTF_CSRF_TIME_LIMIT"] = None
    app.add_template_global(csrf_token, "csrf_token")


def csrf_token() -> str:
    """The session's signed token for a form (made once per request; the session keeps its secret)."""
    from flask_wtf.csrf import generate_csrf

    return str(generate_csrf())


def check_csrf() -> None:
    """Raise CsrfRefused (400) for a POST without the session's token."""
    if request.method == "POST":
        from flask_wtf.csrf import CSRFError, CSRFProtect

        try:
            CSRFProtect().protect()  # reads only the config above; never init_app'd (see the top)
        except CSRFError as refused:
            raise CsrfRefused(refused.description) from None
