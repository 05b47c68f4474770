"""`ivr forget NUMBER`: one caller's sessions, events, webhook ids, staff-code guesses and reports go; others stay."""

from __future__ import annotations

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from sqlalchemy import func, select

from ivr.cli import main
from ivr.privacy import pseudonym
from ivr.store.schema import (
    events_table,
    incident_reporters_table,
    pin_guesses_table,
    processed_messages_table,
    sessions_table,
)
from tests.conftest import CALLER, FrozenClock, Twilio
from tests.test_operations import OUTSIDER, VIVA_AFTER_HOURS, call, text_line

# OUTSIDER (+46731234567) as a person would write it on a request form.
OUTSIDER_NATIONAL = "073-123 45 67"


@pytest.fixture(autouse=True)
def after_hours_with_a_staff_code(monkeypatch: pytest.MonkeyPatch, clock: FrozenClock) -> None:
    monkeypatch.setenv("IVR_STAFF_PIN", "4711")
    clock.set("2026-11-25T22:00")


def forget(app: Flask, database_url: str, *args: str, key: str | None = None) -> Result:
    env = {"IVR_PSEUDONYM_KEY": key if key is not None else str(app.config["PSEUDONYM_KEY"])}
    return CliRunner().invoke(main, ["forget", *args, "--database", database_url], env=env)


def rows(app: Flask, key: str, number: str) -> dict[str, int]:
    """What the store holds about one caller, table by table."""
    store = app.extensions["ivr.store"]
    sms_id = f"sms:{key}"
    with store.engine.connect() as conn:
        def count(query: object) -> int:
            return int(conn.execute(query).scalar_one())  # type: ignore[call-overload]

        return {
            "sessions": count(select(func.count()).select_from(sessions_table).where(
                (sessions_table.c.caller == number) | (sessions_table.c.caller_key == key)
                | (sessions_table.c.id == sms_id))),
            "events": count(select(func.count()).select_from(events_table).where(
                (events_table.c.caller_key == key) | (events_table.c.session_id == sms_id))),
            "processed_messages": count(select(func.count()).select_from(processed_messages_table).where(
                processed_messages_table.c.session_id == sms_id)),
            "pin_guesses": count(select(func.count()).select_from(pin_guesses_table).where(
                pin_guesses_table.c.caller_key == key)),
            "incident_reporters": count(select(func.count()).select_from(incident_reporters_table).where(
                incident_reporters_table.c.caller_key == key)),
        }


def test_forget_erases_one_caller_and_keeps_the_others(app: Flask, twilio: Twilio, database_url: str) -> None:
    call(twilio, "CA" + "1" * 32, OUTSIDER, "1")  # asked for the staff code before step 1 ...
    for _ in range(3):  # three wrong codes: on without it
        twilio.post("/voice/input", CallSid="CA" + "1" * 32, From=OUTSIDER, To="+46141225000", Digits="0000")
    for key in VIVA_AFTER_HOURS[1:]:  # the steps: a finished report
        twilio.post("/voice/input", CallSid="CA" + "1" * 32, From=OUTSIDER, To="+46141225000", Digits=key)
    text_line(twilio, OUTSIDER, "viva", "SM" + "1" * 32)  # and an SMS conversation
    call(twilio, "CA" + "2" * 32, CALLER, "1", "2")  # someone else, mid-call
    key = pseudonym(OUTSIDER, str(app.config["PSEUDONYM_KEY"]))
    other = pseudonym(CALLER, str(app.config["PSEUDONYM_KEY"]))
    before = rows(app, key, OUTSIDER)
    assert before["sessions"] >= 2 and before["events"] > 0 and before["pin_guesses"] == 3
    assert before["processed_messages"] == 1 and before["incident_reporters"] == 1
    others = rows(app, other, CALLER)
    assert others["sessions"] == 1 and others["events"] > 0

    dry = forget(app, database_url, OUTSIDER_NATIONAL, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "inget ändrades" in dry.output and f"sessions {before['sessions']}," in dry.output
    assert rows(app, key, OUTSIDER) == before

    done = forget(app, database_url, *OUTSIDER_NATIONAL.split())  # as an unquoted shell line passes it
    assert done.exit_code == 0, done.output
    assert f"events {before['events']}," in done.output and "pin_guesses 3" in done.output
    assert OUTSIDER not in done.output and OUTSIDER[3:] not in done.output  # the command's own output masks it
    assert rows(app, key, OUTSIDER) == dict.fromkeys(before, 0)
    assert rows(app, other, CALLER) == others

    # The caller may still use the line afterwards: a new call starts from the menu.
    body = call(twilio, "CA" + "3" * 32, OUTSIDER).decode()
    assert "<Gather" in body


def test_forget_without_the_key_or_with_a_non_number_says_why(app: Flask, database_url: str) -> None:
    missing = forget(app, database_url, OUTSIDER, key="")
    assert missing.exit_code != 0 and "IVR_PSEUDONYM_KEY" in missing.output
    wrong = forget(app, database_url, "personalrummet")
    assert wrong.exit_code != 0 and "inget telefonnummer" in wrong.output
    assert "Traceback" not in missing.output + wrong.output


def test_forget_takes_her_rows_in_incidents_and_leaves_the_incident(app: Flask, twilio: Twilio,
                                                                     database_url: str, clock: FrozenClock) -> None:
    from datetime import timedelta

    from tests.test_incidents import call as staff_call
    from tests.test_incidents import incidents, manager_took_a_viva_call

    manager_took_a_viva_call(app, twilio, clock)  # +46701740601's call: Anna pressed 1
    clock.set("2026-11-25T22:10")
    staff_call(twilio, "CA" + "2" * 32, "+46701740602", "1", "2")  # told; an SMS when it is fixed
    [before] = incidents(app).live_ones(clock(), timedelta(hours=2))
    assert (before.callers, before.waiting) == (2, 1)
    done = forget(app, database_url, "070-174 06 02")
    assert done.exit_code == 0, done.output
    assert "incident_callers 1" in done.output
    [after] = incidents(app).live_ones(clock(), timedelta(hours=2))
    assert (after.id, after.callers, after.waiting) == (before.id, 1, 0)  # the first caller's row stays
