"""The outbox: each message a row written in its turn, sent once after the commit, retried, and tracked.

Driven through the signed webhooks, with Twilio's REST API faked at its HTTP boundary
(tests/fake_twilio_http.py), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families
from werkzeug.test import TestResponse

from flows.events import EventKind
from ivr import create_app
from ivr.cli import main
from ivr.notify import TwilioNotifier
from ivr.outbox import Outgoing
from ivr.outbox.sender import Sender
from ivr.reports.lookup import describe
from ivr.simulator.voice import Phone
from ivr.store import Store, StoreError
from tests.conftest import CALLER, PUBLIC_URL, TOKEN, FrozenClock, Twilio, app_config, local
from tests.fake_twilio_http import FakeTwilioHttp

ROOT = Path(__file__).resolve().parent.parent
CALL = "CA" + "7" * 32
MANAGER = "+46701740610"  # first in the shipped roster's chain
METRICS_TOKEN = "scraper-token-not-a-secret-0123"
NIGHT = "2026-11-25T22:00"


def twilio_app(database_url: str, clock: FrozenClock, http: FakeTwilioHttp, **extra: object) -> Flask:
    """The app sending through Twilio's real REST client to the fake."""
    notifier = TwilioNotifier("AC" + "0" * 32, TOKEN, http_client=http)
    return create_app(app_config(database_url, clock, NOTIFIER=notifier, METRICS_TOKEN=METRICS_TOKEN, **extra))


@pytest.fixture
def http() -> FakeTwilioHttp:
    return FakeTwilioHttp()


@pytest.fixture
def app(database_url: str, clock: FrozenClock, http: FakeTwilioHttp) -> Iterator[Flask]:
    clock.set(NIGHT)
    application = twilio_app(database_url, clock, http)
    yield application
    application.extensions["ivr.store"].dispose()


def sms_to(http: FakeTwilioHttp, number: str) -> list[dict[str, str]]:
    """The message-create requests for one number."""
    return [request["data"] for request in http.requests
            if request["path"].endswith("/Messages.json") and request["data"].get("To") == number]


def action(response: TestResponse) -> str:
    """The path and query of the answer's next webhook (its Gather's or Dial's action), as Twilio would post."""
    document = ET.fromstring(response.get_data())
    for element in document.iter():
        if element.get("action"):
            parts = urlsplit(element.get("action", ""))
            return f"{parts.path}?{parts.query}"
    raise AssertionError(f"no action in {response.get_data(as_text=True)}")


def to_the_manager(twilio: Twilio) -> TestResponse:
    """After hours, Viva, every step done: the on-call dial's first answer (its action is the dial result)."""
    response = twilio.call("/voice", sid=CALL)
    for key in ("1", "2", "1", "1"):
        response = twilio.call(action(response), sid=CALL, Digits=key)
    return response


def events(app: Flask, kind: EventKind) -> list[dict[str, object]]:
    return [event for event in app.extensions["ivr.store"].events(f"voice:{CALL}") if event["kind"] == kind]


def sender(app: Flask) -> Sender:
    found: Sender = app.extensions["ivr.outbox"]
    return found


def metric(app: Flask, name: str, **labels: str) -> float:
    response = app.test_client().get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    found = {(sample.name, frozenset(sample.labels.items())): sample.value
             for family in text_string_to_metric_families(response.get_data(as_text=True))
             for sample in family.samples}
    return found.get((name, frozenset(labels.items())), 0.0)


