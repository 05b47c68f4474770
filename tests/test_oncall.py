"""Same-day on-call swaps: checked, stored, merged with roster.yaml, used from the next call, kept in memory."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from flows.line import DEFAULT_CONFIG
from flows.oncall import OncallChange, OncallError, merged, new_change, next_handover_time
from flows.roster import Person, Roster, parse_roster
from flows.yamlfile import read_yaml
from ivr import create_app
from ivr.cli import main
from ivr.store import Store
from ivr.web.oncall_cache import OncallCache, row_values
from tests.conftest import FrozenClock, Twilio, app_config, local

ANNA, RESERV, BENGT, CECILIA = "+46701740610", "+46701740611", "+46701740612", "+46701740613"
HAND_GIVEN = "+46701740619"


def shipped() -> Roster:
    return parse_roster(read_yaml(DEFAULT_CONFIG / "roster.yaml"), "config/roster.yaml")


def change(change_id: int, who: str, start: str, end: str, replaces: str | None = None) -> OncallChange:
    made = new_change(shipped(), who, local(start), local(end), local("2026-11-25T12:00"), replaces=replaces)
    person = made.person if made.person.id else Person(f"oncall-{change_id}", made.person.name, made.person.number)
    return OncallChange(change_id, made.start, made.end, person, made.replaces)


def numbers(roster: Roster, moment: str) -> list[str]:
    return [person.number for person in roster.chain_at(local(moment))]


# -- the pure merge: roster.yaml + swaps -> the chain at a moment ------------------------------------


def test_a_swap_puts_its_person_first_only_while_it_lasts() -> None:
    roster = merged(shipped(), [change(1, "bengt", "2026-11-25T18:00", "2026-11-26T08:00")])
    assert numbers(roster, "2026-11-25T17:59") == [ANNA, RESERV]
    assert numbers(roster, "2026-11-25T18:00") == [BENGT, RESERV]
    assert numbers(roster, "2026-11-26T08:00") == [ANNA, RESERV]


def test_a_stand_in_replaces_one_person_of_the_chain_and_a_number_by_hand_works() -> None:
    roster = merged(shipped(), [change(2, "070-174 06 19", "2026-11-25T18:00", "2026-11-26T08:00",
                                       replaces="reserv")])
    assert numbers(roster, "2026-11-25T22:00") == [ANNA, HAND_GIVEN]
    assert [p.id for p in roster.chain_at(local("2026-11-25T22:00"))] == ["anna", "oncall-2"]  # no number as id


def test_the_newest_swap_wins_and_swaps_win_over_roster_yaml_overrides() -> None:
    swaps = [change(1, "bengt", "2026-12-24T18:00", "2026-12-25T08:00"),
             change(2, "anna", "2026-12-24T20:00", "2026-12-25T08:00")]
    roster = merged(shipped(), swaps)
    assert numbers(roster, "2026-12-24T19:00") == [BENGT, RESERV]  # over roster.yaml's julhelgen (cecilia)
    assert numbers(roster, "2026-12-24T22:00") == [ANNA, RESERV]
    assert numbers(roster, "2026-12-25T09:00") == [CECILIA, RESERV]


def test_gaps_count_the_swaps() -> None:
    data = read_yaml(DEFAULT_CONFIG / "roster.yaml")
    data.pop("rotation")
    bare = parse_roster(data, "config/roster.yaml")
    start = local("2026-11-25T00:00")
    assert bare.gaps(start, days=1) == [(start, start + timedelta(days=1))]
    swap = new_change(bare, "anna", local("2026-11-25T06:00"), local("2026-11-25T20:00"), start)
    assert merged(bare, [OncallChange(1, swap.start, swap.end, swap.person)]).gaps(start, days=1) == [
        (start, local("2026-11-25T06:00")), (local("2026-11-25T20:00"), start + timedelta(days=1))]


def test_the_rest_of_today_runs_to_the_next_handover() -> None:
    assert next_handover_time(shipped(), local("2026-11-25T15:00")) == local("2026-11-26T08:00")
    assert next_handover_time(shipped(), local("2026-11-25T06:00")) == local("2026-11-25T08:00")


@pytest.mark.parametrize(
    ("who", "start", "end", "replaces", "message"),
    [
        ("dina", "2026-11-25T18:00", "2026-11-26T08:00", None, "'dina' är varken en person i config/roster.yaml"),
        ("070-12", "2026-11-25T18:00", "2026-11-26T08:00", None, "ett giltigt telefonnummer"),
        ("anna", "2026-11-25T18:00", "2026-11-25T17:00", None, "måste vara efter starttiden"),
        ("anna", "2026-11-24T18:00", "2026-11-25T08:00", None, "har redan passerat"),
        ("anna", "2026-11-25T18:00", "2026-12-25T08:00", None, "högst 14 dagar"),
        ("anna", "2026-11-25T18:00", "2026-11-26T08:00", "dina", "okänd person att ersätta 'dina'"),
        ("anna", "2026-11-25T18:00", "2026-11-26T08:00", "anna", "kan inte ersätta sig själv"),
    ],
)
def test_a_bad_swap_is_refused_with_a_clear_message(who: str, start: str, end: str, replaces: str | None,
                                                     message: str) -> None:
    with pytest.raises(OncallError, match=message):
        new_change(shipped(), who, local(start), local(end), local("2026-11-25T12:00"), replaces=replaces)


# -- the CLI: ivr oncall set/list/clear, ivr roster with swaps and gaps ------------------------------
# The CLI reads the real clock: its swaps lie in 2099, so that no test depends on today.


def test_ivr_oncall_sets_lists_and_clears_a_swap_and_ivr_roster_shows_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'line.sqlite3'}"
    runner = CliRunner()
    made = runner.invoke(main, ["oncall", "set", "bengt", "--from", "2099-03-04T18:00", "--until",
                                "2099-03-05T08:00", "--note", "Anna sjuk", "--by", "lisa", "--database", url])
    assert made.exit_code == 0, made.output
    assert "stored: #1 2099-03-04 18:00 - 2099-03-05 08:00: Bengt Berg +46701740612" in made.output
    shown = runner.invoke(main, ["roster", "--at", "2099-03-04T22:00", "--database", url])
    assert shown.exit_code == 0, shown.output
    assert f"on call: Bengt Berg {BENGT}" in shown.output
    assert "swap: #1 2099-03-04 18:00 - 2099-03-05 08:00: Bengt Berg" in shown.output and "(Anna sjuk)" in shown.output
    listed = runner.invoke(main, ["oncall", "list", "--database", url])
    assert "#1 2099-03-04 18:00" in listed.output
    assert runner.invoke(main, ["oncall", "clear", "1", "--by", "lisa", "--database", url]).exit_code == 0
    assert "no swaps" in runner.invoke(main, ["oncall", "list", "--database", url]).output
    again = runner.invoke(main, ["oncall", "clear", "1", "--database", url])
    assert again.exit_code == 1 and "ingen aktiv ändring #1" in again.output
    store = Store(url)
    try:
        audit = [(e["session_id"], e["kind"], e["data"]["by"]) for e in store.events()]
    finally:
        store.dispose()
    assert audit == [("admin:oncall", "oncall_override_set", "lisa"), ("admin:oncall", "oncall_override_cleared",
                                                                        "lisa")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody"], "Error: 'nobody' är varken en person i config/roster.yaml eller ett giltigt telefonnummer"),
        (["anna", "--from", "2099-03-04T18:00", "--until", "2099-03-04T10:00"], "måste vara efter starttiden"),
        (["anna", "--until", "tomorrow"], "Invalid value for --until"),
    ],
)
def test_ivr_oncall_refuses_a_bad_swap_without_a_traceback(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["oncall", "set", *args, "--database", f"sqlite:///{tmp_path / 'l.sqlite3'}"])
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert message in result.output
    assert "Traceback" not in result.output


def test_ivr_roster_gaps_lists_moments_with_nobody_on_call(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    for path in DEFAULT_CONFIG.iterdir():
        (config / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    roster_file = config / "roster.yaml"
    roster_file.write_text(roster_file.read_text(encoding="utf-8").replace("order: [anna, bengt, cecilia]",
                                                                             "order: [anna]")
                           .replace("start_week: 2026-W48", "start_week: 2100-W01"), encoding="utf-8")
    result = CliRunner().invoke(main, ["roster", "--gaps", "--no-database", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "gap: nobody on call" in result.output  # the rotation only starts in 2100
    full = CliRunner().invoke(main, ["roster", "--gaps", "--no-database"])
    assert "no gaps in the next 14 days" in full.output


# -- the line: the next call rings the swapped-in person, also with the store down ------------------


def after_hours_viva_call(twilio: Twilio, sid: str) -> str:
    """A signed after-hours Viva call through every step: the first number of the on-call dial."""
    return dialled(viva_to_the_dial(twilio, sid))


def dialled(body: bytes) -> str:
    """The number a screened on-call dial rings."""
    number = ET.fromstring(body).find("Dial/Number")
    assert number is not None and number.get("url"), body  # screened
    return str(number.text)


def viva_to_the_dial(twilio: Twilio, sid: str) -> bytes:
    """Viva after hours, every step answered: the TwiML that dials the on-call chain."""
    body = twilio.call("/voice", sid=sid).data
    for digits in ("1", "2", "1", "1"):
        node = ET.fromstring(body).find("Gather")
        assert node is not None, body
        body = twilio.call(str(node.get("action")), sid=sid, Digits=digits).data
    return body


@pytest.fixture
def line_db(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    database = tmp_path / "line.sqlite3"
    yield f"sqlite:///{database}", database


def store_swap(store: Store, who: str, start: str, end: str, now: datetime, replaces: str | None = None) -> int:
    swap = new_change(shipped(), who, local(start), local(end), now, replaces=replaces, by="test")
    return store.add_oncall_override(row_values(swap), now, "test")


def test_the_next_call_after_a_swap_rings_the_new_person_even_with_the_store_down(
    clock: FrozenClock, tmp_path: Path, line_db: tuple[str, Path]
) -> None:
    url, database = line_db
    app: Flask = create_app(app_config(url, clock, ONCALL_REFRESH_SECONDS=0, ALERT_STAMP=str(tmp_path / "alert")))
    twilio = Twilio(app.test_client())
    clock.set("2026-11-25T22:00")
    assert after_hours_viva_call(twilio, "CA" + "1" * 32) == ANNA
    store: Store = app.extensions["ivr.store"]
    store_swap(store, "bengt", "2026-11-25T21:00", "2026-11-26T08:00", clock())
    assert after_hours_viva_call(twilio, "CA" + "2" * 32) == BENGT  # no restart
    store.dispose()
    for path in tmp_path.glob("line.sqlite3*"):
        path.unlink()
    database.mkdir()  # SQLite can no longer open it: every read fails, the worker keeps what it read
    assert after_hours_viva_call(twilio, "CA" + "3" * 32) == BENGT
    clock.set("2026-11-26T18:00")  # the swap ended: roster.yaml again, still without the database
    assert after_hours_viva_call(twilio, "CA" + "4" * 32) == ANNA
    store.dispose()


def test_a_stand_in_given_by_number_is_dialled_after_the_first_declines(
    app: Flask, twilio: Twilio, clock: FrozenClock
) -> None:
    clock.set("2026-11-25T22:00")
    store_swap(app.extensions["ivr.store"], "0701740619", "2026-11-25T21:00", "2026-11-26T08:00", clock(),
               replaces="reserv")
    app.extensions["ivr.oncall"].invalidate()
    sid = "CA" + "5" * 32
    body = viva_to_the_dial(twilio, sid)
    assert dialled(body) == ANNA
    dial = ET.fromstring(body).find("Dial")
    assert dial is not None
    assert dialled(twilio.call(str(dial.get("action")), sid=sid, DialCallStatus="no-answer").data) == HAND_GIVEN


# -- each worker's copy: refreshed at most every N seconds, last good kept --------------------------


class Ticking:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_cache_reads_at_most_every_n_seconds_and_keeps_the_last_good_copy(line_db: tuple[str, Path]) -> None:
    url, database = line_db
    store = Store(url)
    store.upgrade()
    ticks = Ticking()
    cache = OncallCache(store, refresh_seconds=10, monotonic=ticks)
    now = datetime(2026, 11, 25, 21, 0, tzinfo=UTC)
    assert cache.changes(now) == ()
    store_swap(store, "bengt", "2026-11-25T21:00", "2026-11-26T08:00", now)
    ticks.now = 9.9
    assert cache.changes(now) == ()  # not yet read again
    ticks.now = 10.0
    [swap] = cache.changes(now)
    assert swap.person.number == BENGT and cache.last_error is None
    store.dispose()
    for path in database.parent.glob("line.sqlite3*"):
        path.unlink()
    database.mkdir()
    ticks.now = 20.0
    assert [s.person.number for s in cache.changes(now)] == [BENGT]
    assert cache.last_error is not None
    assert cache.changes(datetime(2026, 11, 26, 8, 0, tzinfo=UTC)) == ()  # an ended swap is dropped from memory
    store.dispose()


def test_purge_deletes_swaps_that_ended_before_the_retention_period(line_db: tuple[str, Path]) -> None:
    url, _ = line_db
    store = Store(url)
    store.upgrade()
    now = local("2026-11-25T12:00")
    store_swap(store, "bengt", "2026-11-25T18:00", "2026-11-26T08:00", now)
    try:
        assert store.purge(local("2026-11-26T07:00"), local("2026-11-26T07:00"))["oncall_overrides"] == 0
        assert store.purge(local("2026-11-26T09:00"), local("2026-11-26T09:00"))["oncall_overrides"] == 1
    finally:
        store.dispose()


def test_the_fault_answer_offers_the_call_to_the_swapped_in_person_from_memory(
    clock: FrozenClock, tmp_path: Path, line_db: tuple[str, Path]
) -> None:
    url, database = line_db
    app: Flask = create_app(app_config(url, clock, ONCALL_REFRESH_SECONDS=0, ALERT_STAMP=str(tmp_path / "alert")))
    twilio = Twilio(app.test_client())
    clock.set("2026-11-25T22:00")
    store: Store = app.extensions["ivr.store"]
    store_swap(store, "bengt", "2026-11-25T21:00", "2026-11-26T08:00", clock())
    assert after_hours_viva_call(twilio, "CA" + "6" * 32) == BENGT  # the worker read the swap
    store.dispose()
    for path in tmp_path.glob("line.sqlite3*"):
        path.unlink()
    database.mkdir()
    # Twilio's fallback URL with nothing to continue: the fault answer, screened, to the chain's first.
    answer = twilio.call("/voice/fallback", sid="CA" + "7" * 32, ErrorCode="11200").data
    assert dialled(answer) == BENGT
    nobody = twilio.call("/voice/fallback/dial?to=on_call&attempt=0", sid="CA" + "7" * 32,
                         DialCallStatus="no-answer").data
    assert dialled(nobody) == RESERV
    store.dispose()


@pytest.mark.parametrize("value", ["soon", -1, True, 86400])
def test_a_bad_refresh_period_is_refused_at_start_with_its_name(clock: FrozenClock, line_db: tuple[str, Path],
                                                                value: object) -> None:
    from ivr.config import ConfigError

    with pytest.raises(ConfigError, match="IVR_ONCALL_REFRESH_SECONDS=10"):
        create_app(app_config(line_db[0], clock, ONCALL_REFRESH_SECONDS=value))
