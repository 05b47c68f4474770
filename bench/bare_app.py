"""The baseline for bench/load.py: a bare Flask endpoint answering every webhook with one fixed TwiML.

It parses the form (any real webhook must) and does nothing else: no signature
check, no database, no checklist. Run by bench/load.py as
`gunicorn -w 2 'bench.bare_app:app'`.
"""

from __future__ import annotations

from flask import Flask, Response, request

TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?><Response>'
    '<Gather action="/voice/input" actionOnEmptyResult="true" finishOnKey="" language="sv-SE" method="POST" '
    'numDigits="1" timeout="6"><Say language="sv-SE" voice="Polly.Astrid">Steg 1 av 3.</Say>'
    '<Say language="sv-SE" voice="Polly.Astrid">Fungerar det nu?</Say>'
    '<Say language="sv-SE" voice="Polly.Astrid">Tryck 1 för ja, 2 för nej.</Say></Gather></Response>'
)

app = Flask(__name__)


@app.post("/voice")
@app.post("/voice/input")
def webhook() -> Response:
    """The same TwiML for every request."""
    request.form.get("Digits")
    return Response(TWIML, mimetype="text/xml")


@app.get("/healthz")
def healthz() -> dict[str, str]:
    """Ready."""
    return {"status": "ok"}
