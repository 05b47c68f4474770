"""Office-hours calendar for IT support: weekly hours, Swedish holidays and DST."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
import yaml
from holidays.countries.sweden import Sweden

Interval = tuple[time, time]
Hours = tuple[Interval, ...]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TOP_KEYS = (
    "timezone",
    "weekly",
    "holidays",
    "day_before_holiday",
    "shortened_dates",
    "closed_dates",
)
HOLIDAY_KEYS = ("country", "categories")
SEARCH_DAYS = 30

_INTERVAL_RE = re.compile(r"(\d{2}):(\d{2})\s*-\s*(\d{2}):(\d{2})")
_SV_DAYS = tuple("måndag tisdag onsdag torsdag fredag lördag söndag".split())
_EN_DAYS = tuple("Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split())
_SV_MONTHS = tuple(
    "januari februari mars april maj juni juli augusti september oktober november december".split()
)
_EN_MONTHS = tuple(
    "January February March April May June July August September October November December".split()
)


class CalendarError(ValueError):
    """Invalid office-hours configuration or an unanswerable calendar question."""


@dataclass(frozen=True)
class OfficeHours:
    """Validated office-hours configuration; times are local wall-clock times."""

    timezone: str
    weekly: dict[int, Hours]
    day_before_holiday: Hours | None
    shortened_dates: dict[date, Hours]
    closed_dates: frozenset[date]
    categories: tuple[str, ...]


def _mapping(value: Any, source: str, where: str, allowed: tuple[str, ...]) -> Mapping[Any, Any]:
    """Check that value is a mapping whose keys all belong to allowed."""
    if not isinstance(value, Mapping):
        raise CalendarError(f"{source}: {where or 'top level'}: expected a mapping")
    for key in value:
        if key not in allowed:
            path = f"{where}.{key}" if where else str(key)
            raise CalendarError(
                f"{source}: {path}: unknown key; expected one of {', '.join(allowed)}"
            )
    return value


def _parse_date(value: Any, source: str, where: str) -> date:
    """Accept a YAML date or a quoted YYYY-MM-DD string."""
    # Unquoted YAML dates arrive as date objects; datetime is a date subclass but wrong here.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise CalendarError(f"{source}: {where}: {value!r} is not a date (YYYY-MM-DD)")


def _parse_hours(value: Any, source: str, where: str) -> Hours:
    """Parse a list of "HH:MM-HH:MM" strings into sorted, non-overlapping intervals."""
    if not isinstance(value, list):
        raise CalendarError(f"{source}: {where}: expected a list of HH:MM-HH:MM intervals")
    parsed: list[tuple[time, time, str]] = []
    for i, text in enumerate(value):
        match = _INTERVAL_RE.fullmatch(text) if isinstance(text, str) else None
        nums = [int(g) for g in match.groups()] if match else []
        if not match or nums[0] > 23 or nums[2] > 23 or nums[1] > 59 or nums[3] > 59:
            raise CalendarError(f"{source}: {where}[{i}]: {text!r} is not HH:MM-HH:MM")
        start, end = time(nums[0], nums[1]), time(nums[2], nums[3])
        if end <= start:
            raise CalendarError(f"{source}: {where}[{i}]: {text!r} ends before it starts")
        parsed.append((start, end, text))
    parsed.sort()
    for (_, prev_end, prev_text), (start, _, text) in zip(parsed, parsed[1:], strict=False):
        if start < prev_end:
            raise CalendarError(f"{source}: {where}: {text!r} overlaps {prev_text!r}")
    return tuple((start, end) for start, end, _ in parsed)


def parse_office_hours(
    data: Mapping[str, Any], source: str = "config/office_hours.yaml"
) -> OfficeHours:
    """Validate a decoded office-hours document; errors name source and key path."""
    data = _mapping(data, source, "", TOP_KEYS)
    tz_name = data.get("timezone", "Europe/Stockholm")
    try:
        ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise CalendarError(f"{source}: timezone: {tz_name!r} is not a known time zone") from exc

    if "weekly" not in data:
        raise CalendarError(f"{source}: weekly: missing; give hours for mon..sun")
    weekly_raw = _mapping(data["weekly"], source, "weekly", WEEKDAYS)
    # A missing or blank weekday ("sat:") means closed that day.
    weekly = {
        i: _parse_hours(
            [] if weekly_raw.get(name) is None else weekly_raw[name], source, f"weekly.{name}"
        )
        for i, name in enumerate(WEEKDAYS)
    }

    hol = _mapping(data.get("holidays", {}), source, "holidays", HOLIDAY_KEYS)
    if hol.get("country", "SE") != "SE":
        raise CalendarError(
            f"{source}: holidays.country: {hol['country']!r} is not supported; use SE"
        )
    raw_categories = hol.get("categories", ["PUBLIC", "DE_FACTO"])
    if not isinstance(raw_categories, list) or not raw_categories:
        raise CalendarError(f"{source}: holidays.categories: expected a non-empty list")
    supported = {c.upper(): c for c in Sweden.supported_categories}
    categories = []
    for i, cat in enumerate(raw_categories):
        if not isinstance(cat, str) or cat.upper() not in supported:
            raise CalendarError(
                f"{source}: holidays.categories[{i}]: {cat!r} is not a holiday category; "
                f"expected one of {', '.join(sorted(supported))}"
            )
        categories.append(supported[cat.upper()])

    # null disables the rule; [] means closed on days before holidays.
    before = data.get("day_before_holiday")
    before_hours = None if before is None else _parse_hours(before, source, "day_before_holiday")
    shortened_raw = data.get("shortened_dates") or {}
    if not isinstance(shortened_raw, Mapping):
        raise CalendarError(f"{source}: shortened_dates: expected a mapping of date to intervals")
    shortened = {}
    for key, value in shortened_raw.items():
        day = _parse_date(key, source, f"shortened_dates.{key}")
        shortened[day] = _parse_hours(value, source, f"shortened_dates.{key}")
    closed_raw = data.get("closed_dates") or []
    if not isinstance(closed_raw, list):
        raise CalendarError(f"{source}: closed_dates: expected a list of dates")
    return OfficeHours(
        timezone=tz_name,
        weekly=weekly,
        day_before_holiday=before_hours,
        shortened_dates=shortened,
        closed_dates=frozenset(
            _parse_date(d, source, f"closed_dates[{i}]") for i, d in enumerate(closed_raw)
        ),
        categories=tuple(categories),
    )


def load_office_hours(path: Path) -> OfficeHours:
    """Read and validate an office-hours YAML file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CalendarError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise CalendarError(f"{path}: not UTF-8 text") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise CalendarError(f"{path}: invalid YAML{where}") from exc
    return parse_office_hours(data, str(path))


