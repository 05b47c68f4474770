"""The security headers of every console route: read from the app's own URL map, so a new page cannot miss them."""

from __future__ import annotations

import re

from flask import Flask

from ivr.admin.headers import CSP
from tests.test_admin import Console

# A value for each route parameter (the routes' own converters decide what else is refused).
SAMPLES = {"system": "viva", "swap_id": "1", "filename": "admin.css", "incident_id": "1", "call_id": "1",
           "session_id": "0" * 64}


def console_routes(app: Flask) -> list[tuple[str, set[str]]]:
    """(path, methods) for every /admin rule, parameters filled with samples."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: SAMPLES[m.group(1)], rule.rule)
        found.append((path, set(rule.methods or ()) - {"HEAD", "OPTIONS"}))
    return found


def test_every_console_route_sends_the_security_headers(app: Flask) -> None:
    admin = Console(app)
    admin.sign_in()
    routes = console_routes(app)
    assert len(routes) >= 15
    seen = 0
    for path, methods in routes + [("/admin/finns-inte", {"GET"})]:
        for method in sorted(methods):
            response = admin.get(path) if method == "GET" else admin.post(path, token="not-a-token")
            headers = response.headers
            response.close()  # a static file's stream
            assert headers["Content-Security-Policy"] == CSP, (method, path)
            assert "frame-ancestors 'none'" in CSP and "script-src 'self'" in CSP and "unsafe-inline" not in CSP
            assert headers["X-Frame-Options"] == "DENY", (method, path)
            assert headers["Referrer-Policy"] == "same-origin", (method, path)
            assert headers["X-Content-Type-Options"] == "nosniff", (method, path)
            if not path.startswith("/admin/static/"):
                assert headers["Cache-Control"] == "no-store", (method, path)
            seen += 1
    assert seen >= 20
    # Signed out too: the sign-in page, and a page that sends you there.
    visitor = Console(app)
    for path in ("/admin/logga-in", "/admin/"):
        assert visitor.get(path).headers["Cache-Control"] == "no-store"


def test_the_webhooks_keep_their_own_headers(app: Flask) -> None:
    response = app.test_client().get("/healthz")
    assert "Content-Security-Policy" not in response.headers
