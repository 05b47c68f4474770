"""`ivr simulate --json`: the keys of a call's and an SMS conversation's result, in their order."""

from __future__ import annotations

import json
from dataclasses import fields

from click.testing import CliRunner

from ivr.cli import main
from ivr.simulator.sms import SmsResult
from ivr.simulator.voice import Result

CALL_KEYS = ["call_sid", "caller", "transcript", "dialed", "sms", "calls_placed", "outcome", "tickets", "requests",
             "errors", "unused_keys", "unused_manager_keys", "unused_dial_status"]
SMS_KEYS = ["sender", "transcript", "replies", "calls_placed", "dialed", "sms", "outcome", "tickets", "requests",
            "errors", "unused_sends", "unused_manager_keys", "unused_dial_status"]


def test_call_json_keys_keep_their_order() -> None:
    result = CliRunner().invoke(main, ["simulate", "--keys", "1 2 1 1", "--at", "2026-11-25T22:00", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data) == CALL_KEYS
    assert data["outcome"]["outcome"] == "on_call_manager"


def test_sms_json_keys_keep_their_order() -> None:
    result = CliRunner().invoke(main, ["simulate", "--send", "viva", "--at", "2026-11-25T22:00", "--json"])
    assert result.exit_code == 0, result.output
    assert list(json.loads(result.output)) == SMS_KEYS


def test_every_field_is_in_the_json() -> None:
    assert sorted(CALL_KEYS) == sorted(f.name for f in fields(Result))
    assert sorted(SMS_KEYS) == sorted(f.name for f in fields(SmsResult))


def test_the_json_lists_the_ticket_the_shipped_line_would_file() -> None:
    """No backend in the shipped line.yaml: nothing is filed, and the JSON shows what IT support would read."""
    result = CliRunner().invoke(main, ["simulate", "--keys", "2 2 1 2 2", "--at", "2026-11-25T22:00", "--json"])
    assert result.exit_code == 0, result.output
    [ticket] = json.loads(result.output)["tickets"]
    assert ticket["filed"] is False
    assert ticket["created"].startswith("Felsökningslinjen: Viva omsorg, väntar på IT-supporten")
    assert "1. Har fler än du samma fel? Nej" in ticket["text"] and "Kanal: telefon" in ticket["text"]


def test_a_resolved_call_would_file_no_ticket() -> None:
    result = CliRunner().invoke(main, ["simulate", "--keys", "1 1", "--at", "2026-11-25T22:00", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["tickets"] == []