MAX_DAYS_KEPT = 1000  # days whose hours are remembered: years of webhooks, next_opening's searches


class Calendar:
    """Answers "is IT support open?" questions in the configured local time."""

    def __init__(self, hours: OfficeHours) -> None:
        self.hours = hours
        self.tz = ZoneInfo(hours.timezone)
        self._holidays: dict[int, holidays.HolidayBase] = {}
        # A day's hours never change once configured; every webhook asks about today.
        self._hours_by_day: dict[date, Hours] = {}

    def _year(self, year: int) -> holidays.HolidayBase:
        """Holidays for one year, built once; expand=False keeps the cache per year."""
        if year not in self._holidays:
            self._holidays[year] = holidays.country_holidays(
                "SE",
                years=year,
                expand=False,
                language="sv",
                categories=self.hours.categories,
                include_sundays=False,
            )
        return self._holidays[year]

    def local(self, moment: datetime) -> datetime:
        """Convert to an aware local datetime; naive input is local wall-clock time."""
        if moment.tzinfo is None or moment.utcoffset() is None:
            moment = moment.replace(tzinfo=self.tz)
        # The UTC round trip turns a wall time inside the spring-forward gap into a real one.
        return moment.astimezone(UTC).astimezone(self.tz)

    def holiday_name(self, day: date) -> str | None:
        """Swedish name of the holiday on day, or None."""
        name = self._year(day.year).get(day)
        return None if name is None else str(name)

    def is_holiday(self, day: date) -> bool:
        """True on public and de facto holidays (not on ordinary Sundays)."""
        return day in self._year(day.year)

    def hours_on(self, day: date) -> Hours:
        """Local opening intervals on day; () when closed."""
        known = self._hours_by_day.get(day)
        if known is None:
            if len(self._hours_by_day) >= MAX_DAYS_KEPT:
                self._hours_by_day.clear()
            known = self._hours_by_day[day] = self._hours_on(day)
        return known

    def _hours_on(self, day: date) -> Hours:
        """hours_on(), worked out."""
        h = self.hours
        if day in h.closed_dates or self.is_holiday(day):
            return ()
        if day in h.shortened_dates:
            return h.shortened_dates[day]
        normal = h.weekly[day.weekday()]
        if normal and h.day_before_holiday is not None and self.is_holiday(day + timedelta(1)):
            return h.day_before_holiday
        return normal

    def is_office_hours(self, moment: datetime) -> bool:
        """True when IT support is open at moment."""
        loc = self.local(moment)
        now = loc.time()
        return any(start <= now < end for start, end in self.hours_on(loc.date()))

    def next_opening(self, moment: datetime) -> datetime:
        """Local moment office hours next begin; moment itself if open now."""
        loc = self.local(moment)
        if self.is_office_hours(loc):
            return loc
        for offset in range(SEARCH_DAYS + 1):
            day = loc.date() + timedelta(offset)
            for start, _ in self.hours_on(day):
                # Compare instants, not wall times: same-zone comparison ignores DST fold.
                candidate = self.local(datetime.combine(day, start, tzinfo=self.tz))
                if candidate.timestamp() >= loc.timestamp():
                    return candidate
        raise CalendarError(f"no office hours within {SEARCH_DAYS} days after {loc.isoformat()}")

    def describe_next_opening(self, moment: datetime, lang: str) -> str:
        """Short, GSM-7 friendly phrase for the next opening, in "sv" or "en"."""
        if lang not in ("sv", "en"):
            raise CalendarError(f"unsupported language {lang!r}; expected 'sv' or 'en'")
        loc = self.local(moment)
        opening = self.next_opening(loc)
        if opening.timestamp() == loc.timestamp():
            return "nu" if lang == "sv" else "now"
        return opening_phrase(opening, (opening.date() - loc.date()).days, lang)


