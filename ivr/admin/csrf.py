"""The console's CSRF check: Flask-WTF's token on every POST, with an answer a person can act on."""

from __future__ import annotations

from flask import request


def check_csrf() -> None:
    """Raise flask_wtf's CSRFError (400) for a POST without the session's token."""
    if request.method == "POST":
        from ivr.admin import csrf

        csrf.protect()