def test_a_dial_result_replayed_five_times_texts_the_manager_once(app: Flask, http: FakeTwilioHttp) -> None:
    twilio = Twilio(app.test_client())
    first_dial = to_the_manager(twilio)
    second_dial = twilio.call(action(first_dial), sid=CALL, DialCallStatus="no-answer")
    last_result = action(second_dial)  # /voice/dial/on_call?attempt=1&s=... signed as Twilio sends it
    heard = [twilio.call(last_result, sid=CALL, DialCallStatus="no-answer").get_data(as_text=True)]
    assert len(sms_to(http, MANAGER)) == 1
    twilio.call("/voice/status", sid=CALL, CallStatus="completed", CallDuration="95")
    for _ in range(5):  # Twilio retrying, a proxy repeating, an attacker with the signed request
        heard.append(twilio.call(last_result, sid=CALL, DialCallStatus="no-answer").get_data(as_text=True))
    assert len(sms_to(http, MANAGER)) == 1
    assert len(sms_to(http, CALLER)) == 1  # the receipt, once
    assert len(events(app, EventKind.ON_CALL_SMS)) == 1
    assert "Chefen har fått ett sms" in heard[0]
    assert all("<Hangup" in answer for answer in heard)  # and every replay ends as the call did
    [row] = app.extensions["ivr.store"].outbox.rows(state="queued", session_id=f"voice:{CALL}", limit=5)[:1]
    assert row["kind"] in ("manager_sms", "receipt")
    assert len(app.extensions["ivr.store"].outbox.rows(session_id=f"voice:{CALL}")) == 2


def test_a_whole_turn_replayed_five_times_sends_its_receipt_once(app: Flask, http: FakeTwilioHttp) -> None:
    twilio = Twilio(app.test_client())
    response = twilio.call("/voice", sid=CALL)
    for key in ("2", "2", "1", "2"):  # Viva omsorg, one user after hours: wait for office hours
        response = twilio.call(action(response), sid=CALL, Digits=key)
    last = action(response)  # the last step: its answer decides, and queues the receipt
    answers = {twilio.call(last, sid=CALL, Digits="2").status_code for _ in range(6)}
    assert answers == {200}
    assert len(sms_to(http, CALLER)) == 1
    assert len(events(app, EventKind.RECEIPT_SENT)) == 1


def test_twilio_answering_500_500_then_201_gives_exactly_one_accepted_message(
        database_url: str, clock: FrozenClock) -> None:
    clock.set(NIGHT)
    http = FakeTwilioHttp(statuses=[500, 500])
    app = twilio_app(database_url, clock, http)
    try:
        Phone(app).call("2 2 1 2 2", call_sid=CALL)  # Viva omsorg, one user: wait; a receipt
        assert len(sms_to(http, CALLER)) == 1  # the first try, right after the commit: 500
        outbox = sender(app)
        start = clock.moment
        assert outbox.send_due(start) == 0  # not due before its backoff
        assert outbox.send_due(start + timedelta(seconds=11)) == 1  # 500 again
        assert outbox.send_due(start + timedelta(seconds=12)) == 0
        assert outbox.send_due(start + timedelta(seconds=40)) == 1  # 201
        assert outbox.send_due(start + timedelta(hours=2)) == 0
        assert len(sms_to(http, CALLER)) == 3
        [row] = app.extensions["ivr.store"].outbox.rows()
        assert (row["kind"], row["state"], row["attempts"]) == ("receipt", "queued", 3)
        assert row["provider_id"] == "SM" + f"{3:032d}"
        sent = events(app, EventKind.RECEIPT_SENT)
        assert len(sent) == 1 and sent[0]["data"]["sid"] == row["provider_id"]  # type: ignore[index]
        assert events(app, EventKind.RECEIPT_FAILED) == []
        assert metric(app, "ivr_messages_total", kind="receipt", state="accepted") == 1
        assert metric(app, "ivr_messages_total", kind="receipt", state="dead") == 0
    finally:
        app.extensions["ivr.store"].dispose()


def test_status_callbacks_move_the_row_forward_only_and_metrics_count_final_states(
        app: Flask, http: FakeTwilioHttp) -> None:
    Phone(app).call("2 2 1 2 2", call_sid=CALL)
    [request] = sms_to(http, CALLER)
    store = app.extensions["ivr.store"]
    [row] = store.outbox.rows()
    assert request["StatusCallback"] == f"{PUBLIC_URL}/sms/status/{row['id']}"
    twilio = Twilio(app.test_client())
    path, sid = f"/sms/status/{row['id']}", row["provider_id"]
    assert app.test_client().post(path, data={"MessageSid": sid, "MessageStatus": "delivered"}).status_code == 403
    assert twilio.post(path, MessageSid=sid, MessageStatus="sent").status_code == 204
    assert store.outbox.rows()[0]["state"] == "sent"
    for _ in range(2):  # a callback twice
        assert twilio.post(path, MessageSid=sid, MessageStatus="delivered").status_code == 204
    assert twilio.post(path, MessageSid=sid, MessageStatus="sent").status_code == 204  # late: changes nothing
    assert twilio.post(path, MessageSid="SM" + "9" * 32, MessageStatus="failed").status_code == 204  # not its sid
    [row] = store.outbox.rows()
    assert row["state"] == "delivered"
    assert (row["target"], row["body"]) == (None, None)  # the number and the text, blanked once delivered
    assert metric(app, "ivr_messages_total", kind="receipt", state="accepted") == 1
    assert metric(app, "ivr_messages_total", kind="receipt", state="delivered") == 1
    assert metric(app, "ivr_messages_total", kind="receipt", state="failed") == 0


