"""The repair alert to the admins goes through the outbox: a row each, sent once, retried; direct without a database.

Driven through Twilio's signed fallback URL (the main webhook failed) with Twilio's real REST
client against a fake HTTP boundary, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

import pytest
from click.testing import CliRunner
from flask import Flask

from ivr.cli import main
from ivr.store import Store
from tests.conftest import FrozenClock, Twilio
from tests.fake_twilio_http import FakeTwilioHttp
from tests.sending.test_direct_sends import ADMIN, database_down
from tests.test_outbox import CALL, sms_to


def broken_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug in the line: every new call's turn raises (the database is fine)."""

    def boom(*args: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("ivr.channels.voice.turns.welcome", boom)


def call(twilio: Twilio) -> str:
    response = twilio.call("/voice", sid=CALL)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def fallback(twilio: Twilio) -> str:
    """Twilio's fallback URL after the main webhook failed (a request it cannot continue: the fault answer)."""
    response = twilio.call("/voice/fallback", sid=CALL, ErrorUrl="https://ivr.test.invalid/voice/unknown",
                           ErrorCode="11200")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_repair_alert_is_an_outbox_row_sent_once_per_alert(app: Flask, http: FakeTwilioHttp, clock: FrozenClock,
                                                            database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    twilio = Twilio(app.test_client())
    broken_turn(monkeypatch)
    for _ in range(5):
        assert "<Say" in call(twilio)  # every caller still hears something (the fault answer)
    [alert] = sms_to(http, ADMIN)
    assert alert["Body"].startswith("Felsökningslinjen")
    [row] = app.extensions["ivr.store"].outbox.rows()
    assert (row["kind"], row["state"], row["key"]) == ("repair_alert", "queued", "repair_alert:20261125T210000:0")
    assert "repair_alert queued tries 1 to +46...698" in CliRunner().invoke(
        main, ["outbox", "list", "--database", database_url]).output
    clock.set("2026-11-25T22:16")  # after ALERT_EVERY: the next alert is a new one
    call(twilio)
    assert len(sms_to(http, ADMIN)) == 2
    assert len(app.extensions["ivr.store"].outbox.rows(state="queued")) == 2


def test_twilio_down_the_alert_is_retried_not_lost(app: Flask, http: FakeTwilioHttp,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    broken_turn(monkeypatch)
    http.status = 503
    call(Twilio(app.test_client()))
    [row] = app.extensions["ivr.store"].outbox.rows()
    assert row["state"] == "pending" and row["attempts"] == 1
    http.status = 201
    app.extensions["ivr.outbox"].send_due(row["next_attempt_at"])
    assert [r["state"] for r in app.extensions["ivr.store"].outbox.rows()] == ["queued"]
    assert len(sms_to(http, ADMIN)) == 2  # the refused try and the accepted one: one message out


def test_with_the_database_down_the_alert_is_sent_directly_and_recorded_when_it_is_back(
        app: Flask, http: FakeTwilioHttp, monkeypatch: pytest.MonkeyPatch) -> None:
    twilio = Twilio(app.test_client())
    with database_down(monkeypatch):
        twilio.call("/voice", sid=CALL)  # the turn finds no database: the fault policy, and the alert
    assert len(sms_to(http, ADMIN)) == 1
    assert app.extensions["ivr.store"].outbox.rows() == []  # not recorded yet: nothing has run since
    twilio.call("/voice", sid="CA" + "6" * 32)  # the next turn, the database back
    [row] = app.extensions["ivr.store"].outbox.rows(state="direct")
    assert row["kind"] == "repair_alert" and row["session_id"] is None
    assert len(sms_to(http, ADMIN)) == 1


def test_the_fallbacks_alert_never_touches_the_database(app: Flask, http: FakeTwilioHttp,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Twilio's fallback may be there because of the database: its alert is sent directly, recorded later."""
    twilio = Twilio(app.test_client())
    opened: list[bool] = []
    real = Store._transaction

    def counted(self: Store, *, read_only: bool = False) -> AbstractContextManager[object]:
        opened.append(read_only)
        return real(self, read_only=read_only)

    with monkeypatch.context() as patch:
        patch.setattr(Store, "_transaction", counted)
        assert "<Say" in fallback(twilio)
        fallback(twilio)  # within ALERT_EVERY: no second alert
    assert opened == []
    assert len(sms_to(http, ADMIN)) == 1
    call(twilio)  # the next turn records it
    [row] = app.extensions["ivr.store"].outbox.rows()
    assert (row["kind"], row["state"]) == ("repair_alert", "direct")