@functools.cache
def longest_opening(lang: str) -> str:
    """The longest phrase describe_next_opening can give, for the SMS length check."""
    # Every date of a year at a two-digit hour, as "today", "tomorrow", a weekday, or dated.
    days = [datetime(2027, 1, 1, 10, 0) + timedelta(days=n) for n in range(365)]
    return max((opening_phrase(day, ahead, lang) for day in days for ahead in (0, 1, 6, 7)), key=len)


def opening_phrase(opening: datetime, days: int, lang: str) -> str:
    """"i morgon klockan 08.00", "onsdag klockan 08.00", "måndag 4 januari klockan 08.00" (days ahead)."""
    d = opening.date()
    if lang == "sv":
        at = f"klockan {opening:%H.%M}"
        if days <= 1:
            return f"{('i dag', 'i morgon')[days]} {at}"
        name = _SV_DAYS[d.weekday()]
        if days <= 6:
            return f"{name} {at}"
        return f"{name} {d.day} {_SV_MONTHS[d.month - 1]} {at}"
    at = f"at {opening.hour}:{opening.minute:02d}"
    if days <= 1:
        return f"{('today', 'tomorrow')[days]} {at}"
    name = _EN_DAYS[d.weekday()]
    if days <= 6:
        return f"{name} {at}"
    return f"{name} {d.day} {_EN_MONTHS[d.month - 1]} {at}"
