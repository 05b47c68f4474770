"""`ivr lookup CODE`: IT support reads a call's steps and outcome from its receipt code, through the CLI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from ivr import create_app
from ivr.cli import main
from ivr.simulator.voice import Phone
from tests.conftest import CALLER, FrozenClock, Twilio, app_config

CALL_SID = "CA" + "4" * 32


def call_and_code(app: Flask, keys: str, caller: str = CALLER) -> str:
    """Make a signed call; the code its receipt carried."""
    result = Phone(app, caller=caller).call(keys, call_sid=CALL_SID)
    [receipt] = [sms["body"] for sms in result.sms if sms["to"] == caller]
    match = re.search(r"Uppge koden (\w{6}) om du kontaktar IT-supporten\.$", receipt)
    assert match is not None, receipt
    return match.group(1)


def lookup(database_url: str, code: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["lookup", code, "--database", database_url])
    return result.exit_code, result.output


def test_lookup_shows_each_step_with_its_answer_the_outcome_and_times_after_the_number_is_gone(
    app: Flask, database_url: str, clock: FrozenClock
) -> None:
    clock.set("2026-11-25T22:00")
    code = call_and_code(app, "2 2 1 2 2")  # Viva omsorg, one user, after hours
    Twilio(app.test_client()).call("/voice/status", sid=CALL_SID, CallStatus="completed", CallDuration="70")
    status, output = lookup(database_url, code.lower()[:3] + "-" + code[3:])  # as someone might type it
    assert status == 0, output
    lines = output.splitlines()
    assert lines[:5] == [
        f"Code {code}: call {CALL_SID}",
        "System: Viva omsorg",
        "Caller: number forgotten (the call ended)",
        "Times (Europe/Stockholm): started 2026-11-25 22:00:00, last activity 2026-11-25 22:00:00",
        "Steps:",
    ]
    assert lines[5:9] == [
        "  2026-11-25 22:00:00  1. Har fler än du samma fel? -> nej",
        "  2026-11-25 22:00:00  2. Ser du något av dem? -> ja",
        "  2026-11-25 22:00:00  3. Fungerar appen efter omstarten? -> nej",
        "  2026-11-25 22:00:00  4. Fungerar appen där? -> nej",
    ]
    assert "Outcome: wait_for_office_hours: Bara du har felet, och det hjälper IT-supporten dig med." in output
    assert "receipt texted" in output
    assert CALLER not in output and CALLER[-7:] not in output


def test_lookup_masks_the_number_while_the_call_is_on(app: Flask, database_url: str, clock: FrozenClock) -> None:
    clock.set("2026-11-25T10:00")
    code = call_and_code(app, "3 2 1 2 2")  # Time Care in office hours: IT support is dialled
    status, output = lookup(database_url, code)
    assert status == 0, output
    assert "Caller: +46...699" in output and CALLER not in output
    assert "Outcome: it_support" in output


def test_lookup_names_the_staff_list_reason(database_url: str, clock: FrozenClock,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    clock.set("2026-11-25T22:00")
    app = create_app(app_config(database_url, clock))
    monkeypatch.setenv("IVR_STAFF_PIN", "7")
    try:
        code = call_and_code(app, "1 7 2 1 1", caller="+46731234567")  # off the list, staff code right
    finally:
        app.extensions["ivr.store"].dispose()
    status, output = lookup(database_url, code)
    assert status == 0 and "staff code accepted" in output and "Outcome: on_call_manager" in output


def test_an_unknown_code_is_a_clear_error(database_url: str, app: Flask) -> None:
    status, output = lookup(database_url, "K7M4QX")
    assert status == 1
    assert "No call has the code K7M4QX" in output


def test_a_malformed_code_says_what_a_code_looks_like(tmp_path: Path) -> None:
    status, output = lookup(f"sqlite:///{tmp_path / 'x.db'}", "K7M4Q0")
    assert status == 2
    assert "is not a receipt code" in output and "no 0, O, 1 or I" in output


def test_lookup_of_a_resumed_call_says_its_earlier_answers_came_from_the_call_it_continues(
    app: Flask, database_url: str, clock: FrozenClock
) -> None:
    clock.set("2026-11-25T22:00")
    Phone(app).call("2 1 1", call_sid="CA" + "5" * 32)  # Viva omsorg: steps 1 and 2, then the call drops
    clock.set("2026-11-25T22:10")
    result = Phone(app).call("1 2 2", call_sid=CALL_SID)  # the same phone: key 1 goes on at step 3
    [receipt] = [sms["body"] for sms in result.sms if sms["to"] == CALLER]
    match = re.search(r"\b([A-Z0-9]{6})\b", receipt)
    assert match is not None, receipt
    status, output = lookup(database_url, match.group(1))
    assert status == 0, output
    assert "System: Viva omsorg" in output  # from the resume: the second call chose no system
    assert "  1. Har fler än du samma fel? -> answered earlier, in the call this one continues" in output
    assert "  2. Ser du något av dem? -> answered earlier, in the call this one continues" in output
    assert "no longer in the checklist" not in output
    assert "3. Fungerar appen efter omstarten? -> nej" in output
