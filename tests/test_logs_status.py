"""JSON logs carry the call id and no phone numbers; the status callback closes a call."""

from __future__ import annotations

import json
import logging

from flask import Flask

from ivr.logs import JsonFormatter, mask_numbers
from tests.conftest import CALLER, Twilio


def test_phone_numbers_are_masked_in_log_text() -> None:
    assert mask_numbers("SMS to +46701740610 failed") == "SMS to +46...610 failed"
    assert mask_numbers("ring 070-174 06 10 nu") == "ring 070... 10 nu"
    kept = "call CA1234567890abcdef at 22:00, step 3 of 5"
    assert mask_numbers(kept) == kept


def test_json_log_line_has_the_call_sid(app: Flask) -> None:
    record = logging.LogRecord("ivr", logging.ERROR, __file__, 1, "caller %s waited", (CALLER,), None)
    with app.test_request_context("/voice/input", method="POST", data={"CallSid": "CA" + "1" * 32}):
        line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert entry["CallSid"] == "CA" + "1" * 32 and entry["path"] == "/voice/input"
    assert CALLER not in line and entry["message"] == "caller +46...699 waited"


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
