"""Who is Chef i beredskap at a given moment: weekly rotation, dated exceptions, fallback chain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flows.settings import e164
from flows.yamlfile import Problems, join

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TOP_KEYS = ("people", "fallback")
TOP_OPTIONAL = ("timezone", "handover", "rotation", "weeks", "overrides")
GAP_CHECK_STEP = timedelta(hours=1)  # gaps are reported to the hour


@dataclass(frozen=True)
class Person:
    """Someone who can be on call."""

    id: str
    name: str
    number: str  # E.164


@dataclass(frozen=True)
class Override:
    """A dated exception: this person from..to (holiday cover, a swap of a few days)."""

    start: datetime
    end: datetime
    person: str
    note: str = ""


@dataclass(frozen=True)
class Replacement:
    """Someone standing in for a person of the chain from..to (a same-day swap kept in the store)."""

    start: datetime
    end: datetime
    replaced: str  # the person id they stand in for
    person: str


@dataclass(frozen=True)
class Roster:
    """The on-call roster; all times are local wall-clock times in `timezone`."""

    people: dict[str, Person]
    fallback: tuple[str, ...]
    timezone: str  # the line's, as config/office_hours.yaml names it
    handover_day: int = 0  # Monday
    handover_time: time = time(8, 0)
    rotation_start: date | None = None  # the Monday of the week the first person in `order` has
    order: tuple[str, ...] = ()
    weeks: tuple[tuple[tuple[int, int], str], ...] = ()  # ((iso year, iso week), person id)
    overrides: tuple[Override, ...] = ()
    replacements: tuple[Replacement, ...] = ()  # only from stored swaps (flows/oncall.py), never the YAML

    @property
    def tz(self) -> ZoneInfo:
        """The roster's time zone."""
        return ZoneInfo(self.timezone)

    def duty_week(self, moment: datetime) -> tuple[int, int]:
        """The ISO week whose duty period contains the moment (duty weeks start at the handover)."""
        local = moment.astimezone(self.tz) if moment.tzinfo else moment.replace(tzinfo=self.tz)
        start_day = local.date() - timedelta(days=(local.weekday() - self.handover_day) % 7)
        handover = datetime.combine(start_day, self.handover_time, tzinfo=self.tz)
        if local < handover:
            start_day -= timedelta(days=7)
        year, week, _ = start_day.isocalendar()
        return year, week

    def on_call_at(self, moment: datetime) -> Person | None:
        """The person on call, or None for a gap in the roster."""
        local = moment.astimezone(self.tz) if moment.tzinfo else moment.replace(tzinfo=self.tz)
        person = self._scheduled_at(local)
        return None if person is None else self.stand_in(person, local)

    def stand_in(self, person: Person, moment: datetime) -> Person:
        """Whoever stands in for the person at the moment (the newest replacement first), else the person."""
        for replacement in self.replacements:
            if replacement.replaced == person.id and replacement.start <= moment < replacement.end:
                return self.people[replacement.person]
        return person

    def _scheduled_at(self, local: datetime) -> Person | None:
        for override in self.overrides:
            if override.start <= local < override.end:
                return self.people[override.person]
        week = self.duty_week(local)
        for listed, person in self.weeks:
            if listed == week:
                return self.people[person]
        if self.rotation_start is None or not self.order:
            return None
        monday = date.fromisocalendar(week[0], week[1], 1)
        if monday < self.rotation_start:
            return None  # before the rotation starts: a gap, not a guess
        index = ((monday - self.rotation_start).days // 7) % len(self.order)
        return self.people[self.order[index]]

    def chain_at(self, moment: datetime) -> tuple[Person, ...]:
        """Who to try, in order: the person on call, then the fallback list (never empty)."""
        first = self.on_call_at(moment)
        local = moment.astimezone(self.tz) if moment.tzinfo else moment.replace(tzinfo=self.tz)
        chain = ([first] if first else []) + [self.stand_in(self.people[p], local) for p in self.fallback]
        seen: set[str] = set()
        return tuple(p for p in chain if not (p.number in seen or seen.add(p.number)))  # type: ignore[func-returns-value]

    def gaps(self, start: datetime, days: int = 14) -> list[tuple[datetime, datetime]]:
        """Periods in the next `days` with nobody on call (the fallback list is used then)."""
        found: list[tuple[datetime, datetime]] = []
        moment = start.astimezone(self.tz).replace(minute=0, second=0, microsecond=0)
        end = moment + timedelta(days=days)
        while moment < end:
            if self.on_call_at(moment) is None:
                if found and found[-1][1] == moment:
                    found[-1] = (found[-1][0], moment + GAP_CHECK_STEP)
                else:
                    found.append((moment, moment + GAP_CHECK_STEP))
            moment += GAP_CHECK_STEP
        return found


def parse_roster(data: Any, source: str, zone: str | None = None) -> Roster:
    """Validate config/roster.yaml; every problem names the file and key.

    zone: the line's time zone (config/office_hours.yaml); the roster's own `timezone`, if it
    gives one, must be the same, so that a moment means the same hour to the calendar and the roster.
    """
    problems = Problems(source)
    top = problems.mapping(data, "") or {}
    problems.keys(top, "", TOP_KEYS, TOP_OPTIONAL)
    timezone = str(top.get("timezone", zone))
    tz = ZoneInfo("UTC")  # only while collecting problems, if the roster's zone is unknown
    if "timezone" not in top and zone is None:
        problems.add("timezone", "missing: give the time zone of config/office_hours.yaml")
    elif zone is not None and timezone != zone:
        problems.add("timezone", f"'{timezone}' is not the line's time zone '{zone}' (config/office_hours.yaml)")
    else:
        try:
            tz = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.add("timezone", f"'{timezone}' is not a known time zone")
    people = _people(top.get("people"), problems)
    known = set(people)

    def person_ref(value: Any, path: str) -> str | None:
        if value in known:
            return str(value)
        problems.add(path, f"unknown person '{value}' (people: {', '.join(sorted(known))})")
        return None

    fallback = [person_ref(v, f"fallback[{i}]") for i, v in enumerate(_list(top.get("fallback"), "fallback", problems))]
    if not fallback:
        problems.add("fallback", "must list at least one person: a call must never ring nowhere")
    day, at = _handover(top.get("handover", {"day": "mon", "time": "08:00"}), problems)
    start, order = _rotation(top.get("rotation"), problems, person_ref)
    weeks = _weeks(top.get("weeks", {}), problems, person_ref)
    overrides = _overrides(top.get("overrides", []), problems, person_ref, tz)
    problems.raise_if_any()
    return Roster(
        people=people, fallback=tuple(p for p in fallback if p), timezone=str(timezone), handover_day=day,
        handover_time=at, rotation_start=start, order=order, weeks=weeks, overrides=overrides,
    )


def _list(value: Any, path: str, problems: Problems) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.add(path, "must be a list")
        return []
    return value


def _people(value: Any, problems: Problems) -> dict[str, Person]:
    people: dict[str, Person] = {}
    for key, entry in (problems.mapping(value, "people") or {}).items():
        path = join("people", str(key))
        data = problems.mapping(entry, path)
        if data is None:
            continue
        problems.keys(data, path, ("name", "number"), ())
        number = e164(data.get("number"), problems, join(path, "number"))
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.add(join(path, "name"), "must be a non-empty text")
        elif number:
            people[str(key)] = Person(str(key), name.strip(), number)
    return people


def _handover(value: Any, problems: Problems) -> tuple[int, time]:
    data = problems.mapping(value, "handover") or {}
    problems.keys(data, "handover", ("day", "time"), ())
    day = data.get("day", "mon")
    if day not in WEEKDAYS:
        problems.add("handover.day", f"must be one of {', '.join(WEEKDAYS)}")
        day = "mon"
    return WEEKDAYS.index(day), _time(data.get("time", "08:00"), "handover.time", problems)


def _time(value: Any, path: str, problems: Problems) -> time:
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        problems.add(path, f"'{value}' is not a time HH:MM")
        return time(8, 0)


def _rotation(value: Any, problems: Problems, person_ref: Any) -> tuple[date | None, tuple[str, ...]]:
    if value is None:
        return None, ()
    data = problems.mapping(value, "rotation") or {}
    problems.keys(data, "rotation", ("start_week", "order"), ())
    week = _iso_week(data.get("start_week"), "rotation.start_week", problems)
    order = [person_ref(v, f"rotation.order[{i}]") for i, v in enumerate(_list(data.get("order"), "rotation.order",
                                                                               problems))]
    if not order:
        problems.add("rotation.order", "must list at least one person")
    start = date.fromisocalendar(week[0], week[1], 1) if week else None
    return start, tuple(p for p in order if p)


def _iso_week(value: Any, path: str, problems: Problems) -> tuple[int, int] | None:
    text = str(value)
    try:
        year, week = text.split("-W")
        date.fromisocalendar(int(year), int(week), 1)
        return int(year), int(week)
    except ValueError:
        problems.add(path, f"'{value}' is not an ISO week such as 2026-W48")
        return None


def _weeks(value: Any, problems: Problems, person_ref: Any) -> tuple[tuple[tuple[int, int], str], ...]:
    result = []
    for key, person in (problems.mapping(value, "weeks") or {}).items():
        week = _iso_week(key, join("weeks", str(key)), problems)
        ref = person_ref(person, join("weeks", str(key)))
        if week and ref:
            result.append((week, ref))
    return tuple(result)


def _overrides(value: Any, problems: Problems, person_ref: Any, tz: ZoneInfo) -> tuple[Override, ...]:
    result = []
    for index, entry in enumerate(_list(value, "overrides", problems)):
        path = f"overrides[{index}]"
        data = problems.mapping(entry, path)
        if data is None:
            continue
        problems.keys(data, path, ("from", "to", "person"), ("note",))
        start = _moment(data.get("from"), join(path, "from"), problems, tz)
        end = _moment(data.get("to"), join(path, "to"), problems, tz)
        ref = person_ref(data.get("person"), join(path, "person"))
        if start and end and end <= start:
            problems.add(path, "'to' must be after 'from'")
        elif start and end and ref:
            result.append(Override(start, end, ref, str(data.get("note", ""))))
    return tuple(result)


def _moment(value: Any, path: str, problems: Problems, tz: ZoneInfo) -> datetime | None:
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        problems.add(path, f"'{value}' is not a date and time such as 2026-12-24T08:00")
        return None
    return moment.astimezone(tz) if moment.tzinfo else moment.replace(tzinfo=tz)
