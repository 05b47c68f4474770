"""Tests for the office-hours calendar (holidays, DST, config validation)."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from flows.calendar import (
    Calendar,
    CalendarError,
    OfficeHours,
    load_office_hours,
    parse_office_hours,
)
from flows.yamlfile import DataError

CONFIG = Path(__file__).resolve().parents[1] / "config" / "office_hours.yaml"
STHLM = ZoneInfo("Europe/Stockholm")

# The shipped defaults, as data, so variants can be built without touching the file.
BASE: dict[str, Any] = {
    "timezone": "Europe/Stockholm",
    "weekly": {
        "mon": ["08:00-16:30"],
        "tue": ["08:00-16:30"],
        "wed": ["08:00-16:30"],
        "thu": ["08:00-16:30"],
        "fri": ["08:00-16:00"],
        "sat": [],
        "sun": [],
    },
    "holidays": {"country": "SE", "categories": ["PUBLIC", "DE_FACTO"]},
    "day_before_holiday": ["08:00-15:00"],
    "shortened_dates": {},
    "closed_dates": [],
}


def variant(**changes: Any) -> dict[str, Any]:
    """BASE with top-level keys replaced."""
    data = copy.deepcopy(BASE)
    data.update(changes)
    return data


def weekly(**days: list[str]) -> dict[str, list[str]]:
    """BASE weekly hours with some days replaced."""
    return {**BASE["weekly"], **days}


@pytest.fixture(scope="module")
def cal() -> Calendar:
    return Calendar(load_office_hours(CONFIG))


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def sthlm(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=STHLM)


# --- shipped config -------------------------------------------------------------------------


def test_shipped_config_matches_defaults() -> None:
    hours = load_office_hours(CONFIG)
    assert hours == parse_office_hours(BASE)
    assert hours.timezone == "Europe/Stockholm"
    assert hours.weekly[0] == ((time(8), time(16, 30)),)
    assert hours.weekly[4] == ((time(8), time(16)),)
    assert hours.weekly[5] == () and hours.weekly[6] == ()
    assert hours.day_before_holiday == ((time(8), time(15)),)
    assert hours.shortened_dates == {} and hours.closed_dates == frozenset()
    assert hours.categories == ("public", "de_facto")


# --- holidays -------------------------------------------------------------------------------

HOLIDAYS = [
    (date(2026, 1, 1), "Nyårsdagen"),
    (date(2026, 1, 6), "Trettondedag jul"),
    (date(2026, 4, 3), "Långfredagen"),
    (date(2026, 4, 5), "Påskdagen"),
    (date(2026, 4, 6), "Annandag påsk"),
    (date(2026, 5, 1), "Första maj"),
    (date(2026, 5, 14), "Kristi himmelsfärdsdag"),
    (date(2026, 5, 24), "Pingstdagen"),
    (date(2026, 6, 6), "Nationaldagen"),
    (date(2026, 6, 19), "Midsommarafton"),
    (date(2026, 6, 20), "Midsommardagen"),
    (date(2026, 10, 31), "Alla helgons dag"),
    (date(2026, 12, 24), "Julafton"),
    (date(2026, 12, 25), "Juldagen"),
    (date(2026, 12, 26), "Annandag jul"),
    (date(2026, 12, 31), "Nyårsafton"),
    (date(2027, 1, 1), "Nyårsdagen"),
    (date(2027, 1, 6), "Trettondedag jul"),
    (date(2027, 3, 26), "Långfredagen"),
    (date(2027, 3, 28), "Påskdagen"),
    (date(2027, 3, 29), "Annandag påsk"),
    (date(2027, 5, 1), "Första maj"),
    (date(2027, 5, 6), "Kristi himmelsfärdsdag"),
    (date(2027, 5, 16), "Pingstdagen"),
    (date(2027, 6, 6), "Nationaldagen"),
    (date(2027, 6, 25), "Midsommarafton"),
    (date(2027, 6, 26), "Midsommardagen"),
    (date(2027, 11, 6), "Alla helgons dag"),
    (date(2027, 12, 24), "Julafton"),
    (date(2027, 12, 25), "Juldagen"),
    (date(2027, 12, 26), "Annandag jul"),
    (date(2027, 12, 31), "Nyårsafton"),
]


@pytest.mark.parametrize(("day", "name"), HOLIDAYS, ids=[str(d) for d, _ in HOLIDAYS])
def test_holiday(cal: Calendar, day: date, name: str) -> None:
    assert cal.holiday_name(day) == name
    assert cal.is_holiday(day)
    assert cal.hours_on(day) == ()
    assert not cal.is_office_hours(datetime.combine(day, time(10), tzinfo=STHLM))


@pytest.mark.parametrize("year", [2026, 2027])
def test_no_other_holidays(cal: Calendar, year: int) -> None:
    # Ordinary Sundays must not count (include_sundays=False); only the listed days do.
    days = (date(year, 1, 1) + timedelta(n) for n in range(366))
    found = {d for d in days if d.year == year and cal.is_holiday(d)}
    assert found == {d for d, _ in HOLIDAYS if d.year == year}


def test_ordinary_day_has_no_holiday_name(cal: Calendar) -> None:
    assert cal.holiday_name(date(2026, 3, 1)) is None  # a plain Sunday
    assert cal.holiday_name(date(2026, 3, 2)) is None


def test_weekday_holidays_are_in_the_table() -> None:
    # Guards the table itself: these fall on weekdays, so the 10:00 check above is meaningful.
    weekday = [d for d, _ in HOLIDAYS if d.weekday() < 5]
    assert date(2026, 4, 3) in weekday and date(2027, 12, 31) in weekday
    assert len(weekday) == 18


# --- opening hours --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (datetime(2026, 3, 4, 7, 59), False),  # Wednesday, before opening
        (datetime(2026, 3, 4, 8, 0), True),
        (datetime(2026, 3, 4, 16, 29), True),
        (datetime(2026, 3, 4, 16, 30), False),  # end is exclusive
        (datetime(2026, 3, 4, 21, 0), False),  # evening
        (datetime(2026, 3, 6, 15, 59), True),  # Friday closes 16:00
        (datetime(2026, 3, 6, 16, 0), False),
        (datetime(2026, 3, 7, 10, 0), False),  # Saturday
        (datetime(2026, 3, 8, 10, 0), False),  # Sunday
        (datetime(2026, 4, 2, 14, 0), True),  # Thursday before långfredagen
        (datetime(2026, 4, 2, 15, 0), False),
        (datetime(2026, 4, 2, 15, 30), False),
        (datetime(2026, 12, 23, 14, 59), True),  # day before julafton (de facto)
        (datetime(2026, 12, 23, 15, 0), False),
        (datetime(2026, 6, 5, 15, 30), False),  # Friday before nationaldagen (Saturday)
        (datetime(2026, 12, 28, 10, 0), True),  # Monday between Christmas and New Year
        (datetime(2026, 12, 30, 15, 30), False),  # day before nyårsafton
        (datetime(2026, 3, 4, 10, 29, tzinfo=ZoneInfo("America/New_York")), True),  # 16:29
        (datetime(2026, 3, 4, 10, 30, tzinfo=ZoneInfo("America/New_York")), False),  # 16:30
        (datetime(2026, 3, 4, 2, 0, tzinfo=ZoneInfo("America/New_York")), True),  # 08:00
    ],
    ids=str,
)
def test_is_office_hours(cal: Calendar, moment: datetime, is_open: bool) -> None:
    assert cal.is_office_hours(moment) is is_open


@pytest.mark.parametrize(
    ("day", "hours"),
    [
        (date(2026, 4, 2), ((time(8), time(15)),)),  # before långfredagen
        (date(2026, 5, 13), ((time(8), time(15)),)),  # before Kristi himmelsfärd
        (date(2026, 4, 4), ()),  # Saturday before påskdagen: closed, not shortened
        (date(2026, 12, 24), ()),  # julafton is itself a holiday
        (date(2026, 4, 7), ((time(8), time(16, 30)),)),
    ],
    ids=str,
)
def test_hours_on(cal: Calendar, day: date, hours: tuple[tuple[time, time], ...]) -> None:
    assert cal.hours_on(day) == hours


def test_day_before_holiday_can_be_disabled_or_closed() -> None:
    thursday = date(2026, 4, 2)
    disabled = Calendar(parse_office_hours(variant(day_before_holiday=None)))
    assert disabled.hours_on(thursday) == ((time(8), time(16, 30)),)
    closed = Calendar(parse_office_hours(variant(day_before_holiday=[])))
    assert closed.hours_on(thursday) == ()


def test_closed_and_shortened_dates_from_config(tmp_path: Path) -> None:
    path = tmp_path / "hours.yaml"
    path.write_text(
        CONFIG.read_text(encoding="utf-8")
        .replace("shortened_dates: {}", 'shortened_dates: {"2026-04-30": ["08:00-13:00"]}')
        .replace("closed_dates: []", 'closed_dates: [2026-12-28, "2026-12-29"]'),
        encoding="utf-8",
    )
    hours = load_office_hours(path)
    assert hours.closed_dates == {date(2026, 12, 28), date(2026, 12, 29)}
    assert hours.shortened_dates == {date(2026, 4, 30): ((time(8), time(13)),)}
    c = Calendar(hours)
    assert c.is_office_hours(sthlm(2026, 4, 30, 12, 59))
    assert not c.is_office_hours(sthlm(2026, 4, 30, 13, 0))
    assert not c.is_office_hours(sthlm(2026, 12, 28, 10, 0))
    assert not c.is_office_hours(sthlm(2026, 12, 29, 10, 0))
    assert c.is_office_hours(sthlm(2026, 12, 30, 10, 0))
    assert c.next_opening(sthlm(2026, 12, 24, 22, 0)) == sthlm(2026, 12, 30, 8, 0)


# --- DST ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "wall", "is_open"),
    [
        (utc(2026, 7, 8, 7, 30), datetime(2026, 7, 8, 9, 30), True),  # summer, CEST
        (utc(2026, 1, 14, 7, 30), datetime(2026, 1, 14, 8, 30), True),  # winter, CET
        (utc(2026, 1, 14, 6, 30), datetime(2026, 1, 14, 7, 30), False),
        # 2026 spring forward, Sunday 29 March 02:00 -> 03:00
        (utc(2026, 3, 27, 7, 0), datetime(2026, 3, 27, 8, 0), True),  # Friday before, CET
        (utc(2026, 3, 27, 6, 59), datetime(2026, 3, 27, 7, 59), False),
        (utc(2026, 3, 29, 0, 59), datetime(2026, 3, 29, 1, 59), False),
        (utc(2026, 3, 29, 1, 0), datetime(2026, 3, 29, 3, 0), False),
        (utc(2026, 3, 30, 6, 0), datetime(2026, 3, 30, 8, 0), True),  # Monday after, CEST
        (utc(2026, 3, 30, 5, 59), datetime(2026, 3, 30, 7, 59), False),
        # 2026 fall back, Sunday 25 October 03:00 -> 02:00
        (utc(2026, 10, 23, 6, 0), datetime(2026, 10, 23, 8, 0), True),  # Friday before, CEST
        (utc(2026, 10, 23, 5, 59), datetime(2026, 10, 23, 7, 59), False),
        (utc(2026, 10, 25, 0, 30), datetime(2026, 10, 25, 2, 30), False),
        (utc(2026, 10, 25, 1, 30), datetime(2026, 10, 25, 2, 30), False),
        (utc(2026, 10, 26, 7, 0), datetime(2026, 10, 26, 8, 0), True),  # Monday after, CET
        (utc(2026, 10, 26, 6, 30), datetime(2026, 10, 26, 7, 30), False),
        # 2027 spring forward, 28 March (påskdagen); Thursday 25 is before långfredagen
        (utc(2027, 3, 25, 7, 0), datetime(2027, 3, 25, 8, 0), True),
        (utc(2027, 3, 25, 13, 59), datetime(2027, 3, 25, 14, 59), True),
        (utc(2027, 3, 25, 14, 0), datetime(2027, 3, 25, 15, 0), False),
        (utc(2027, 3, 30, 6, 0), datetime(2027, 3, 30, 8, 0), True),  # Tuesday after, CEST
        (utc(2027, 3, 30, 5, 30), datetime(2027, 3, 30, 7, 30), False),
        # 2027 fall back, Sunday 31 October
        (utc(2027, 10, 29, 6, 0), datetime(2027, 10, 29, 8, 0), True),
        (utc(2027, 10, 29, 14, 0), datetime(2027, 10, 29, 16, 0), False),
        (utc(2027, 11, 1, 7, 0), datetime(2027, 11, 1, 8, 0), True),
        (utc(2027, 11, 1, 6, 30), datetime(2027, 11, 1, 7, 30), False),
    ],
    ids=str,
)
def test_dst_instants(cal: Calendar, instant: datetime, wall: datetime, is_open: bool) -> None:
    local = cal.local(instant)
    assert local.tzinfo is STHLM
    assert local.replace(tzinfo=None) == wall
    # Compare timestamps: PEP 495 makes == across zones False inside the repeated hour.
    assert local.timestamp() == instant.timestamp()
    assert cal.is_office_hours(instant) is is_open


@pytest.mark.parametrize(
    "moment",
    [datetime(2026, 3, 29, 2, 30), datetime(2026, 3, 29, 2, 30, tzinfo=STHLM)],
    ids=["naive", "aware"],
)
def test_skipped_hour_does_not_crash(cal: Calendar, moment: datetime) -> None:
    # 02:30 does not exist on 29 March 2026; it is read as 02:30 CET, i.e. 03:30 CEST.
    assert cal.local(moment) == utc(2026, 3, 29, 1, 30)
    assert not cal.is_office_hours(moment)
    assert cal.next_opening(moment) == sthlm(2026, 3, 30, 8, 0)


def test_interval_starting_in_skipped_hour() -> None:
    c = Calendar(parse_office_hours(variant(weekly=weekly(sun=["02:00-04:00"]))))
    assert c.next_opening(utc(2026, 3, 29, 0, 30)) == utc(2026, 3, 29, 1, 0)  # 03:00 CEST
    assert c.is_office_hours(utc(2026, 3, 29, 1, 30))  # 03:30 CEST
    assert not c.is_office_hours(utc(2026, 3, 29, 2, 0))  # 04:00 CEST


def test_interval_in_repeated_hour() -> None:
    c = Calendar(parse_office_hours(variant(weekly=weekly(sun=["02:00-03:00"]))))
    assert c.is_office_hours(utc(2026, 10, 25, 0, 30))  # first 02:30 (CEST)
    assert c.is_office_hours(utc(2026, 10, 25, 1, 30))  # second 02:30 (CET)
    assert not c.is_office_hours(utc(2026, 10, 25, 2, 0))  # 03:00 CET


# --- next opening ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (sthlm(2026, 3, 4, 10, 0), sthlm(2026, 3, 4, 10, 0)),  # open now
        (sthlm(2026, 3, 4, 6, 0), sthlm(2026, 3, 4, 8, 0)),  # later today
        (sthlm(2026, 3, 4, 17, 0), sthlm(2026, 3, 5, 8, 0)),  # tomorrow
        (sthlm(2026, 3, 6, 16, 0), sthlm(2026, 3, 9, 8, 0)),  # across the weekend
        (sthlm(2026, 3, 7, 12, 0), sthlm(2026, 3, 9, 8, 0)),
        (sthlm(2026, 12, 24, 22, 0), sthlm(2026, 12, 28, 8, 0)),  # across Christmas
        (sthlm(2026, 4, 2, 15, 0), sthlm(2026, 4, 7, 8, 0)),  # across Easter
        (utc(2026, 10, 23, 15, 0), sthlm(2026, 10, 26, 8, 0)),  # across fall-back weekend
        (datetime(2026, 3, 4, 17, 0), sthlm(2026, 3, 5, 8, 0)),  # naive = Stockholm
    ],
    ids=str,
)
def test_next_opening(cal: Calendar, moment: datetime, expected: datetime) -> None:
    result = cal.next_opening(moment)
    assert result == expected
    assert result.tzinfo is STHLM
    assert result.replace(tzinfo=None) == expected.replace(tzinfo=None)


def test_next_opening_gives_up_after_30_days() -> None:
    closed: dict[str, list[str]] = {f"2026-03-{d:02d}": [] for d in range(1, 32)}
    c = Calendar(parse_office_hours(variant(shortened_dates=closed | {"2026-04-01": []})))
    with pytest.raises(CalendarError, match="no office hours within 30 days"):
        c.next_opening(sthlm(2026, 3, 1, 0, 0))


# --- describe_next_opening ------------------------------------------------------------------

# GSM 03.38 basic character set: text outside it would force UCS-2 SMS.
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)

LONG_CLOSURE = variant(closed_dates=["2026-12-28", "2026-12-29", "2026-12-30"])


@pytest.mark.parametrize(
    ("data", "moment", "sv", "en"),
    [
        (BASE, sthlm(2026, 3, 4, 10, 0), "nu", "now"),
        (BASE, sthlm(2026, 3, 4, 6, 0), "i dag klockan 08.00", "today at 8:00"),
        (BASE, sthlm(2026, 3, 4, 17, 0), "i morgon klockan 08.00", "tomorrow at 8:00"),
        (BASE, sthlm(2026, 3, 6, 17, 0), "måndag klockan 08.00", "Monday at 8:00"),
        (BASE, sthlm(2026, 12, 24, 22, 0), "måndag klockan 08.00", "Monday at 8:00"),
        (BASE, sthlm(2026, 4, 2, 15, 0), "tisdag klockan 08.00", "Tuesday at 8:00"),
        (
            LONG_CLOSURE,
            sthlm(2026, 12, 24, 22, 0),
            "måndag 4 januari klockan 08.00",
            "Monday 4 January at 8:00",
        ),
        (
            variant(weekly=weekly(wed=["13:30-16:30"])),
            sthlm(2026, 3, 4, 9, 0),
            "i dag klockan 13.30",
            "today at 13:30",
        ),
    ],
    ids=str,
)
def test_describe_next_opening(data: dict[str, Any], moment: datetime, sv: str, en: str) -> None:
    c = Calendar(parse_office_hours(data))
    assert c.describe_next_opening(moment, "sv") == sv
    assert c.describe_next_opening(moment, "en") == en
    assert set(sv) <= GSM7 and set(en) <= GSM7


def test_describe_next_opening_unknown_language(cal: Calendar) -> None:
    with pytest.raises(CalendarError, match="unsupported language 'de'"):
        cal.describe_next_opening(sthlm(2026, 3, 4, 10, 0), "de")


# --- broken configs -------------------------------------------------------------------------
# Each broken document with every problem the check reports for it, in order: one check names them all.

SRC = "config/office_hours.yaml"
CATEGORIES = "BANK, DE_FACTO, OPTIONAL, PUBLIC"


@pytest.mark.parametrize(
    ("data", "messages"),
    [
        (
            variant(weekend=[]),
            [f"{SRC}: weekend: unknown key (expected one of: closed_dates, day_before_holiday, holidays, "
             "shortened_dates, timezone, weekly)"],
        ),
        (variant(weekly=weekly(mon=["8-17"])), [f"{SRC}: weekly.mon[0]: '8-17' is not HH:MM-HH:MM"]),
        (
            variant(weekly=weekly(tue=["08:00-16:30", "25:00-26:00"])),
            [f"{SRC}: weekly.tue[1]: '25:00-26:00' is not HH:MM-HH:MM"],
        ),
        (variant(weekly=weekly(fri=["16:00-08:00"])), [f"{SRC}: weekly.fri[0]: '16:00-08:00' ends before it starts"]),
        (variant(weekly=weekly(fri=["08:00-08:00"])), [f"{SRC}: weekly.fri[0]: '08:00-08:00' ends before it starts"]),
        (
            variant(weekly=weekly(wed=["08:00-12:00", "11:00-16:00"])),
            [f"{SRC}: weekly.wed: '11:00-16:00' overlaps '08:00-12:00'"],
        ),
        (
            variant(weekly=weekly(wed="08:00-16:30")),  # type: ignore[arg-type]
            [f"{SRC}: weekly.wed: must be a list of HH:MM-HH:MM intervals, not a text"],
        ),
        (
            variant(weekly={**BASE["weekly"], "mån": []}),
            [f"{SRC}: weekly.mån: unknown key (expected one of: fri, mon, sat, sun, thu, tue, wed)"],
        ),
        (variant(weekly=["08:00-16:30"]), [f"{SRC}: weekly: must be a mapping, not a list"]),
        (variant(closed_dates=["2026-02-30"]), [f"{SRC}: closed_dates[0]: '2026-02-30' is not a date (YYYY-MM-DD)"]),
        (
            variant(closed_dates=["2026-12-28", "28/12/2026"]),
            [f"{SRC}: closed_dates[1]: '28/12/2026' is not a date (YYYY-MM-DD)"],
        ),
        (variant(closed_dates="2026-12-28"), [f"{SRC}: closed_dates: must be a list of dates, not a text"]),
        (
            variant(shortened_dates={"2026-4-30": ["08:00-13:00"]}),
            [f"{SRC}: shortened_dates.2026-4-30: '2026-4-30' is not a date (YYYY-MM-DD)"],
        ),
        (
            variant(shortened_dates={"2026-04-30": ["13:00-08:00"]}),
            [f"{SRC}: shortened_dates.2026-04-30[0]: '13:00-08:00' ends before it starts"],
        ),
        (variant(shortened_dates=["2026-04-30"]), [f"{SRC}: shortened_dates: must be a mapping, not a list"]),
        (
            variant(day_before_holiday=["08.00-15.00"]),
            [f"{SRC}: day_before_holiday[0]: '08.00-15.00' is not HH:MM-HH:MM"],
        ),
        (variant(timezone="Europe/Stokholm"), [f"{SRC}: timezone: 'Europe/Stokholm' is not a known time zone"]),
        (
            variant(holidays={"country": "SE", "categories": ["PUBLIC", "HALF_DAY"]}),
            [f"{SRC}: holidays.categories[1]: 'HALF_DAY' is not a holiday category (expected one of: {CATEGORIES})"],
        ),
        (variant(holidays={"categories": []}), [f"{SRC}: holidays.categories: must be a non-empty list"]),
        (variant(holidays={"country": "NO"}), [f"{SRC}: holidays.country: 'NO' is not supported; use SE"]),
        (
            variant(holidays={"country": "SE", "region": "AB"}),
            [f"{SRC}: holidays.region: unknown key (expected one of: categories, country)"],
        ),
        ({k: v for k, v in BASE.items() if k != "weekly"}, [f"{SRC}: missing key 'weekly'"]),
        # The zone is the line's one time zone: no default, the file must name it.
        ({k: v for k, v in BASE.items() if k != "timezone"}, [f"{SRC}: missing key 'timezone'"]),
        (
            variant(
                timezone="Mars/Olympus",
                weekly=weekly(mon=["8-17"], wed=["08:00-12:00", "11:00-16:00"]),
                closed_dates=["2026-02-30"],
                holidays={"country": "SE", "categories": ["HALF_DAY"]},
            ),
            [
                f"{SRC}: timezone: 'Mars/Olympus' is not a known time zone",
                f"{SRC}: weekly.mon[0]: '8-17' is not HH:MM-HH:MM",
                f"{SRC}: weekly.wed: '11:00-16:00' overlaps '08:00-12:00'",
                f"{SRC}: holidays.categories[0]: 'HALF_DAY' is not a holiday category (expected one of: {CATEGORIES})",
                f"{SRC}: closed_dates[0]: '2026-02-30' is not a date (YYYY-MM-DD)",
            ],
        ),
    ],
    ids=lambda v: v[-1] if isinstance(v, list) else "",
)
def test_broken_config(data: dict[str, Any], messages: list[str]) -> None:
    with pytest.raises(DataError) as info:
        parse_office_hours(data)
    assert info.value.problems == messages


@pytest.mark.parametrize(
    ("text", "messages"),
    [
        ("weekly: [unclosed\n", ["{path}: line 2: invalid YAML: expected ',' or ']', but got '<stream end>'"]),
        ("", ["{path}: must be a mapping, not empty", "{path}: missing key 'timezone'",
          "{path}: missing key 'weekly'"]),
        ("- just a list\n", ["{path}: must be a mapping, not a list", "{path}: missing key 'timezone'",
          "{path}: missing key 'weekly'"]),
        (
            "timezone: Europe/Stockholm\nweekly:\n  mon: ['8-17']\n",
            ["{path}: weekly.mon[0]: '8-17' is not HH:MM-HH:MM"],
        ),
        # YAML 1.2 booleans, as in every other file: `NO` stays Norway, `no` and `off` stay texts.
        ("timezone: Europe/Stockholm\nweekly: {}\nholidays: {country: NO}\n",
         ["{path}: holidays.country: 'NO' is not supported; use SE"]),
        (
            "timezone: Europe/Stockholm\nweekly: {sat: no}\nday_before_holiday: off\n",
            [
                "{path}: weekly.sat: must be a list of HH:MM-HH:MM intervals, not a text",
                "{path}: day_before_holiday: must be a list of HH:MM-HH:MM intervals, not a text",
            ],
        ),
    ],
    ids=["syntax", "empty", "list", "bad-interval", "norway", "yaml-1.1-booleans"],
)
def test_broken_file(tmp_path: Path, text: str, messages: list[str]) -> None:
    path = tmp_path / "config" / "office_hours.yaml"
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_office_hours(path)
    assert info.value.problems == [message.format(path=SRC) for message in messages]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError) as info:
        load_office_hours(tmp_path / "config" / "office_hours.yaml")
    assert info.value.problems == [f"{SRC}: file not found"]


def test_calendar_error_is_value_error() -> None:
    assert issubclass(CalendarError, ValueError)
    assert isinstance(parse_office_hours(BASE), OfficeHours)
