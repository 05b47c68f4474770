"""A manager SMS that is not delivered (or not in time) goes to the next person in the chain, once.

Through the signed webhooks and the sender, with Twilio's REST API faked at its HTTP boundary.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from flows.events import EventKind
from tests.conftest import FrozenClock, Twilio
from tests.fake_twilio_http import FakeTwilioHttp
from tests.test_outbox import CALL, MANAGER, action, app, events, http, metric, sender, sms_to, to_the_manager

__all__ = ["app", "http"]  # the fixtures, shared with tests/test_outbox.py

SECOND = "+46701740611"  # the shipped roster's fallback: next after Anna in the chain


def unanswered(app: Flask) -> Twilio:
    """Both on-call numbers let ring: the manager SMS to the first in the chain is queued and sent."""
    twilio = Twilio(app.test_client())
    first_dial = to_the_manager(twilio)
    second_dial = twilio.call(action(first_dial), sid=CALL, DialCallStatus="no-answer")
    twilio.call(action(second_dial), sid=CALL, DialCallStatus="no-answer")
    return twilio


def manager_rows(app: Flask) -> list[dict[str, Any]]:
    rows = app.extensions["ivr.store"].outbox.rows(session_id=f"voice:{CALL}")
    return sorted((row for row in rows if row["kind"] == "manager_sms"), key=lambda row: row["id"])


def status(twilio: Twilio, row: dict[str, Any], state: str) -> int:
    """Twilio's signed message status callback for a row."""
    return twilio.post(f"/sms/status/{row['id']}", MessageSid=row["provider_id"], MessageStatus=state,
                       ErrorCode="30003").status_code


def test_an_undelivered_manager_sms_texts_the_next_in_the_chain_once(app: Flask, http: FakeTwilioHttp) -> None:
    twilio = unanswered(app)
    [first] = manager_rows(app)
    assert len(sms_to(http, MANAGER)) == 1 and sms_to(http, SECOND) == []
    for _ in range(5):  # the callback, and Twilio (or a proxy) repeating it
        assert status(twilio, first, "undelivered") == 204
    [texted] = sms_to(http, SECOND)
    assert texted["Body"] == sms_to(http, MANAGER)[0]["Body"]  # the same text
    [_, second] = manager_rows(app)
    assert second["key"] == f"voice:{CALL}:manager_sms_next:1"
    [event] = events(app, EventKind.ON_CALL_SMS_NEXT)
    assert event["data"] == {"reason": "undelivered", "position": 1}
    assert len(events(app, EventKind.ON_CALL_SMS)) == 2  # each accepted, with its place in the chain
    sender(app).send_due(app.extensions["ivr.clock"]() + timedelta(minutes=4))  # and the deadline adds none
    assert len(sms_to(http, SECOND)) == 1


def test_no_delivery_receipt_within_the_deadline_texts_the_next_in_the_chain_once(
        app: Flask, http: FakeTwilioHttp, clock: FrozenClock) -> None:
    unanswered(app)
    outbox = sender(app)
    clock.moment += timedelta(minutes=2, seconds=59)
    outbox.send_due()
    assert sms_to(http, SECOND) == []  # not yet: 3 minutes (voice_line.manager_sms_delivery_minutes)
    clock.moment += timedelta(seconds=2)
    for _ in range(3):  # each worker's poll, in one process or several
        outbox.send_due()
    assert len(sms_to(http, SECOND)) == 1
    [event] = events(app, EventKind.ON_CALL_SMS_NEXT)
    assert event["data"] == {"reason": "late", "position": 1}
    [first, _] = manager_rows(app)
    assert status(Twilio(app.test_client()), first, "undelivered") == 204  # its late verdict adds none
    assert len(sms_to(http, SECOND)) == 1


def test_a_manager_sms_delivered_in_time_texts_nobody_else(
        app: Flask, http: FakeTwilioHttp, clock: FrozenClock) -> None:
    twilio = unanswered(app)
    [first] = manager_rows(app)
    clock.moment += timedelta(minutes=1)
    assert status(twilio, first, "delivered") == 204
    for minutes in (3, 10, 30):
        sender(app).send_due(clock.moment + timedelta(minutes=minutes))
    assert sms_to(http, SECOND) == []
    assert events(app, EventKind.ON_CALL_SMS_NEXT) == []
    assert len(manager_rows(app)) == 1


def test_at_the_end_of_the_chain_it_stops_logs_an_error_and_counts_it(
        app: Flask, http: FakeTwilioHttp, clock: FrozenClock, caplog: pytest.LogCaptureFixture) -> None:
    twilio = unanswered(app)
    [first] = manager_rows(app)
    assert status(twilio, first, "failed") == 204
    [_, second] = manager_rows(app)
    with caplog.at_level(logging.ERROR, logger="ivr.outbox.escalation"):
        for _ in range(2):
            assert status(twilio, second, "undelivered") == 204
        clock.moment += timedelta(minutes=10)
        sender(app).send_due()
    assert len(sms_to(http, MANAGER)) == len(sms_to(http, SECOND)) == 1
    assert len(manager_rows(app)) == 2
    [end] = events(app, EventKind.ON_CALL_SMS_UNREACHED)
    assert end["data"] == {"reason": "undelivered", "position": 1}
    assert [record.levelname for record in caplog.records] == ["ERROR"]
    assert metric(app, "ivr_messages_total", kind="manager_sms", state="chain_end") == 1
