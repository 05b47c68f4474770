"""JSON logs carry the call id and no phone numbers; the status callback closes a call."""

from __future__ import annotations

import http.client
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

from flask import Flask

from ivr.operations.logs import JsonFormatter, TextFormatter, mask_numbers
from tests.conftest import CALLER, Twilio
from tests.test_failures import free_port


def test_phone_numbers_are_masked_in_log_text() -> None:
    assert mask_numbers("SMS to +46701740610 failed") == "SMS to +46...610 failed"
    assert mask_numbers("ring 070-174 06 10 nu") == "ring 070... 10 nu"
    kept = "call CA1234567890abcdef at 22:00, step 3 of 5"
    assert mask_numbers(kept) == kept


def test_text_log_lines_mask_phone_numbers_in_the_message_and_the_traceback() -> None:
    """`ivr serve` without --production logs text: no full number there either, the time stamp intact."""
    formatter = TextFormatter("%(asctime)s %(message)s")
    try:
        raise RuntimeError(f"SMS to {CALLER} refused")
    except RuntimeError:
        record = logging.LogRecord("ivr", logging.ERROR, __file__, 1, "caller %s waited", (CALLER,), sys.exc_info())
    line = formatter.format(record)
    assert CALLER not in line and "caller +46...699 waited" in line and "SMS to +46...699 refused" in line
    assert formatter.formatTime(record) in line


def test_json_log_line_has_the_call_sid(app: Flask) -> None:
    record = logging.LogRecord("ivr", logging.ERROR, __file__, 1, "caller %s waited", (CALLER,), None)
    with app.test_request_context("/voice/input", method="POST", data={"CallSid": "CA" + "1" * 32}):
        line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert entry["CallSid"] == "CA" + "1" * 32 and entry["path"] == "/voice/input"
    assert CALLER not in line and entry["message"] == "caller +46...699 waited"


FORGED = "%0A[2026-11-25%2022:00:00,000]%20INFO%20in%20voice:%20forged%0D%0Aforged%E2%80%A8forged%1B[2J"


def test_a_newline_in_the_path_cannot_forge_a_text_log_line(tmp_path: Path) -> None:
    """`ivr serve` (text logs): a refused request to a path with %0A in it logs one line, escaped."""
    port = free_port()
    env = {**os.environ, "IVR_DATABASE_URL": f"sqlite:///{tmp_path / 'ivr.sqlite3'}", "PYTHONUNBUFFERED": "1"}
    for name in ("TWILIO_AUTH_TOKEN", "TWILIO_ACCOUNT_SID", "IVR_LOG_FORMAT", "IVR_PUBLIC_URL"):
        env.pop(name, None)
    server = subprocess.Popen(
        [sys.executable, "-c", "from ivr.cli import main; main()", "serve", "--dev", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        status = post_when_listening(port, "/voice/dial/it_support" + FORGED)
    finally:
        server.terminate()
        _, log = server.communicate(timeout=10)
    assert status == 403
    lines = log.replace("\r", "\n").split("\n")  # Werkzeug's own request line is the other one naming the path
    rejected = [line for line in lines if "rejected request with a bad signature" in line]
    assert len(rejected) == 1 and "forged" in rejected[0], log
    assert [line for line in lines if "forged" in line and "POST /voice" not in line] == rejected, log
    assert rejected[0].splitlines() == rejected  # no U+2028 either, which str.splitlines() splits on
    assert "\x1b[2J" not in log  # (Werkzeug colours its own lines: only the request's escape is checked)


def post_when_listening(port: int, path: str) -> int:
    """The status of an unsigned POST, once the server listens (it starts within a few seconds)."""
    deadline = time.monotonic() + 15
    while True:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            form = {"Content-Type": "application/x-www-form-urlencoded"}
            conn.request("POST", path, body="CallSid=CA1", headers=form)
            return conn.getresponse().status
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
        finally:
            conn.close()


def test_json_log_line_escapes_every_line_break(app: Flask) -> None:
    record = logging.LogRecord("ivr", logging.WARNING, __file__, 1, "bad: %s", ("a\nb\u2028c\x85d\x1b",), None)
    with app.test_request_context("/voice/x\ny", method="POST"):
        line = JsonFormatter().format(record)
    assert line.splitlines() == [line] and "\x1b" not in line
    assert json.loads(line)["message"] == "bad: a\nb\u2028c\x85d\x1b"


def test_hanging_up_mid_checklist_is_recorded_as_abandoned_and_the_number_forgotten(
    app: Flask, twilio: Twilio
) -> None:
    twilio.call("/voice")
    twilio.call("/voice/input", Digits="4")
    twilio.call("/voice/status", CallStatus="completed", CallDuration="41")
    store = app.extensions["ivr.store"]
    kinds = [(e["kind"], e["system"]) for e in store.events()]
    assert ("abandoned", "npo") in kinds and ("call_ended", "npo") in kinds
    record = store.get("voice:CA" + "1" * 32)
    assert record is not None and record.caller is None


def test_status_for_a_finished_call_is_not_abandoned(app: Flask, twilio: Twilio) -> None:
    twilio.call("/voice")
    for key in ("1", "1"):  # Viva solved at step 1
        twilio.call("/voice/input", Digits=key)
    twilio.call("/voice/status", CallStatus="completed")
    assert "abandoned" not in [e["kind"] for e in app.extensions["ivr.store"].events()]
