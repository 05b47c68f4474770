"""One parser for times typed on the command line, in the one time zone config/office_hours.yaml names."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from flows.line import DEFAULT_CONFIG, line_zone, load_line
from flows.moments import MomentError, parse_duration, parse_moment, parse_until
from flows.roster import parse_roster
from flows.yamlfile import DataError, read_yaml
from ivr.cli import main

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "end_of_day", "expected"),
    [
        ("24h", False, datetime(2026, 11, 24, 12, 0, tzinfo=UTC)),
        ("7d", False, datetime(2026, 11, 18, 12, 0, tzinfo=UTC)),
        (" 2w ", False, datetime(2026, 11, 11, 12, 0, tzinfo=UTC)),
        ("2026-11-01", False, datetime(2026, 10, 31, 23, 0, tzinfo=UTC)),
        ("2026-11-01", True, datetime(2026, 11, 1, 23, 0, tzinfo=UTC)),
        ("2026-07-01T08:00", False, datetime(2026, 7, 1, 6, 0, tzinfo=UTC)),
        ("2026-07-01 08:00", False, datetime(2026, 7, 1, 6, 0, tzinfo=UTC)),
        ("2026-07-01T08:00+00:00", False, datetime(2026, 7, 1, 8, 0, tzinfo=UTC)),
        ("2026-07-01T08:00Z", False, datetime(2026, 7, 1, 8, 0, tzinfo=UTC)),
        # 02:30 on the spring-forward night does not exist: it becomes the real 03:30.
        ("2026-03-29T02:30", False, datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
    ],
)
def test_moments(text: str, end_of_day: bool, expected: datetime) -> None:
    moment = parse_moment(text, NOW, STOCKHOLM, end_of_day=end_of_day)
    assert moment == expected
    assert moment.tzinfo == STOCKHOLM  # shown to people in the line's zone


def test_a_moment_is_read_in_the_zone_it_is_given() -> None:
    helsinki = ZoneInfo("Europe/Helsinki")
    assert parse_moment("2026-07-01T08:00", NOW, helsinki) == datetime(2026, 7, 1, 5, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lastweek", "'lastweek': use a duration such as 7d or 24h, or a date such as 2026-11-01 or 2026-11-01T08:00"),
        ("2026-02-30", "'2026-02-30': use a duration such as 7d or 24h, or a date such as 2026-11-01 or "
                       "2026-11-01T08:00"),
        ("", "'': use a duration such as 7d or 24h, or a date such as 2026-11-01 or 2026-11-01T08:00"),
        ("30m", "'30m' is not a duration such as 1h, 1d, 1w"),
        ("7", "'7' is not a duration such as 1h, 1d, 1w"),
        ("99999999d", "'99999999d' is too long ago to count back to"),
        ("99999999999999d", "'99999999999999d' is too long a duration to count with"),
    ],
)
def test_bad_moments_say_what_would_do(text: str, message: str) -> None:
    with pytest.raises(MomentError) as caught:
        parse_moment(text, NOW, STOCKHOLM)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("18:00", datetime(2026, 11, 25, 17, 0, tzinfo=UTC)),  # today, Stockholm's wall clock (UTC+1 in November)
        ("18.30", datetime(2026, 11, 25, 17, 30, tzinfo=UTC)),
        ("8:05", datetime(2026, 11, 25, 7, 5, tzinfo=UTC)),
        ("2026-12-24T18:00", datetime(2026, 12, 24, 17, 0, tzinfo=UTC)),
        ("2026-12-24", datetime(2026, 12, 24, 23, 0, tzinfo=UTC)),  # a bare date lasts through that day
    ],
)
def test_until_times(text: str, expected: datetime) -> None:
    assert parse_until(text, NOW, STOCKHOLM) == expected


@pytest.mark.parametrize("text", ["24:00", "18:60", "7d", "tonight", ""])
def test_bad_until_times_say_what_would_do(text: str) -> None:
    with pytest.raises(MomentError) as caught:
        parse_until(text, NOW, STOCKHOLM)
    assert str(caught.value) == (f"{text!r}: use a time such as 18:00 (today) or a date and time "
                                 "such as 2026-12-24T18:00")


def test_durations() -> None:
    assert parse_duration("90d", units="d") == timedelta(days=90)
    assert parse_duration("130", units="smhd", bare="m") == timedelta(minutes=130)
    assert parse_duration("45s", units="smhd", bare="m") == timedelta(seconds=45)
    with pytest.raises(MomentError, match=r"^'24h' is not a duration such as 1d$"):
        parse_duration("24h", units="d")


# --- one zone for the whole line ----------------------------------------------------------------


def config_copy(tmp_path: Path) -> Path:
    config = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG, config)
    return config


def set_zone(path: Path, zone: str | None) -> None:
    """Replace (or with None remove) the file's `timezone:` line."""
    lines = path.read_text(encoding="utf-8").splitlines()
    kept = [line if not line.startswith("timezone:") else f"timezone: {zone}" for line in lines if
            zone is not None or not line.startswith("timezone:")]
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")


def test_the_zone_comes_from_office_hours(tmp_path: Path) -> None:
    config = config_copy(tmp_path)
    assert line_zone(config) == STOCKHOLM
    set_zone(config / "office_hours.yaml", "Europe/Helsinki")
    set_zone(config / "roster.yaml", None)  # the roster takes the line's zone
    assert line_zone(config) == ZoneInfo("Europe/Helsinki")
    line = load_line(config=config)
    assert line.roster.tz == line.calendar.tz == ZoneInfo("Europe/Helsinki")
    # 22:00 in Helsinki is 21:00 in Stockholm: the same duty week, read in the configured zone.
    result = CliRunner().invoke(main, ["roster", "--at", "2026-12-24T22:00", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "2026-12-24 22:00 (duty week 2026-W52)"


def test_a_roster_in_another_zone_is_refused(tmp_path: Path) -> None:
    config = config_copy(tmp_path)
    set_zone(config / "roster.yaml", "Europe/London")
    with pytest.raises(DataError) as caught:
        load_line(config=config)
    assert caught.value.problems == [
        "config/roster.yaml: timezone: 'Europe/London' is not the line's time zone 'Europe/Stockholm' "
        "(config/office_hours.yaml)"
    ]


def test_a_roster_without_zone_needs_the_lines() -> None:
    data = {k: v for k, v in read_yaml(DEFAULT_CONFIG / "roster.yaml").items() if k != "timezone"}
    assert parse_roster(data, "config/roster.yaml", zone="Europe/Stockholm").tz == STOCKHOLM
    with pytest.raises(DataError) as caught:
        parse_roster(data, "config/roster.yaml")
    assert caught.value.problems == [
        "config/roster.yaml: timezone: missing: give the time zone of config/office_hours.yaml"
    ]


@pytest.mark.parametrize(
    ("args", "hint", "message"),
    [
        (["roster", "--at", "julafton"], "--at", "'julafton': use a duration such as 7d"),
        (["simulate", "--keys", "1", "--at", "25/11"], "--at", "'25/11': use a duration such as 7d"),
        (["purge", "--older-than", "3m", "--database", "sqlite:///x"], "--older-than",
         "'3m' is not a duration such as 1h, 1d, 1w"),
    ],
)
def test_commands_name_the_option_and_what_would_do(args: list[str], hint: str, message: str) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert hint in result.output and message in result.output
