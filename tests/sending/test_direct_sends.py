"""Messages sent without the database are recorded once it is back: a replay then sends nothing new.

The fault policy sends a turn's messages directly when its database fails (ivr/outbox.send_unstored).
Each one Twilio accepted is remembered under its key (in memory and in the state folder's file,
ivr/outbox/direct.py) and written to the outbox table as a row already sent before the next turn,
so the same signed webhook replayed afterwards (Twilio retrying, a proxy repeating) finds its key.
Driven through the signed webhooks and Twilio's real REST client against a fake HTTP boundary, on
SQLite and PostgreSQL; the database "goes down" at the store's one way in (Store._transaction).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from ivr.cli import main
from ivr.outbox.direct import FILE_NAME
from ivr.store import Store, StoreError
from tests.conftest import CALLER, FrozenClock, Twilio
from tests.fake_twilio_http import FakeTwilioHttp
from tests.test_outbox import CALL, MANAGER, action, sms_to, to_the_manager, twilio_app

ADMIN = "+46701740698"  # config/line.yaml's admins


@contextmanager
def database_down(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every transaction fails, as with a database that refuses connections; then it answers again."""

    @contextmanager
    def refused(self: Store, *, read_only: bool = False) -> Iterator[None]:
        raise StoreError("database unavailable: connection refused")
        yield  # pragma: no cover - a generator, never reached

    with monkeypatch.context() as patch:
        patch.setattr(Store, "_transaction", refused)
        yield


def state_file(app: Flask) -> Path:
    return Path(app.config["STATE_DIR"]) / FILE_NAME


def last_dial_result(twilio: Twilio) -> str:
    """After hours, Viva, every step done, the first manager unanswered: the last dial result's signed URL."""
    second_dial = twilio.call(action(to_the_manager(twilio)), sid=CALL, DialCallStatus="no-answer")
    return action(second_dial)