def test_a_message_twilio_refuses_is_given_up_at_once_and_counted_dead_not_sent(
        database_url: str, clock: FrozenClock) -> None:
    clock.set(NIGHT)
    http = FakeTwilioHttp(status=400)
    app = twilio_app(database_url, clock, http)
    try:
        Phone(app).call("2 2 1 2 2", call_sid=CALL)
        assert sender(app).send_due(clock.moment + timedelta(hours=1)) == 0
        assert [row["state"] for row in app.extensions["ivr.store"].outbox.rows()] == ["dead"]
        assert len(events(app, EventKind.RECEIPT_FAILED)) == 1
        assert metric(app, "ivr_messages_total", kind="receipt", state="dead") == 1
        assert metric(app, "ivr_messages_total", kind="receipt", state="accepted") == 0
    finally:
        app.extensions["ivr.store"].dispose()


# A server killed with SIGKILL in the window after the turn's commit: before the first try, or
# with the row claimed and the REST call under way.
CRASHING_SERVER = """
import os, signal, sys
from tests.conftest import FrozenClock, app_config, local, TOKEN
from tests.fake_twilio_http import FakeTwilioHttp
from ivr import create_app
from ivr.notify import TwilioNotifier
from ivr.simulator.voice import Phone

url, window = sys.argv[1], sys.argv[2]
http = FakeTwilioHttp()
app = create_app(app_config(url, FrozenClock(local("2026-11-25T22:00")),
                            NOTIFIER=TwilioNotifier("AC" + "0" * 32, TOKEN, http_client=http)))
die = lambda *args, **kwargs: os.kill(os.getpid(), signal.SIGKILL)
if window == "after_commit":
    app.extensions["ivr.store"].on_enqueued = die
else:
    http.request = die
Phone(app).call("2 2 1 2 2", call_sid="CA" + "7" * 32)
print("not killed")
"""


