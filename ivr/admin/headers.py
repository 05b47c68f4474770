"""The console's security headers, on every /admin response (pages, errors, the stylesheet, CSV files).

- A Content-Security-Policy with no inline script or style: the pages' one script is a file
  (static/now.js), so an injected <script> or on...= attribute would not run.
- frame-ancestors 'none' (and X-Frame-Options for old browsers): no page of the console inside
  another site's frame, so no click-jacking.
- Referrer-Policy same-origin: a console URL (a call's filter, a receipt code) never leaves in a
  Referer; Flask-WTF still gets the same-origin Referer it checks on https.
- nosniff, and Cache-Control no-store on everything but the static files: the pages show calls,
  numbers masked or not, and names; a shared computer's cache or back button keeps none of it.
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.wrappers import Response

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
PREFIX = "/admin"
STATIC = "/admin/static/"


def secure(response: Response) -> Response:
    """Add the headers to a console response (others, the webhooks' TwiML, are left as they are)."""
    if not request.path.startswith(PREFIX):
        return response
    headers = response.headers
    headers["Content-Security-Policy"] = CSP
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    headers["X-Content-Type-Options"] = "nosniff"
    if not request.path.startswith(STATIC):
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return response


def init_app(app: Flask) -> None:
    """On the app, not the blueprint: an unknown /admin/ path's 404 gets them too."""
    app.after_request(secure)
