"""The session store on SQLite and (with IVR_TEST_DATABASE_URL) PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import inspect, text

from ivr.store.migrate import head
from ivr.store.statements import Precompiled
from ivr.store.store import SessionRecord, Store, StoreError
from tests.conftest_db import database_params, fresh_url, open_store

T0 = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
SID = "voice:CA123"


@pytest.fixture(params=database_params())
def db(request: pytest.FixtureRequest) -> str:
    """Which database: "sqlite" or "postgresql"."""
    return str(request.param)


@pytest.fixture
def store(db: str, tmp_path: Path) -> Iterator[Store]:
    """An upgraded store on an empty database."""
    store = open_store(db, tmp_path)
    yield store
    store.dispose()


def save(store: Store, data: dict[str, object], at: datetime = T0, **kwargs: object) -> None:
    """One turn that stores data."""
    with store.session(SID, "voice", at, **kwargs) as record:  # type: ignore[arg-type]
        record.data = data


def test_new_session_has_no_data(store: Store) -> None:
    with store.session(SID, "voice", T0, caller="+46701234567") as record:
        assert record.data is None
        assert record.seq == 0
        assert record.created_at is None
        assert record.caller == "+46701234567"
    # A first turn that stored nothing leaves no row behind.
    assert store.get(SID) is None


def test_round_trip_keeps_unicode_and_counts_turns(store: Store) -> None:
    save(store, {"namn": "Åsa Öberg", "svar": ["ja", "nej"]}, caller="+46701234567")
    record = store.get(SID)
    assert record is not None
    assert record.data == {"namn": "Åsa Öberg", "svar": ["ja", "nej"]}
    assert (record.seq, record.channel, record.caller) == (1, "voice", "+46701234567")
    assert record.created_at == record.updated_at == T0
    with store.engine.connect() as conn:
        raw = conn.execute(text("SELECT CAST(data AS TEXT) FROM sessions")).scalar_one()
    assert "Åsa Öberg" in raw  # stored readable, not as \u escapes

    later = T0 + timedelta(minutes=1)
    with store.session(SID, "voice", later) as record:
        assert record.seq == 1
        assert record.caller == "+46701234567"  # kept when a later turn does not know it
        assert record.data is not None
        record.data = {**record.data, "steg": 2}
    reloaded = store.get(SID)
    assert reloaded is not None
    assert reloaded.seq == 2
    assert reloaded.data == {"namn": "Åsa Öberg", "svar": ["ja", "nej"], "steg": 2}
    assert (reloaded.created_at, reloaded.updated_at) == (T0, later)
    assert reloaded.caller == "+46701234567"


def test_datetimes_are_utc_whatever_zone_goes_in(store: Store) -> None:
    stockholm = datetime(2025, 7, 1, 12, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
    with store.session(SID, "voice", stockholm) as record:
        record.data = {}
        record.add_event("call_started")
    record_back = store.get(SID)
    assert record_back is not None
    assert record_back.created_at == datetime(2025, 7, 1, 10, 0, tzinfo=UTC)
    assert record_back.created_at.tzinfo is UTC
    [event] = store.events(SID)
    assert event["at"] == stockholm and event["at"].tzinfo is UTC


def test_naive_datetime_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="naive"):
        with store.session(SID, "voice", datetime(2025, 1, 1)):
            pass


def test_events_are_written_with_the_turn(store: Store) -> None:
    with store.session(SID, "voice", T0) as record:
        record.data = {"n": 1}
        record.add_event("call_started")
        record.add_event("system_chosen", {"key": 1, "text": "Välj"}, "viva")
    with store.session("sms:+46701234567", "sms", T0 + timedelta(seconds=5)) as record:
        record.data = {}
        record.add_event("sms_in", {"body": "hej"})
    with store.session(SID, "voice", T0 + timedelta(seconds=10)) as record:
        record.add_event("answer", {"yes": True}, "viva")

    voice = store.events(SID)
    assert [(e["seq"], e["kind"], e["system"], e["channel"]) for e in voice] == [
        (1, "call_started", None, "voice"),
        (1, "system_chosen", "viva", "voice"),
        (2, "answer", "viva", "voice"),
    ]
    assert voice[1]["data"] == {"key": 1, "text": "Välj"}
    assert voice[1]["at"] == T0 and voice[2]["at"] == T0 + timedelta(seconds=10)
    everything = store.events()
    assert [e["session_id"] for e in everything] == [SID, SID, "sms:+46701234567", SID]
    assert [e["id"] for e in everything] == sorted(e["id"] for e in everything)


def test_an_exception_leaves_neither_data_nor_events(store: Store) -> None:
    with store.session(SID, "voice", T0) as record:
        record.data = {"n": 1}
        record.add_event("first")
    with pytest.raises(KeyError):
        with store.session(SID, "voice", T0 + timedelta(seconds=1)) as record:
            record.data = {"n": 2}
            record.add_event("second")
            raise KeyError("boom")
    with pytest.raises(KeyError):
        with store.session("voice:CAnew", "voice", T0) as record:
            record.data = {"n": 1}
            record.add_event("never")
            raise KeyError("boom")

    record_back = store.get(SID)
    assert record_back is not None
    assert (record_back.data, record_back.seq) == ({"n": 1}, 1)
    assert [e["kind"] for e in store.events()] == ["first"]
    assert store.get("voice:CAnew") is None


def test_unserialisable_data_rolls_back(store: Store) -> None:
    with pytest.raises(TypeError):
        with store.session(SID, "voice", T0) as record:
            record.data = {"when": T0}
            record.add_event("x")
    assert store.get(SID) is None
    assert store.events() == []


def test_upgrade_twice_is_safe(store: Store) -> None:
    assert store.upgrade() == head() == "0012"
    save(store, {"kept": True})
    assert store.upgrade() == "0012"
    record = store.get(SID)
    assert record is not None and record.data == {"kept": True}
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == ["0012"]


def test_upgrade_refuses_an_unknown_schema_version(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    with pytest.raises(StoreError, match="0099"):
        store.upgrade()


def test_claim_is_true_once_per_message_sid(store: Store) -> None:
    with store.session(SID, "sms", T0) as record:
        assert record.claim("SM1") is True
        assert record.claim("SM1") is False  # same transaction
        record.data = {}
    with store.session(SID, "sms", T0) as record:
        assert record.claim("SM1") is False
        assert record.claim("SM2") is True


def test_a_failed_turn_releases_its_claim(store: Store) -> None:
    with pytest.raises(RuntimeError):
        with store.session(SID, "sms", T0) as record:
            assert record.claim("SM1") is True
            raise RuntimeError("handler failed")
    # Twilio's retry of the same message gets processed.
    with store.session(SID, "sms", T0) as record:
        assert record.claim("SM1") is True


def test_claim_outside_a_session_is_an_error() -> None:
    record = SessionRecord(SID, "sms", None, None, 0, None, None)
    with pytest.raises(RuntimeError, match="inside Store.session"):
        record.claim("SM1")


def test_delete_removes_the_session_but_keeps_events(store: Store) -> None:
    save(store, {"n": 1}, caller="+46701234567")
    with store.session(SID, "voice", T0) as record:
        record.add_event("ended")
        record.delete = True
    assert store.get(SID) is None
    assert [(e["kind"], e["seq"]) for e in store.events(SID)] == [("ended", 2)]
    with store.session(SID, "voice", T0) as record:
        assert record.data is None and record.seq == 0


def test_overlong_values_fail_alike_on_both_databases(store: Store) -> None:
    with pytest.raises(ValueError, match="event kind"):
        SessionRecord(SID, "voice", None, None, 0, None, None).add_event("k" * 41)
    with pytest.raises(ValueError, match="caller"):
        with store.session(SID, "voice", T0, caller="sip:" + "x" * 40):
            pass


def increment(store: Store, times: int, errors: list[BaseException]) -> None:
    """Read-modify-write a counter, slowly enough that unlocked turns would interleave."""
    try:
        for _ in range(times):
            with store.session(SID, "voice", datetime.now(UTC)) as record:
                count = (record.data or {}).get("count", 0) + 1
                time.sleep(0.002)
                record.data = {"count": count}
                record.add_event("inc", {"count": count})
    except BaseException as exc:  # noqa: BLE001 - reported by the main thread
        errors.append(exc)


def run_concurrently(stores: list[Store], times: int) -> None:
    """One thread per store, all incrementing the same session."""
    errors: list[BaseException] = []
    threads = [threading.Thread(target=increment, args=(s, times, errors)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    if errors:
        raise errors[0]


def assert_counted(store: Store, total: int) -> None:
    """Every increment landed once, in order."""
    record = store.get(SID)
    assert record is not None
    assert record.data == {"count": total}
    assert record.seq == total
    log = store.events(SID)
    assert [e["seq"] for e in log] == list(range(1, total + 1))
    assert [e["data"]["count"] for e in log] == list(range(1, total + 1))


def test_two_threads_serialise_on_one_session(store: Store) -> None:
    run_concurrently([store, store], 20)
    assert_counted(store, 40)


def test_two_stores_serialise_on_one_session(db: str, store: Store) -> None:
    # A second engine on the same database stands in for a second worker process.
    other = Store(store.engine.url.render_as_string(hide_password=False))
    try:
        run_concurrently([store, other], 20)
    finally:
        other.dispose()
    assert_counted(store, 40)


def test_concurrent_first_turns_create_one_session(store: Store) -> None:
    # Both threads may find no row; the insert-then-lock must still give one session.
    run_concurrently([store, store, store], 1)
    assert_counted(store, 3)


def test_ping(store: Store) -> None:
    store.ping()


def assert_ping_fails(url: str) -> None:
    """ping() raises StoreError quickly."""
    store = Store(url)
    try:
        started = time.monotonic()
        with pytest.raises(StoreError):
            store.ping()
        assert time.monotonic() - started < 5
    finally:
        store.dispose()


def test_ping_fails_for_an_unreachable_server() -> None:
    assert_ping_fails("postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=1")


def test_ping_fails_for_an_unusable_sqlite_path(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert_ping_fails(f"sqlite:///{blocker / 'sub' / 'ivr.sqlite3'}")


def test_sqlite_creates_the_parent_folder(tmp_path: Path) -> None:
    path = tmp_path / "instance" / "deeper" / "ivr.sqlite3"
    store = Store(f"sqlite:///{path}")
    try:
        assert store.upgrade() == head()
    finally:
        store.dispose()
    assert path.exists()


@pytest.mark.parametrize(
    "url",
    [
        "sqlite://",
        "sqlite:///:memory:",
        "mysql://x:hemligt@localhost/db",
        "postgresql+nosuchdriver://x:hemligt@localhost/db",
        "not a url hemligt",
    ],
)
def test_unusable_urls_are_store_errors_without_the_password(url: str) -> None:
    with pytest.raises(StoreError) as info:
        Store(url)
    assert "hemligt" not in str(info.value)


def test_errors_do_not_carry_phone_numbers(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    # A statement that fails with the caller's number as a bound parameter.
    def failing_save(self: Store, dbapi: Any, record: SessionRecord, *args: object, **kwargs: object) -> None:
        # On the driver's connection, as the turn's own statements (ivr/store/statements.py).
        Precompiled(text("SELECT x FROM no_such_table WHERE c = :c"), self.engine.dialect).execute(
            dbapi, {"c": record.caller})

    monkeypatch.setattr(Store, "_save", failing_save)
    with pytest.raises(StoreError) as info:
        with store.session(SID, "voice", T0, caller="+46701234567"):
            pass
    assert "no_such_table" in str(info.value)
    assert "+46701234567" not in str(info.value)
    assert "+46701234567" not in str(info.value.__cause__)


def test_fresh_url_gives_an_empty_database(db: str, tmp_path: Path) -> None:
    store = Store(fresh_url(db, tmp_path))
    try:
        store.upgrade()
        assert store.events() == [] and store.get(SID) is None
    finally:
        store.dispose()


def report(store: Store, key: str | None, minutes: int, system: str = "viva") -> None:
    """A caller (by key) who answered a step of a system, at T0 + minutes."""
    with store.session(f"voice:CA{key}{minutes}", "voice", T0 + timedelta(minutes=minutes)) as record:
        record.data = {}
        record.caller_key = key
        store.report(record, system, T0 + timedelta(minutes=minutes), timedelta(minutes=30))


def test_reporter_count_is_distinct_callers_in_the_window(store: Store) -> None:
    for key, minutes in [("aa", 0), ("bb", 20), ("aa", 25), (None, 26), ("cc", 40)]:
        report(store, key, minutes)
    report(store, "dd", 0, system="npo")
    count = store.reporter_count
    assert count("viva", T0 + timedelta(minutes=10), T0 + timedelta(minutes=40)) == 3  # aa (25), bb, cc
    assert count("viva", T0 + timedelta(minutes=30), T0 + timedelta(minutes=40)) == 1
    assert count("viva", T0, T0 + timedelta(minutes=30)) == 2  # the upper bound leaves cc out
    assert count("viva", T0 + timedelta(minutes=30), T0 + timedelta(minutes=40), also="cc") == 1
    assert count("viva", T0 + timedelta(minutes=30), T0 + timedelta(minutes=40), also="ee") == 2
    assert count("npo", T0, T0 + timedelta(minutes=40)) == 1


def test_incident_run_starts_after_the_last_gap_of_a_window(store: Store) -> None:
    assert store.incident_run("viva") is None
    for key, minutes in [("aa", 0), ("bb", 40), ("cc", 60), (None, 80)]:
        report(store, key, minutes)
    # 0 -> 40 is a gap of more than the window: the run began at 40.
    assert store.incident_run("viva") == (T0 + timedelta(minutes=40), T0 + timedelta(minutes=80))
    report(store, "dd", 110)  # exactly a window after the last report: a new run
    assert store.incident_run("viva") == (T0 + timedelta(minutes=110), T0 + timedelta(minutes=110))


def test_a_receipt_code_is_kept_through_turns_and_blanking_and_found_by_its_index(store: Store) -> None:
    with store.session(SID, "voice", T0, caller="+46701740699") as record:
        record.data = {"turn": 1}
        record.ref = "K7M4QX"
    with store.session(SID, "voice", T0 + timedelta(minutes=1)) as record:
        assert record.ref == "K7M4QX"
        record.caller, record.data = None, {"turn": 2}  # the call ended: its number is blanked
    with store.session("voice:CA456", "voice", T0 + timedelta(minutes=2)) as record:
        record.data, record.ref = {"turn": 1}, "K7M4QX"  # a second call with the same code
    found = store.sessions_by_ref("K7M4QX")
    assert [(record.id, record.caller, record.data) for record in found] == [
        (SID, None, {"turn": 2}), ("voice:CA456", None, {"turn": 1})]
    assert store.sessions_by_ref("ABCDEF") == []
    with store.engine.connect() as conn:  # an index, not a scan
        indexes = {index["name"]: index["column_names"] for index in inspect(conn).get_indexes("sessions")}
    assert indexes["sessions_ref"] == ["ref"]
