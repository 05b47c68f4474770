"""A call's turn written without reading its row when the carried state already holds it (ivr/channels/voice/call.py).

The write goes through only if the row still holds exactly the state the token carries; a replayed
or retried webhook, or one after the manager's key or the status callback, finds it changed and
runs again on the locked read, continuing from the newer state as before.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from flask import Flask

from ivr.store.statements import Precompiled
from ivr.store.store import Store
from tests.conftest import CALLER, Twilio
from tests.twiml_helpers import spoken

SID = "CA" + "1" * 32


def action(body: bytes) -> str:
    gather = ET.fromstring(body).find(".//Gather")
    assert gather is not None, body
    return str(gather.get("action"))


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The SQL of every precompiled statement a turn runs (the turn's reads and writes of its session)."""
    seen: list[str] = []
    execute = Precompiled.execute

    def recorded(self: Precompiled, conn: Any, params: Mapping[str, Any] | None = None) -> Any:
        seen.append(self.sql)
        return execute(self, conn, params)

    monkeypatch.setattr(Precompiled, "execute", recorded)
    yield seen


def reads_the_call(sql: list[str]) -> bool:
    """A statement that reads (SQLite) or locks-and-reads (PostgreSQL's upsert) a session row."""
    return any(s.startswith(("SELECT sessions.channel", "INSERT INTO sessions")) for s in sql)


def test_a_turn_whose_token_holds_the_call_writes_it_without_reading_it(
        app: Flask, twilio: Twilio, statements: list[str]) -> None:
    menu = twilio.call("/voice").data
    assert reads_the_call(statements)  # the first turn has no carried state: it reads
    statements.clear()
    twilio.call(action(menu), Digits="1")  # Viva
    assert not reads_the_call(statements)
    assert [s for s in statements if s.startswith("UPDATE sessions")]
    record = app.extensions["ivr.store"].get(f"voice:{SID}")
    assert record is not None and record.seq == 2 and record.caller == CALLER
    assert record.data is not None and record.data["turn"] == 2 and record.data["state"]["checklist"] == "viva"


def test_a_replayed_webhook_reads_the_call_and_goes_on_from_the_stored_turn(
        app: Flask, twilio: Twilio, statements: list[str]) -> None:
    menu = twilio.call("/voice").data
    twilio.call(action(menu), Digits="1")  # Viva, step 1
    statements.clear()
    again = twilio.call(action(menu), Digits="1").data  # Twilio retries the same request, same token
    # The conditional write found the row moved on, rolled back and read it: the key goes to the stored
    # (newer) turn, as a second call that pressed 1 at its first step hears; the row counts a third turn.
    assert reads_the_call(statements)
    other = "CA" + "2" * 32
    step = twilio.call(action(twilio.call("/voice", sid=other).data), sid=other, Digits="1").data
    assert spoken(again) == spoken(twilio.call(action(step), sid=other, Digits="1").data)
    record = app.extensions["ivr.store"].get(f"voice:{SID}")
    assert record is not None and record.seq == 3 and record.data is not None and record.data["turn"] == 3


def test_a_turn_after_the_call_ended_keeps_the_number_forgotten(
        app: Flask, twilio: Twilio, statements: list[str]) -> None:
    menu = twilio.call("/voice").data
    step = twilio.call(action(menu), Digits="1").data
    twilio.call("/voice/status", CallStatus="completed", CallDuration="40")
    twilio.call(action(step), Digits="1")  # a late webhook with the token from before the end
    assert reads_the_call(statements)
    record = app.extensions["ivr.store"].get(f"voice:{SID}")
    assert record is not None and record.caller is None and record.data is not None and record.data["ended"]


def test_the_status_callback_is_one_transaction(app: Flask, twilio: Twilio, monkeypatch: pytest.MonkeyPatch) -> None:
    store = app.extensions["ivr.store"]
    twilio.call("/voice")
    transactions: list[bool] = []
    begin = Store._transaction

    def counted(self: Store, *, read_only: bool = False) -> Any:
        transactions.append(read_only)
        return begin(self, read_only=read_only)

    monkeypatch.setattr(Store, "_transaction", counted)
    twilio.call("/voice/status", CallStatus="completed", CallDuration="12")
    assert transactions == [False]  # the locked read and the write, nothing before it
    record = store.get(f"voice:{SID}")
    assert record is not None and record.caller is None and record.data is not None and record.data["ended"]
    twilio.call("/voice/status", sid="CA" + "3" * 32, CallStatus="completed")  # a call never stored
    assert store.get("voice:CA" + "3" * 32) is None  # ... keeps no row
