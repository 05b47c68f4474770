"""The SMS receipt after a call: one GSM-7 segment, to staff, with a code `ivr lookup` finds."""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from flows.events import EventKind
from flows.line import DEFAULT_CHECKLISTS, DEFAULT_CONFIG
from flows.refcode import ALPHABET, read, spell
from ivr import create_app
from ivr.channels.check import check_line
from ivr.channels.sms.cost import TWO_SEGMENTS_SEPTETS, gsm7_septets
from ivr.notify import TwilioNotifier
from ivr.simulator.voice import Phone, Result
from tests.conftest import CALLER, LINE_NUMBER, FrozenClock, app_config
from tests.fake_twilio_http import FakeTwilioHttp
from tests.test_fail_safe import unopenable

CALL_SID = "CA" + "5" * 32
OUTSIDER = "+46731234567"
HIDDEN = "+266696687"  # what Twilio puts in From for an anonymous caller
CODE = re.compile(r"Uppge koden ([2-9A-HJ-NP-Z]{6}) om du kontaktar IT-supporten\.$")


@pytest.fixture
def after_hours(clock: FrozenClock) -> FrozenClock:
    clock.set("2026-11-25T22:00")
    return clock


def one_user_viva_omsorg(app: Flask, caller: str = CALLER) -> Result:
    """Viva omsorg after hours, only this user: wait for office hours."""
    return Phone(app, caller=caller).call("2 2 1 2 2", call_sid=CALL_SID)


def receipt_events(app: Flask, kind: EventKind) -> list[dict[str, object]]:
    return [event for event in app.extensions["ivr.store"].events(f"voice:{CALL_SID}") if event["kind"] == kind]


def with_settings(app: Flask, **changes: object) -> None:
    line = app.extensions["ivr.line"]
    app.extensions["ivr.line"] = dataclasses.replace(line, settings=dataclasses.replace(line.settings, **changes))


def test_a_staff_caller_gets_one_receipt_whose_code_finds_the_call(app: Flask, after_hours: FrozenClock) -> None:
    result = one_user_viva_omsorg(app)
    assert [(sms["to"], sms["from"]) for sms in result.sms] == [(CALLER, LINE_NUMBER)]
    body = result.sms[0]["body"]
    assert body.startswith("Felsökningslinjen, Viva omsorg: Ring IT-supporten i morgon klockan 08.00: "
                           "0141-22 50 47. Ärende: https://itportal.example.se Uppge koden ")
    assert gsm7_septets(body) is not None and gsm7_septets(body) <= TWO_SEGMENTS_SEPTETS  # type: ignore[operator]
    match = CODE.search(body)
    assert match is not None
    code = match.group(1)
    found = app.extensions["ivr.store"].sessions_by_ref(code)
    assert [record.id for record in found] == [f"voice:{CALL_SID}"]
    sent = receipt_events(app, EventKind.RECEIPT_SENT)
    assert [event["data"]["code"] for event in sent] == [code]  # type: ignore[index]
    assert CALLER not in str(sent) and CALLER[1:] not in str(sent)  # the audit log never holds the number


def test_the_receipt_comes_after_the_outcome_is_heard_and_says_nothing_new_to_the_ear(
    app: Flask, after_hours: FrozenClock
) -> None:
    heard = [entry["text"] for entry in one_user_viva_omsorg(app).transcript if entry["who"] == "line"]
    # The ending says the number comes by SMS instead of saying it (issue 23): the SMS carries it.
    assert heard[-1] == ("IT-supporten öppnar i morgon klockan åtta. "
                         "Du får numret och IT-portalen i ett sms nu. Hej då.")


def test_a_hidden_number_gets_no_receipt(app: Flask, after_hours: FrozenClock) -> None:
    result = one_user_viva_omsorg(app, caller=HIDDEN)
    assert result.outcome is not None and result.outcome["outcome"] == "wait_for_office_hours"
    assert result.sms == []


