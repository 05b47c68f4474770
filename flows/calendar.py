"""Office-hours calendar for IT support: weekly hours, Swedish holidays and DST."""

from __future__ import annotations

import functools
import importlib
import importlib.util
import re
import sys
import types
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from flows.yamlfile import Problems, display_path, join, read_yaml, type_name


def _sweden_only() -> type[Any]:
    """holidays' Sweden, imported without the package holidays.countries, whose __init__ imports every country.

    Why: measured (bench/README.md, December 2026), `holidays.countries.sweden` pulled in all ~250
    country modules, 0.13 s of a worker's start and ~9 MiB of its memory, for the one country the line
    uses. `import holidays` itself loads countries lazily (its EntityLoader); only the package
    holidays.countries is eager. So that package stands in as an empty module while Sweden's is
    imported, and is then taken away again: Sweden's module stays in sys.modules, and a later full
    import of the package (anything calling holidays.country_holidays) runs its __init__ as usual and
    reuses it. The calendar calls Sweden's class itself for the same reason (OfficeCalendar._year).
    """
    name = "holidays.countries"
    if name not in sys.modules:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations is not None:
            package = types.ModuleType(name)
            package.__path__ = list(spec.submodule_search_locations)
            sys.modules[name] = package
            try:
                importlib.import_module(f"{name}.sweden")
            finally:
                if sys.modules.get(name) is package:
                    del sys.modules[name]
    return cast(type[Any], importlib.import_module(f"{name}.sweden").Sweden)  # a HolidayBase


Sweden = _sweden_only()

Interval = tuple[time, time]
Hours = tuple[Interval, ...]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
REQUIRED_KEYS = ("timezone", "weekly")
OPTIONAL_KEYS = ("holidays", "day_before_holiday", "shortened_dates", "closed_dates")
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
    """A calendar question with no answer (no opening within SEARCH_DAYS, an unknown language)."""


@dataclass(frozen=True)
class OfficeHours:
    """Validated office-hours configuration; times are local wall-clock times."""

    timezone: str
    weekly: dict[int, Hours]
    day_before_holiday: Hours | None
    shortened_dates: dict[date, Hours]
    closed_dates: frozenset[date]
    categories: tuple[str, ...]


def parse_office_hours(data: Any, source: str = "config/office_hours.yaml") -> OfficeHours:
    """Validate a decoded office-hours document; DataError lists every problem with its key path."""
    problems = Problems(source)
    top = problems.mapping(data, "") or {}
    problems.keys(top, "", REQUIRED_KEYS, OPTIONAL_KEYS)
    timezone = _timezone(top.get("timezone"), problems)
    weekly = _weekly(top.get("weekly", {}), problems)
    categories = _holidays(top.get("holidays", {}), problems)
    # null disables the rule; [] means closed on days before holidays.
    before = top.get("day_before_holiday")
    before_hours = None if before is None else _hours(before, "day_before_holiday", problems)
    shortened = {}
    for key, value in (problems.mapping(top.get("shortened_dates") or {}, "shortened_dates") or {}).items():
        path = join("shortened_dates", str(key))
        day = _date(key, path, problems)
        hours = _hours(value, path, problems)
        if day is not None:
            shortened[day] = hours
    closed_raw = top.get("closed_dates") or []
    if not isinstance(closed_raw, list):
        problems.add("closed_dates", f"must be a list of dates, not {type_name(closed_raw)}")
        closed_raw = []
    closed = (_date(value, f"closed_dates[{i}]", problems) for i, value in enumerate(closed_raw))
    closed_dates = frozenset(day for day in closed if day is not None)
    problems.raise_if_any()
    return OfficeHours(
        timezone=timezone,
        weekly=weekly,
        day_before_holiday=before_hours,
        shortened_dates=shortened,
        closed_dates=closed_dates,
        categories=categories,
    )