def test_a_dial_result_sent_directly_is_recorded_and_a_replay_after_sends_nothing(
        app: Flask, http: FakeTwilioHttp, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    twilio = Twilio(app.test_client())
    last = last_dial_result(twilio)
    with database_down(monkeypatch):
        heard = twilio.call(last, sid=CALL, DialCallStatus="no-answer").get_data(as_text=True)
    assert "Chefen har fått ett sms" in heard  # the fault policy: the manager texted all the same
    assert (len(sms_to(http, MANAGER)), len(sms_to(http, CALLER)), len(sms_to(http, ADMIN))) == (1, 1, 1)
    kept = state_file(app).read_text()
    assert f"voice:{CALL}:manager_sms:1" in kept and f"voice:{CALL}:receipt" in kept
    assert "+4670" not in kept and "Viva" not in kept  # no number, no text: keys and sids only
    for _ in range(5):  # the database back; Twilio retrying, a proxy repeating the signed request
        assert "<Hangup" in twilio.call(last, sid=CALL, DialCallStatus="no-answer").get_data(as_text=True)
    assert (len(sms_to(http, MANAGER)), len(sms_to(http, CALLER)), len(sms_to(http, ADMIN))) == (1, 1, 1)
    rows = {row["kind"]: row for row in app.extensions["ivr.store"].outbox.rows()}
    assert {kind: row["state"] for kind, row in rows.items()} == {
        "manager_sms": "direct", "receipt": "direct", "repair_alert": "direct"}
    assert rows["manager_sms"]["session_id"] == f"voice:{CALL}" and rows["manager_sms"]["provider_id"]
    assert rows["manager_sms"]["target"] is None and rows["manager_sms"]["body"] is None  # blanked
    assert state_file(app).read_text().strip() == ""  # recorded: forgotten
    listed = CliRunner().invoke(main, ["outbox", "list", "--database", database_url]).output
    assert "manager_sms direct tries 1 to -" in listed and "receipt direct" in listed
    # The audit the turn without its database could not store, written with the row.
    kinds = [event["kind"] for event in app.extensions["ivr.store"].events(f"voice:{CALL}")]
    assert kinds.count("on_call_sms") == 1 and kinds.count("receipt_sent") == 1


def test_after_a_restart_the_state_folder_still_knows_what_was_sent(
        app: Flask, http: FakeTwilioHttp, database_url: str, clock: FrozenClock, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    twilio = Twilio(app.test_client())
    last = last_dial_result(twilio)
    with database_down(monkeypatch):
        twilio.call(last, sid=CALL, DialCallStatus="no-answer")
    app.extensions["ivr.store"].dispose()  # the server restarts before the database is back
    restarted = twilio_app(database_url, clock, http, STATE_DIR=str(tmp_path / "state"))
    try:
        again = Twilio(restarted.test_client())
        for _ in range(5):
            again.call(last, sid=CALL, DialCallStatus="no-answer")
        assert (len(sms_to(http, MANAGER)), len(sms_to(http, CALLER))) == (1, 1)
        states = sorted(row["state"] for row in restarted.extensions["ivr.store"].outbox.rows())
        assert states == ["direct", "direct", "direct"]
    finally:
        restarted.extensions["ivr.store"].dispose()


def test_the_worker_records_them_without_a_turn(app: Flask, http: FakeTwilioHttp,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    twilio = Twilio(app.test_client())
    last = last_dial_result(twilio)
    with database_down(monkeypatch):
        twilio.call(last, sid=CALL, DialCallStatus="no-answer")
        with pytest.raises(StoreError):  # the worker's round fails at its claim (and the thread tries again)
            app.extensions["ivr.outbox"].send_due()
    assert app.extensions["ivr.store"].outbox.rows(state="direct") == []
    app.extensions["ivr.outbox"].send_due()  # the worker's next round, the database back
    assert len(app.extensions["ivr.store"].outbox.rows(state="direct")) == 3
    assert len(sms_to(http, MANAGER)) == 1


def test_key_8_sent_directly_at_a_failed_commit_is_sent_once_however_often_replayed(
        app: Flask, http: FakeTwilioHttp, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch) -> None:
    clock.set("2026-11-25T10:00")
    twilio = Twilio(app.test_client())
    step = action(twilio.call(action(twilio.call("/voice", sid=CALL)), sid=CALL, Digits="4"))  # NPÖ, step 1
    real_save = Store._save

    def fails_for_the_call(self: Store, conn: object, record: object, *args: object, **kwargs: object) -> object:
        if getattr(record, "channel", None) == "voice":
            raise StoreError("the commit failed")
        return real_save(self, conn, record, *args, **kwargs)  # type: ignore[arg-type]

    with monkeypatch.context() as patch:
        patch.setattr(Store, "_save", fails_for_the_call)
        assert "sms" in twilio.call(step, sid=CALL, Digits="8").get_data(as_text=True).lower()
    assert len(sms_to(http, CALLER)) == 1  # the fault policy's direct send
    for _ in range(5):
        twilio.call(step, sid=CALL, Digits="8")
    assert len(sms_to(http, CALLER)) == 1
    [row] = app.extensions["ivr.store"].outbox.rows(session_id=f"voice:{CALL}")
    assert (row["kind"], row["state"]) == ("sms_handover", "direct")


def test_a_line_half_written_by_a_killed_process_is_dropped_and_the_rest_recorded(
        app: Flask, http: FakeTwilioHttp, monkeypatch: pytest.MonkeyPatch) -> None:
    twilio = Twilio(app.test_client())
    last = last_dial_result(twilio)
    state_file(app).parent.mkdir(parents=True, exist_ok=True)
    state_file(app).write_text('{"key":"voice:CA0:receipt","kind":"rec')  # another process, killed mid-write
    with database_down(monkeypatch):
        twilio.call(last, sid=CALL, DialCallStatus="no-answer")
    app.extensions["ivr.direct_sends"]._memory.clear()  # as after a restart: the file alone
    twilio.call(last, sid=CALL, DialCallStatus="no-answer")
    assert len(app.extensions["ivr.store"].outbox.rows(state="direct")) == 3
    assert (len(sms_to(http, MANAGER)), len(sms_to(http, CALLER))) == (1, 1)
    assert state_file(app).read_text().strip() == ""