@pytest.mark.parametrize("window", ["after_commit", "mid_send"])
def test_killed_between_the_commit_and_the_send_the_message_goes_out_once_after_the_restart(
        database_url: str, clock: FrozenClock, window: str) -> None:
    killed = subprocess.run([sys.executable, "-c", CRASHING_SERVER, database_url, window], cwd=ROOT,
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert killed.returncode == -9, killed.stdout + killed.stderr
    clock.set(NIGHT)
    http = FakeTwilioHttp()
    app = twilio_app(database_url, clock, http)  # the restart
    try:
        [row] = app.extensions["ivr.store"].outbox.rows()
        assert row["state"] == ("pending" if window == "after_commit" else "sending")
        outbox = sender(app)
        if window == "mid_send":
            assert outbox.send_due(local(NIGHT)) == 0  # another process may be sending it: wait for its lease
        assert outbox.send_due(local(NIGHT) + timedelta(seconds=61)) == 1
        assert outbox.send_due(local(NIGHT) + timedelta(hours=1)) == 0
        assert len(sms_to(http, CALLER)) == 1
        assert len(events(app, EventKind.RECEIPT_SENT)) == 1
    finally:
        app.extensions["ivr.store"].dispose()


def test_without_the_database_the_fault_policy_still_texts_the_receipt_directly(
        clock: FrozenClock, tmp_path: Path) -> None:
    from tests.test_fail_safe import unopenable

    clock.set(NIGHT)
    http = FakeTwilioHttp()
    app = twilio_app(unopenable(tmp_path), clock, http, DB_AUTO_UPGRADE=False, ALERT_STAMP=str(tmp_path / "a"))
    try:
        Phone(app).call("2 2 1 2 2", call_sid=CALL)
    finally:
        app.extensions["ivr.store"].dispose()
    [receipt] = sms_to(http, CALLER)
    assert receipt["Body"].endswith(". Svaren sparades inte.")


def test_ivr_outbox_list_and_send(database_url: str, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch) -> None:
    clock.set("2020-01-08T22:00")  # long before any real "now" the CLI reads
    app = create_app(app_config(database_url, clock))
    try:
        app.extensions["ivr.store"].on_enqueued = None  # as if killed before the first try
        Phone(app).call("2 2 1 2 2", call_sid=CALL)
    finally:
        app.extensions["ivr.store"].dispose()
    runner = CliRunner()
    listed = runner.invoke(main, ["outbox", "list", "--database", database_url])
    assert listed.exit_code == 0, listed.output
    assert "receipt pending tries 0 to +46...699" in listed.output and CALLER not in listed.output
    for name, setting in {"IVR_DATABASE_URL": database_url, "TWILIO_AUTH_TOKEN": TOKEN,
                          "IVR_PSEUDONYM_KEY": "k" * 32, "IVR_PUBLIC_URL": PUBLIC_URL}.items():
        monkeypatch.setenv(name, setting)
    monkeypatch.delenv("TWILIO_ACCOUNT_SID", raising=False)
    refused = runner.invoke(main, ["outbox", "send"])
    assert refused.exit_code == 1 and "TWILIO_ACCOUNT_SID is not set" in refused.output
    assert "receipt pending" in runner.invoke(main, ["outbox", "list", "--database", database_url]).output
    sent = runner.invoke(main, ["outbox", "send", "--log-only"])
    assert sent.exit_code == 0, sent.output
    assert "tried 1 message(s)" in sent.output
    # No Twilio account: logged, not sent, and blanked like any message in a final state.
    listed = runner.invoke(main, ["outbox", "list", "--state", "logged", "--database", database_url])
    assert "receipt logged tries 1 to -" in listed.output


def test_purge_deletes_old_rows_and_blanks_numbers_kept_past_the_retention(app: Flask, http: FakeTwilioHttp) -> None:
    Phone(app).call("2 2 1 2 2", call_sid=CALL)  # accepted, but no delivery receipt ever comes
    store = app.extensions["ivr.store"]
    now = local(NIGHT)
    counts = store.purge(now - timedelta(days=1), now - timedelta(hours=1))
    assert (counts["outbox"], counts["outbox_blanked"]) == (0, 0)
    counts = store.purge(now - timedelta(days=1), now + timedelta(minutes=1))
    assert (counts["outbox"], counts["outbox_blanked"]) == (0, 1)
    [row] = store.outbox.rows()
    assert (row["state"], row["target"], row["body"]) == ("queued", None, None)
    assert store.purge(now + timedelta(minutes=1), now + timedelta(minutes=1))["outbox"] == 1
    assert store.outbox.rows() == []


def enqueue_many(store: Store, count: int) -> None:
    """count messages, each from its own turn."""
    for number in range(count):
        with store.session(f"voice:CA{number:032d}", "voice", local(NIGHT)) as record:
            record.data = {}
            store.enqueue(record, Outgoing(kind="receipt", key=f"{record.id}:receipt", target=CALLER,
                                           text="hej", sender="+46141225000"))
            store.enqueue(record, Outgoing(kind="receipt", key=f"{record.id}:receipt", target=CALLER,
                                           text="hej", sender="+46141225000"))  # the same key: nothing new


def test_two_senders_claiming_at_once_never_take_the_same_row(database_url: str) -> None:
    stores = [Store(database_url) for _ in range(2)]
    try:
        stores[0].upgrade()
        enqueue_many(stores[0], 40)
        claimed: list[list[int]] = [[], []]
        barrier = threading.Barrier(2)

        def drain(index: int) -> None:
            barrier.wait()
            while rows := stores[index].outbox.claim(local(NIGHT), limit=3):
                claimed[index].extend(row.id for row in rows)

        threads = [threading.Thread(target=drain, args=(index,)) for index in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(claimed[0] + claimed[1]) == sorted({*claimed[0], *claimed[1]})  # none twice
        assert len(claimed[0]) + len(claimed[1]) == 40
        # Within their lease, nobody takes them again; after it, they are due once more.
        assert stores[1].outbox.claim(local(NIGHT) + timedelta(seconds=59)) == []
        assert len(stores[1].outbox.claim(local(NIGHT) + timedelta(seconds=61), limit=100)) == 40
    finally:
        for store in stores:
            store.dispose()


def test_each_server_process_retries_in_its_own_thread(database_url: str, clock: FrozenClock) -> None:
    clock.set(NIGHT)
    http = FakeTwilioHttp(statuses=[503])
    app = twilio_app(database_url, clock, http, OUTBOX_WORKER=True)
    try:
        worker = app.extensions["ivr.outbox_worker"]
        worker.poll_seconds = 0.05
        Phone(app).call("2 2 1 2 2", call_sid=CALL)  # its first request started the thread
        assert len(sms_to(http, CALLER)) == 1  # 503
        clock.moment += timedelta(seconds=11)
        deadline = time.monotonic() + 10
        store = app.extensions["ivr.store"]
        while [row["state"] for row in store.outbox.rows()] != ["queued"]:  # its answer recorded, not only sent
            assert time.monotonic() < deadline, "the worker did not retry"
            time.sleep(0.02)
        worker.stop.set()
        assert len(sms_to(http, CALLER)) == 2
    finally:
        # The thread may be inside a transaction: it ends before the store is disposed, not during a later test.
        app.extensions["ivr.outbox_worker"].shut_down()
        app.extensions["ivr.store"].dispose()


def test_ivr_lookup_shows_each_message_and_its_state(app: Flask, http: FakeTwilioHttp) -> None:
    Phone(app).call("2 2 1 2 2", call_sid=CALL)
    store = app.extensions["ivr.store"]
    [row] = store.outbox.rows()
    Twilio(app.test_client()).post(f"/sms/status/{row['id']}", MessageSid=row["provider_id"],
                                   MessageStatus="undelivered", ErrorCode="30003")
    [record] = store.sessions_by_ref(store.get(f"voice:{CALL}").ref)
    shown = list(describe(app.extensions["ivr.line"], store, record, "X"))
    assert shown[-2:] == ["Messages (the outbox; `ivr outbox list`):",
                          "  2026-11-25 22:00:00  receipt to the caller: not delivered"]


def test_when_only_the_turns_commit_fails_its_messages_are_sent_directly_once(
        app: Flask, http: FakeTwilioHttp, monkeypatch: pytest.MonkeyPatch) -> None:
    twilio = Twilio(app.test_client())
    response = twilio.call("/voice", sid=CALL)
    for key in ("2", "2", "1", "2"):  # Viva omsorg, one user
        response = twilio.call(action(response), sid=CALL, Digits=key)
    real_save = Store._save

    def disk_full(self: Store, *args: object, **kwargs: object) -> None:
        raise StoreError("database error: disk full")

    monkeypatch.setattr(Store, "_save", disk_full)  # the deciding turn runs; its commit fails
    answer = twilio.call(action(response), sid=CALL, Digits="2").get_data(as_text=True)
    monkeypatch.setattr(Store, "_save", real_save)
    assert "Jag ringer inte chef i beredskap nu." in answer and "IT-supporten öppnar i morgon" in answer
    [receipt] = sms_to(http, CALLER)  # the fault policy's direct send, once
    assert receipt["Body"].startswith("Felsökningslinjen, Viva omsorg: ")
    assert app.extensions["ivr.store"].outbox.rows() == []  # nothing stored to send again


def test_ivr_forget_erases_the_callers_messages(app: Flask, http: FakeTwilioHttp) -> None:
    Phone(app).call("2 2 1 2 2", call_sid=CALL)
    store = app.extensions["ivr.store"]
    assert store.forget(CALLER, "no-such-key")["outbox"] == 1
    assert store.outbox.rows() == []
