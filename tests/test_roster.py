"""The on-call roster: rotation across week boundaries and DST, overrides, gaps, and errors."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from click.testing import CliRunner

from flows.line import DEFAULT_CONFIG
from flows.roster import Roster, parse_roster
from flows.yamlfile import DataError, read_yaml
from ivr.cli import main

TZ = ZoneInfo("Europe/Stockholm")
SHIPPED = read_yaml(DEFAULT_CONFIG / "roster.yaml")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def roster(**changes: Any) -> Roster:
    return parse_roster({**SHIPPED, **changes}, "config/roster.yaml")


@pytest.mark.parametrize(
    ("moment", "person"),
    [
        ("2026-11-23T08:00", "anna"),  # week 48 starts at the Monday handover
        ("2026-11-23T07:59", None),  # before the rotation's first week: nobody (gap)
        ("2026-11-29T23:00", "anna"),  # Sunday night still week 48
        ("2026-11-30T07:59", "anna"),  # until the handover
        ("2026-11-30T08:00", "bengt"),  # week 49
        ("2026-12-07T09:00", "cecilia"),  # week 50
        ("2026-12-14T09:00", "anna"),  # week 51: the rotation repeats
        ("2026-12-24T08:00", "cecilia"),  # override: julhelgen, from
        ("2026-12-26T23:00", "cecilia"),
        ("2026-12-27T08:00", "bengt"),  # override ends: back to week 52's person
        ("2026-12-28T08:00", "cecilia"),  # 2026 has a week 53
        ("2027-01-04T08:00", "anna"),  # 2027-W01: the rotation runs on across the year boundary
        ("2027-03-28T02:30", "cecilia"),  # DST: the skipped hour (02:00-03:00 does not exist) -> still a valid answer
        ("2027-03-29T07:59", "cecilia"),  # Monday after spring-forward, before handover: week 12
        ("2027-03-29T08:00", "anna"),  # week 13
        ("2027-11-01T07:59", "anna"),  # Monday after fall-back, before handover: week 43
    ],
)
def test_who_is_on_call(moment: str, person: str | None) -> None:
    found = roster().on_call_at(at(moment))
    assert (found.id if found else None) == person


def test_utc_moments_are_read_in_stockholm_time() -> None:
    # 2026-11-30 07:30 UTC is 08:30 in Stockholm (CET): after the handover.
    found = roster().on_call_at(datetime(2026, 11, 30, 7, 30, tzinfo=ZoneInfo("UTC")))
    assert found is not None and found.id == "bengt"
    # Summer (CEST, UTC+2): 2027-06-07 05:59 UTC is 07:59 local, before the handover.
    assert roster().duty_week(datetime(2027, 6, 7, 5, 59, tzinfo=ZoneInfo("UTC"))) == (2027, 22)


def test_week_swaps_win_over_the_rotation_and_overrides_win_over_both() -> None:
    rota = roster(weeks={"2026-W49": "cecilia"}, overrides=[
        {"from": "2026-12-01T18:00", "to": "2026-12-02T08:00", "person": "reserv"}])
    assert rota.on_call_at(at("2026-12-01T17:59")).id == "cecilia"  # type: ignore[union-attr]
    assert rota.on_call_at(at("2026-12-01T18:00")).id == "reserv"  # type: ignore[union-attr]
    assert rota.on_call_at(at("2026-12-02T08:00")).id == "cecilia"  # type: ignore[union-attr]


def test_chain_is_on_call_person_then_fallback_without_duplicates() -> None:
    rota = roster(fallback=["reserv", "anna"])
    assert [p.id for p in rota.chain_at(at("2026-11-25T22:00"))] == ["anna", "reserv"]
    assert [p.id for p in rota.chain_at(at("2026-12-02T22:00"))] == ["bengt", "reserv", "anna"]


def test_gaps_are_reported_to_the_hour_and_the_fallback_covers_them() -> None:
    rota = roster(rotation=None, weeks={"2026-W48": "anna"})
    gaps = rota.gaps(at("2026-11-25T12:00"), days=14)
    assert gaps == [(at("2026-11-30T08:00"), at("2026-12-09T12:00"))]
    assert [p.id for p in rota.chain_at(at("2026-12-01T22:00"))] == ["reserv"]


def test_shipped_roster_has_no_gap_in_two_weeks() -> None:
    assert roster().gaps(at("2026-11-25T12:00")) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"fallback": []},
         "config/roster.yaml: fallback: must list at least one person: a call must never ring nowhere"),
        ({"fallback": ["nobody"]}, "config/roster.yaml: fallback[0]: unknown person 'nobody' "
                                   "(people: anna, bengt, cecilia, reserv)"),
        ({"people": {**SHIPPED["people"], "anna": {"name": "Anna", "number": "12"}}},
         "config/roster.yaml: people.anna.number: '12' is not a valid phone number"),
        ({"rotation": {"start_week": "2026-48", "order": ["anna"]}},
         "config/roster.yaml: rotation.start_week: '2026-48' is not an ISO week such as 2026-W48"),
        ({"weeks": {"2026-W49": "bo"}},
         "config/roster.yaml: weeks.2026-W49: unknown person 'bo' (people: anna, bengt, cecilia, reserv)"),
        ({"overrides": [{"from": "2026-12-24T08:00", "to": "2026-12-24T07:00", "person": "anna"}]},
         "config/roster.yaml: overrides[0]: 'to' must be after 'from'"),
        ({"handover": {"day": "monday", "time": "08:00"}},
         "config/roster.yaml: handover.day: must be one of mon, tue, wed, thu, fri, sat, sun"),
        ({"timezone": "Europe/Stokholm"}, "config/roster.yaml: timezone: 'Europe/Stokholm' is not a known time zone"),
        ({"on_call": []}, "config/roster.yaml: on_call: unknown key (expected one of: fallback, handover, "
                          "overrides, people, rotation, timezone, weeks)"),
    ],
)
def test_broken_roster_is_named_by_file_and_key(changes: dict[str, Any], expected: str) -> None:
    with pytest.raises(DataError) as caught:
        roster(**changes)
    assert expected in caught.value.problems


def test_ivr_roster_shows_who_and_the_chain() -> None:
    result = CliRunner().invoke(main, ["roster", "--at", "2026-12-24T22:00", "--no-database"])
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "2026-12-24 22:00 (duty week 2026-W52)",
        "on call: Cecilia Dahl +46701740613",
        "  1. Cecilia Dahl +46701740613",
        "  2. Reserv - socialchef +46701740611",
    ]


def test_ivr_check_warns_about_gaps(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    for path in DEFAULT_CONFIG.iterdir():
        (config / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    data = dict(SHIPPED)
    data.pop("rotation")
    (config / "roster.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--config", str(config)])
    assert result.exit_code == 0  # a gap is a warning: the fallback list covers it
    assert "warning: config/roster.yaml: nobody on call" in result.output
