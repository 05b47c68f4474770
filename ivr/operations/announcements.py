"""Known-outage announcements: what IT may post, checked the same way from the CLI and by SMS."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from flows.line import Line
from flows.moments import MomentError, parse_until
from ivr.channels.sms.check import notice_room
from ivr.channels.sms.cost import char_septets, fits_one_segment, gsm7_septets, non_gsm7_characters, room_left

MAX_TEXT = 300  # spoken in under half a minute; an announcement is a headline, not a report
# The line-wide announcement (e.g. the network is down everywhere), heard and texted before the menu.
# Stored as the system "alla": no checklist may have that id (checked where systems are resolved).
LINE_WIDE = "alla"
LINE_WIDE_WORDS = frozenset({"alla", "all", "--all"})


class AnnouncementError(ValueError):
    """An announcement that cannot be posted as given."""


def check_text(text: str) -> str:
    """The text cleaned, or AnnouncementError saying what is wrong with it."""
    cleaned = " ".join(text.split())
    if not cleaned:
        raise AnnouncementError("the announcement text is empty")
    if len(cleaned) > MAX_TEXT:
        raise AnnouncementError(f"the announcement is {len(cleaned)} characters; keep it under {MAX_TEXT}")
    # Control characters (ESC is GSM-7, but XML cannot carry it) would break every caller's TwiML.
    odd = sorted({char for char in cleaned if not printable(char)} | set(non_gsm7_characters(cleaned)))
    if odd:
        # Texters get it by SMS: typographic punctuation would double the cost of every message.
        shown = " ".join(char if printable(char) else f"U+{ord(char):04X}" for char in odd)
        raise AnnouncementError(f"replace these characters, they are not plain SMS text: {shown}")
    return cleaned


def check_notice(line: Line, system: str, text: str) -> None:
    """AnnouncementError when the SMS notice carrying a cleaned text would take more than one SMS."""
    room = line_wide_room(line) if system == LINE_WIDE else notice_room(line, system)
    septets = gsm7_septets(text) or 0
    if septets > room:
        # Short enough to be an administrator's SMS reply; characters such as € [ ] count two.
        raise AnnouncementError(f"the announcement is {septets} characters; at most {room} characters fit in one SMS "
                                "with its heading")


def line_wide_room(line: Line) -> int:
    """Characters the line-wide text may have for its SMS ("Driftinfo för alla system: ...") to fit one SMS."""
    return room_left(line.messages.get("sms", "notice_all", lang, text="") for lang in line.settings.languages)


def resolve_system(line: Line, name: str) -> str:
    """A checklist's id from its id, key or name as typed, or LINE_WIDE for "alla"; AnnouncementError if neither."""
    from ivr.conversation.replies import exact_system

    if name.strip().lower() in LINE_WIDE_WORDS:
        return LINE_WIDE
    checklist = exact_system(line.library.checklists, name)
    if checklist is None:
        names = ", ".join([c.id for c in line.library.checklists] + [LINE_WIDE])
        raise AnnouncementError(f"unknown system '{name}' (one of: {names})")
    return checklist.id


def check_post(line: Line, system: str, text: str, until: str | None, now: datetime) -> tuple[str, datetime | None]:
    """The same checks for `ivr announce` and the console: the cleaned text and when it ends (None: until cleared)."""
    cleaned = check_text(text)
    check_notice(line, system, cleaned)
    return cleaned, until_moment(until, now, line) if until else None


def plain_sms(text: str) -> str:
    """A reply that is one GSM-7 SMS: characters outside GSM-7 (the ones refused) named by code."""
    plain = "".join(char if char_septets(char) is not None else f"U+{ord(char):04X}" for char in text)
    while not fits_one_segment(plain):
        plain = plain[:-1]
    return plain


def printable(char: str) -> bool:
    """A character that may stand in spoken and texted text (no control or non-characters)."""
    return unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Co", "Cn")


def until_moment(text: str, now: datetime, line: Line) -> datetime:
    """'18:00' (today, in the line's zone) or an ISO date and time; AnnouncementError if it is not ahead."""
    local_now = line.calendar.local(now)
    try:
        moment = parse_until(text, local_now, line.calendar.tz)
    except MomentError as exc:
        raise AnnouncementError(str(exc)) from None
    if moment <= local_now:
        raise AnnouncementError(f"{moment:%Y-%m-%d %H:%M} has already passed")
    return moment
