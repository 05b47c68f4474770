"""Same-day on-call swaps and overrides: checked, and merged with config/roster.yaml into one chain.

roster.yaml is the plan; a swap is today's exception to it, made by the people who keep the
roster (`ivr oncall`, the console) and kept in the store. This module only decides: is a swap
valid, and what is the chain at a moment with the swaps in force. Reading and writing them is
ivr/store's, keeping them in a worker's memory is ivr/web/oncall_cache.py's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import phonenumbers

from flows.roster import Override, Person, Replacement, Roster

REGION = "SE"
# A swap is for today or a few days; a longer change belongs in roster.yaml, where it is planned and reviewed.
MAX_SPAN = timedelta(days=14)
GAP_DAYS = 14  # how far ahead `ivr roster --gaps` and the console look for moments with nobody on call


class OncallError(ValueError):
    """A swap that cannot be stored; the message says why, in Swedish and English."""


@dataclass(frozen=True)
class OncallChange:
    """One stored swap: who is on call from..to, first in the chain or standing in for one person."""

    id: int
    start: datetime
    end: datetime
    person: Person  # a person of roster.yaml, or a number given by hand (id "oncall-<id>")
    replaces: str | None = None  # a roster person id: stand in for them; None: first in the chain
    note: str = ""
    by: str = ""

    def describe(self) -> str:
        """One line for `ivr oncall list` and `ivr roster`."""
        what = f"i stället för/instead of {self.replaces}" if self.replaces else "först i kedjan/first in the chain"
        note = f" ({self.note})" if self.note else ""
        return (f"#{self.id} {self.start:%Y-%m-%d %H:%M} - {self.end:%Y-%m-%d %H:%M}: {self.person.name} "
                f"{self.person.number}, {what}{note}")


def merged(roster: Roster, changes: tuple[OncallChange, ...] | list[OncallChange]) -> Roster:
    """roster.yaml with the stored swaps in force: the newest swap wins over older ones and over the YAML."""
    newest_first = sorted(changes, key=lambda change: change.id, reverse=True)
    people = dict(roster.people)
    for change in newest_first:
        people.setdefault(change.person.id, change.person)
    overrides = tuple(Override(c.start, c.end, c.person.id, c.note) for c in newest_first if c.replaces is None)
    replacements = tuple(Replacement(c.start, c.end, c.replaces, c.person.id)
                         for c in newest_first if c.replaces is not None)
    return replace(roster, people=people, overrides=overrides + roster.overrides,
                   replacements=replacements + roster.replacements)


def next_handover_time(roster: Roster, now: datetime) -> datetime:
    """The end of "the rest of today" for an on-call swap: the next morning's handover hour (08:00).

    An on-call night runs into the next morning, so a swap "for today" covers that night too.
    """
    local = now.astimezone(roster.tz)
    end = datetime.combine(local.date(), roster.handover_time, tzinfo=roster.tz)
    return end if end > local else end + timedelta(days=1)


def new_change(roster: Roster, who: str, start: datetime, end: datetime, now: datetime, *,
               replaces: str | None = None, name: str = "", note: str = "", by: str = "") -> OncallChange:
    """A checked swap (id 0 until stored); OncallError names what is wrong."""
    person = _person(roster, who.strip(), name.strip())
    if replaces is not None:
        if replaces not in roster.people:
            raise OncallError(f"okänd person att ersätta '{replaces}' / unknown person to replace "
                              f"(roster.yaml people: {', '.join(sorted(roster.people))})")
        if roster.people[replaces].number == person.number:
            raise OncallError(f"'{who}' kan inte ersätta sig själv / cannot replace themself")
    if start.tzinfo is None or end.tzinfo is None:
        raise OncallError("tiden saknar tidszon / the time has no time zone")
    if end <= start:
        raise OncallError(f"sluttiden {end:%Y-%m-%d %H:%M} måste vara efter starttiden {start:%Y-%m-%d %H:%M} "
                          "/ the end must be after the start")
    if end <= now:
        raise OncallError(f"sluttiden {end:%Y-%m-%d %H:%M} har redan passerat / the end is in the past")
    if end - start > MAX_SPAN:
        raise OncallError(f"högst {MAX_SPAN.days} dagar; längre ändringar görs i config/roster.yaml "
                          f"/ at most {MAX_SPAN.days} days; longer changes belong in config/roster.yaml")
    return OncallChange(0, start.astimezone(roster.tz), end.astimezone(roster.tz), person, replaces,
                        note.strip(), by)


def _person(roster: Roster, who: str, name: str) -> Person:
    """A roster person by id, or anyone by a valid phone number (E.164 or Swedish national)."""
    if who in roster.people:
        return roster.people[who]
    try:
        parsed = phonenumbers.parse(who, REGION)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        raise OncallError(f"'{who}' är varken en person i config/roster.yaml eller ett giltigt telefonnummer "
                          f"/ is neither a roster person nor a valid phone number "
                          f"(people: {', '.join(sorted(roster.people))})")
    number = str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))
    for person in roster.people.values():
        if person.number == number:
            return person  # a roster person given by number
    national = str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL))
    return Person("", name or national, number)  # its id is given when stored (no number rides in a URL)


def stored_person_id(change_id: int) -> str:
    """The id of a person given by number only: never the number itself, since chains ride in URLs."""
    return f"oncall-{change_id}"
