"""What a turn run again after a store error may repeat: never an outbound message.

run_turn (ivr/channels/voice/call.py) runs a turn whose database failed *before* its
answer was built a second time without the database: the messages the failed
turn queued were never committed and are dropped with it, and the second run
decides again what it can send (key 8 without the database says it could not
text, rather than texting). A turn that failed only at its commit is not run
again: its answer stands and its queued messages are sent directly, once.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from ivr.store import StoreError
from ivr.store.store import Store
from tests.conftest import CALLER, Twilio
from tests.test_call_situation import spoken


def action(body: bytes) -> str:
    """The URL Twilio posts the next key to: the Gather's action, with the state it carries."""
    gather = ET.fromstring(body).find(".//Gather")
    assert gather is not None
    return str(gather.get("action"))


def texts_to_caller(app: Flask) -> list[dict[str, Any]]:
    return [sent for sent in app.extensions["ivr.notifier"].sent if sent.get("to") == CALLER and sent["kind"] == "sms"]


def test_a_turn_rerun_after_a_store_error_texts_nothing_twice(app: Flask, twilio: Twilio,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    twilio.call("/voice")
    step = action(twilio.call("/voice/input", Digits="4").data)  # NPÖ, step 1

    def fails(*args: object, **kwargs: object) -> Iterator[None]:
        raise StoreError("the database went away while the SMS conversation was written")

    monkeypatch.setattr(Store, "other_session", fails)
    said = spoken(twilio.call(step, Digits="8").data)
    # The first run queued the SMS, then failed: rolled back, nothing sent. The run without the
    # database says so and asks the same step again; nothing is sent either.
    assert texts_to_caller(app) == []
    assert "sms" in said.lower() and "Steg 1" in said


def test_a_turn_that_fails_only_at_its_commit_sends_its_message_once(app: Flask, twilio: Twilio,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    twilio.call("/voice")
    step = action(twilio.call("/voice/input", Digits="4").data)
    save = Store._save

    def fails_for_the_call(self: Store, conn: Any, record: Any, *args: Any, **kwargs: Any) -> Any:
        if record.channel == "voice":
            raise StoreError("the commit failed")
        return save(self, conn, record, *args, **kwargs)

    monkeypatch.setattr(Store, "_save", fails_for_the_call)
    said = spoken(twilio.call(step, Digits="8").data)
    assert len(texts_to_caller(app)) == 1  # sent directly by the fault policy, and only once
    assert "sms" in said.lower()
