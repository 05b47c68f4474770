"""Moments and durations people type on the command line: one parser, in the line's time zone.

Every command that takes a time (`ivr roster --at`, `ivr simulate --at`, `ivr report --since/--until`,
`ivr purge --older-than`, `ivr announce --until`, the simulator's "@+130m")
reads it here. The zone is the one
config/office_hours.yaml names (`Calendar.tz`), passed in by the caller: nothing here assumes one.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo

UNITS = {
    "s": timedelta(seconds=1), "m": timedelta(minutes=1), "h": timedelta(hours=1),
    "d": timedelta(days=1), "w": timedelta(weeks=1),
}
AGO_UNITS = "hdw"  # a moment given as a duration before now: "24h", "7d", "2w"
DURATION = re.compile(r"^\s*(\d+)\s*([a-z]?)\s*$")
CLOCK = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*$")  # "18:00", also "18.00" as Swedes write it
UNTIL_HELP = "use a time such as 18:00 (today) or a date and time such as 2026-12-24T18:00"
MOMENT_HELP = "use a duration such as 7d or 24h, or a date such as 2026-11-01 or 2026-11-01T08:00"


class MomentError(ValueError):
    """A moment or duration that cannot be read; the message says what would be."""


def parse_duration(text: str, units: str = AGO_UNITS, bare: str | None = None) -> timedelta:
    """A whole number and one of units: "24h", "7d"; bare: the unit of a number without one."""
    match = DURATION.match(text)
    unit = (match.group(2) or bare) if match else None
    if match is None or unit is None or unit not in units:
        examples = ", ".join(f"1{u}" for u in units)
        raise MomentError(f"{text!r} is not a duration such as {examples}")
    try:
        return int(match.group(1)) * UNITS[unit]
    except OverflowError:
        raise MomentError(f"{text!r} is too long a duration to count with") from None


def parse_moment(text: str, now: datetime, zone: tzinfo, *, end_of_day: bool = False) -> datetime:
    """A duration before now ("7d", "24h", "2w"), an ISO date, or an ISO date and time.

    Without an offset a time is wall-clock time in zone. A bare date is the start of that day,
    or with end_of_day its end (so `--until 2026-11-30` includes the 30th). The result is in zone.
    """
    if DURATION.match(text):
        ago = parse_duration(text)
        try:
            return in_zone(now - ago, zone)
        except OverflowError:
            raise MomentError(f"{text!r} is too long ago to count back to") from None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        day = None
    if day is not None:
        return in_zone(datetime.combine(day + timedelta(days=1) if end_of_day else day, time(0), tzinfo=zone), zone)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise MomentError(f"{text!r}: {MOMENT_HELP}") from None
    return in_zone(moment if moment.tzinfo else moment.replace(tzinfo=zone), zone)


def parse_until(text: str, now: datetime, zone: tzinfo) -> datetime:
    """An end time people type: "18:00" (today, in zone) or an ISO date and time (a bare date: its end)."""
    clock = CLOCK.match(text)
    if clock is None:
        if DURATION.match(text):
            raise MomentError(f"{text!r}: {UNTIL_HELP}")  # "7d" would be a moment a week ago
        try:
            return parse_moment(text, now, zone, end_of_day=True)
        except MomentError:
            raise MomentError(f"{text!r}: {UNTIL_HELP}") from None
    hours, minutes = int(clock.group(1)), int(clock.group(2))
    if hours > 23 or minutes > 59:
        raise MomentError(f"{text!r}: {UNTIL_HELP}")
    return in_zone(in_zone(now, zone).replace(hour=hours, minute=minutes, second=0, microsecond=0), zone)


def in_zone(moment: datetime, zone: tzinfo) -> datetime:
    """The same instant in zone; the UTC round trip turns a wall time in a spring-forward gap into a real one."""
    return moment.astimezone(UTC).astimezone(zone)
