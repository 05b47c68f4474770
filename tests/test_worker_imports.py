"""A started worker imports no package that only a real send, a ticket backend or the console needs
(ivr/notify.py, ivr/tickets/http.py, ivr/tickets/backends.py, ivr/admin/csrf.py, ivr/channels/voice/twiml.py),
nor, on SQLite, SQLAlchemy's PostgreSQL dialect (ivr/store/outbox.py); and its turns import none either.

Run in a fresh interpreter: the test suite itself has imported all of them long before.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import from_template

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "worker-imports-token"
BASE = "https://ivr.imports.invalid"
# Each of these cost every worker memory and start-up time (see the modules named above).
NOT_AT_START = ["twilio.rest", "requests", "urllib3", "charset_normalizer", "flask_wtf", "wtforms", "xml.sax",
                "smtplib",  # the e-mail backend's: config/line.yaml files no tickets (backend: none)
                "rapidfuzz",  # a misspelt system name's: loaded by a worker's first text that is no digit
                "sqlalchemy.dialects.postgresql"]  # the workers here are SQLite's (ivr/store/outbox.py)
# Imported by every worker: the check sees imports at all.
ALWAYS = ["sqlalchemy", "twilio.twiml.voice_response"]

WORKER = """
import html, json, re, sys
from twilio.request_validator import RequestValidator
from ivr import create_app

watched = json.loads(sys.argv[1])
app = create_app()
seen = {"notifier": type(app.extensions["ivr.notifier"]).__name__}
seen["start"] = sorted(name for name in watched if name in sys.modules)
if sys.argv[2] == "turns":
    client, validator, statuses = app.test_client(), RequestValidator(sys.argv[3]), []

    def post(path, **form):
        signature = validator.compute_signature(sys.argv[4] + path, form)
        response = client.post(path, data=form, headers={"X-Twilio-Signature": signature})
        statuses.append(response.status_code)
        return response.get_data(as_text=True)

    call = {"CallSid": "CA" + "3" * 32, "From": "+46701740699", "To": "+46141225000"}
    body = post("/voice", **call)
    for key in "11":  # Viva, then "it worked": the outcome (and its receipt, logged)
        found = re.search(r'<Gather action="(/voice/input[^"]*)"', body)
        body = post(html.unescape(found.group(1)), Digits=key, **call) if found else body
    for number, text in enumerate(["hej", "1", "2", "stopp"]):
        post("/sms", MessageSid=f"SM{number:032d}", From="+46701740699", To="+46141225000", Body=text)
    seen["turns"], seen["statuses"] = sorted(name for name in watched if name in sys.modules), statuses
    page = client.get("/admin/logga-in", base_url=sys.argv[4])
    seen["console"] = [page.status_code, 'name="csrf_token" value="' in page.get_data(as_text=True),
                       "flask_wtf" in sys.modules]
app.extensions["ivr.store"].dispose()
print(json.dumps(seen))
"""


def worker(tmp_path: Path, template: Path, mode: str, **env: str) -> dict[str, Any]:
    """What a worker started from the environment had imported, after create_app() (and after turns).

    The database is at head already (a copy of the migrated template), as a worker finds it (the master,
    `ivr db upgrade` or the first start migrated it): the migrations themselves import SQLAlchemy's
    PostgreSQL dialect for its JSONB type.
    """
    url = f"sqlite:///{tmp_path / 'imports.db'}"
    from_template(url, template)
    environment = {**os.environ, "TWILIO_AUTH_TOKEN": TOKEN, "IVR_PUBLIC_URL": BASE,
                   "IVR_DATABASE_URL": url,
                   "IVR_PSEUDONYM_KEY": "imports-pseudonym-key", "IVR_STATE_DIR": str(tmp_path / "state"), **env}
    if "TWILIO_ACCOUNT_SID" not in env:
        environment.pop("TWILIO_ACCOUNT_SID", None)  # never send anything to Twilio from a test
    done = subprocess.run([sys.executable, "-c", WORKER, json.dumps(NOT_AT_START + ALWAYS), mode, TOKEN, BASE],
                          cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_a_worker_and_its_turns_import_no_sending_client_nor_the_console_s_forms(
        tmp_path: Path, migrated_sqlite: Path) -> None:
    seen = worker(tmp_path, migrated_sqlite, "turns")
    assert seen["notifier"] == "LogNotifier"
    assert seen["start"] == sorted(ALWAYS)
    assert seen["statuses"] == [200] * len(seen["statuses"]) and len(seen["statuses"]) == 7
    # A text at a step ("stopp") may name another system misspelt: the SMS turns load rapidfuzz.
    assert seen["turns"] == sorted([*ALWAYS, "rapidfuzz"])
    # The console's first page still carries its form's CSRF token, Flask-WTF imported for it.
    assert seen["console"] == [200, True, True]


def test_a_worker_with_a_twilio_account_imports_its_rest_client_only_to_send(
        tmp_path: Path, migrated_sqlite: Path) -> None:
    seen = worker(tmp_path, migrated_sqlite, "start", TWILIO_ACCOUNT_SID="AC" + "0" * 32)
    assert seen["notifier"] == "TwilioNotifier"
    assert seen["start"] == sorted(ALWAYS)
