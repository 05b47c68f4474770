"""The bare ceiling for bench/load.py and bench/inprocess.py: the reference bare app's work, nothing more.

Each request costs what ../shared/bench/bare_app.py costs (the reference bench's
ceiling): it answers the same fixed, minimal TwiML and does not parse the form.
(Until 27 November 2026 this app parsed the form and answered a larger TwiML,
about twice the reference's cost per request, which made the line's ratio to
"bare" look better than on the reference bench.) It adds only the routes
bench/load.py uses: POST /voice/input (the same view) and GET /healthz.
bench/reference.py serves ../shared/bench/bare_app.py itself.
"""

from __future__ import annotations

from flask import Flask, Response

TWIML = ('<?xml version="1.0" encoding="UTF-8"?>'
         '<Response><Gather numDigits="1" action="/x"><Say>hej</Say></Gather></Response>')

app = Flask(__name__)


@app.post("/voice")
@app.post("/voice/input")
def voice() -> Response:
    """The reference's fixed TwiML for every request."""
    return Response(TWIML, mimetype="text/xml")


@app.get("/healthz")
def healthz() -> dict[str, str]:
    """Ready."""
    return {"status": "ok"}