def load_office_hours(path: Path) -> OfficeHours:
    """Read and validate an office-hours YAML file; DataError lists every problem."""
    return parse_office_hours(read_yaml(path), display_path(path))


def _timezone(value: Any, problems: Problems) -> str:
    """The line's time zone: every local time in the configuration is read in it."""
    if value is None:
        return ""  # reported as a missing key
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        problems.add("timezone", f"'{value}' is not a known time zone")
    return str(value)


def _weekly(value: Any, problems: Problems) -> dict[int, Hours]:
    """Hours per weekday; a missing or blank weekday ("sat:") means closed that day."""
    data = problems.mapping(value, "weekly") or {}
    problems.keys(data, "weekly", (), WEEKDAYS)
    return {
        index: () if data.get(name) is None else _hours(data[name], f"weekly.{name}", problems)
        for index, name in enumerate(WEEKDAYS)
    }


def _holidays(value: Any, problems: Problems) -> tuple[str, ...]:
    """The holiday categories (Swedish holidays only) that close IT support."""
    data = problems.mapping(value, "holidays") or {}
    problems.keys(data, "holidays", (), HOLIDAY_KEYS)
    country = data.get("country", "SE")
    if country != "SE":
        problems.add("holidays.country", f"'{country}' is not supported; use SE")
    raw = data.get("categories", ["PUBLIC", "DE_FACTO"])
    if not isinstance(raw, list) or not raw:
        problems.add("holidays.categories", "must be a non-empty list")
        return ()
    supported = {category.upper(): category for category in Sweden.supported_categories}
    categories = []
    for index, category in enumerate(raw):
        if isinstance(category, str) and category.upper() in supported:
            categories.append(supported[category.upper()])
        else:
            problems.add(f"holidays.categories[{index}]",
                         f"'{category}' is not a holiday category (expected one of: {', '.join(sorted(supported))})")
    return tuple(categories)


def _date(value: Any, path: str, problems: Problems) -> date | None:
    """A YAML date or a quoted YYYY-MM-DD text."""
    # Unquoted YAML dates arrive as date objects; datetime is a date subclass but wrong here.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    problems.add(path, f"'{value}' is not a date (YYYY-MM-DD)")
    return None


def _hours(value: Any, path: str, problems: Problems) -> Hours:
    """A list of "HH:MM-HH:MM" texts as sorted intervals; each bad or overlapping one is a problem."""
    if not isinstance(value, list):
        problems.add(path, f"must be a list of HH:MM-HH:MM intervals, not {type_name(value)}")
        return ()
    parsed: list[tuple[time, time, str]] = []
    for index, text in enumerate(value):
        match = _INTERVAL_RE.fullmatch(text) if isinstance(text, str) else None
        nums = [int(g) for g in match.groups()] if match else []
        if not match or nums[0] > 23 or nums[2] > 23 or nums[1] > 59 or nums[3] > 59:
            problems.add(f"{path}[{index}]", f"'{text}' is not HH:MM-HH:MM")
            continue
        start, end = time(nums[0], nums[1]), time(nums[2], nums[3])
        if end <= start:
            problems.add(f"{path}[{index}]", f"'{text}' ends before it starts")
            continue
        parsed.append((start, end, text))
    parsed.sort()
    for (_, prev_end, prev_text), (start, _, text) in zip(parsed, parsed[1:], strict=False):
        if start < prev_end:
            problems.add(path, f"'{text}' overlaps '{prev_text}'")
    return tuple((start, end) for start, end, _ in parsed)


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
            # Sweden's class itself, as holidays.country_holidays("SE", ...) would call it: that lookup
            # imports the package holidays.countries, and so every country (_sweden_only).
            self._holidays[year] = Sweden(
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

    def budget_opening(self, moment: datetime, lang: str) -> str:
        """The opening phrase to measure an SMS with: the one for `moment`, or the longest any day can give."""
        return max(self.describe_next_opening(moment, lang), longest_opening(lang), key=len)

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
