"""The header's language switch: Swedish (the default) or English, kept in a cookie of its own.

A plain link (a GET), so it works on every page, signed in or not, without a form or script;
it changes nothing but how the console speaks, so it needs no CSRF token. It sends the person
back to the page they were on, and only to a console page (never to another site).
"""

from __future__ import annotations

from flask import current_app, redirect, request, url_for
from werkzeug.wrappers import Response

from ivr import parts
from ivr.admin.blueprint import bp
from ivr.admin.texts import COOKIE, DEFAULT, LANGUAGES

YEAR = 365 * 24 * 3600


def back_to(path: str) -> str:
    """The console page to return to: a local /admin path, else the start page."""
    if path.startswith("/admin") and not path.startswith("//") and "\\" not in path and "\n" not in path:
        return path
    return url_for("admin.now")


@bp.get("/sprak")
def switch_language() -> Response:
    """Set the console's language and go back."""
    chosen = request.args.get("lang", DEFAULT)
    response = redirect(back_to(request.args.get("next", "")), 303)
    response.set_cookie(COOKIE, chosen if chosen in LANGUAGES else DEFAULT, max_age=YEAR, path="/admin",
                        secure=parts.settings(current_app).admin_cookie_secure, httponly=True, samesite="Lax")
    return response