def test_a_phone_off_the_staff_list_gets_none_unless_it_keyed_the_staff_code(
    app: Flask, after_hours: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert one_user_viva_omsorg(app, caller=OUTSIDER).sms == []
    monkeypatch.setenv("IVR_STAFF_PIN", "7")  # one digit: the simulated phone presses one key per prompt
    result = Phone(app, caller=OUTSIDER).call("1 7 2 1 1", manager_keys="1", call_sid="CA" + "6" * 32)
    assert result.outcome is not None and result.outcome["outcome"] == "on_call_manager"
    assert [sms["to"] for sms in result.sms] == [OUTSIDER]
    # Sent when the manager pressed 1, saying so (not before the dial, when nobody knew yet).
    assert result.sms[0]["body"].startswith(
        "Felsökningslinjen, Viva: Alla steg är gjorda. Du kopplades till chef i beredskap 22.00.")


def test_resolved_gets_none_by_default_and_one_when_configured(app: Flask, after_hours: FrozenClock) -> None:
    assert Phone(app).call("1 1", call_sid=CALL_SID).sms == []  # Viva, solved at step 1
    with_settings(app, receipt_outcomes=frozenset({"resolved"}))
    result = Phone(app).call("1 1", call_sid="CA" + "7" * 32)
    assert [sms["body"][:44] for sms in result.sms] == ["Felsökningslinjen, Viva: Det löste sig. Komm"]


def test_receipts_can_be_turned_off(app: Flask, after_hours: FrozenClock) -> None:
    with_settings(app, receipt_to="nobody")
    assert one_user_viva_omsorg(app).sms == []


def test_a_refused_receipt_is_audited_and_the_caller_hears_the_same(database_url: str, clock: FrozenClock,
                                                                    tmp_path: Path) -> None:
    clock.set("2026-11-25T22:00")
    http = FakeTwilioHttp(status=400)
    notifier = TwilioNotifier("AC" + "0" * 32, "test-token-not-a-secret", http_client=http)
    refused = create_app(app_config(database_url, clock, NOTIFIER=notifier))
    working = create_app(app_config(f"sqlite:///{tmp_path / 'other.db'}", clock))
    try:
        heard_refused = one_user_viva_omsorg(refused).transcript
        heard_working = [entry for entry in one_user_viva_omsorg(working).transcript
                         if not entry["text"].startswith("SMS till/to")]
        assert heard_refused == heard_working
        assert [request["data"]["To"] for request in http.requests] == [CALLER]  # it was tried, once
        failed = receipt_events(refused, EventKind.RECEIPT_FAILED)
        assert len(failed) == 1 and "refused" in str(failed[0]["data"])
        assert receipt_events(refused, EventKind.RECEIPT_SENT) == []
    finally:
        refused.extensions["ivr.store"].dispose()
        working.extensions["ivr.store"].dispose()


def test_with_the_database_down_the_receipt_says_the_answers_were_not_saved(clock: FrozenClock,
                                                                           tmp_path: Path) -> None:
    clock.set("2026-11-25T22:00")
    app = create_app(app_config(unopenable(tmp_path), clock, DB_AUTO_UPGRADE=False,
                                ALERT_STAMP=str(tmp_path / "alert")))
    try:
        result = one_user_viva_omsorg(app)
    finally:
        app.extensions["ivr.store"].dispose()
    receipts = [sms["body"] for sms in result.sms if sms["to"] == CALLER]
    assert len(receipts) == 1 and receipts[0].endswith(". Svaren sparades inte.")
    assert gsm7_septets(receipts[0]) is not None


def test_codes_are_six_unambiguous_symbols_read_back_as_typed() -> None:
    assert not set("0O1I") & set(ALPHABET) and len(ALPHABET) == 32
    code = spell(bytes(range(32)))
    assert len(code) == 6 and set(code) <= set(ALPHABET)
    assert spell(bytes(range(32))) == code and spell(bytes(range(1, 33))) != code
    assert read(f" {code[:3].lower()}-{code[3:]} ") == code
    assert read("K7M4Q0") is None and read("K7M4Q") is None and read("K7M4QXX") is None


@pytest.fixture
def config_copy(tmp_path: Path) -> Iterator[Path]:
    target = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG, target)
    yield target


def test_ivr_check_refuses_a_receipt_that_does_not_fit_two_sms(config_copy: Path) -> None:
    messages = config_copy / "messages.yaml"
    text = messages.read_text(encoding="utf-8")
    longer = text.replace('    sv: "Felsökningslinjen, {system}: IT-supporten svarade inte.',
                          '    sv: "Felsökningslinjen, {system}: IT-supporten svarade inte. ' + "Det är synd. " * 12)
    assert longer != text
    messages.write_text(longer, encoding="utf-8")
    _, problems = check_line(DEFAULT_CHECKLISTS, config_copy)
    assert any("receipt.it_support_unanswered" in problem and "two messages hold 306" in problem
               for problem in problems), problems


def test_a_bad_receipt_setting_is_named(config_copy: Path) -> None:
    line_yaml = config_copy / "line.yaml"
    line_yaml.write_text(line_yaml.read_text(encoding="utf-8").replace("  to: staff ", "  to: everybody "),
                         encoding="utf-8")
    _, problems = check_line(DEFAULT_CHECKLISTS, config_copy)
    assert any("receipt.to: must be one of: staff, everyone, nobody" in problem for problem in problems)
