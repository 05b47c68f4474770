"""Real values: each SMS is budgeted against the longest value it can take, not the day `ivr check` runs.

The case issue 13 found: a Christmas closing (28-31 December closed) makes the
wait-for-office-hours SMS on 23 December say "måndag 4 januari klockan 08.00",
longer than any opening the check's own moments produce. The check must find
that before a carer gets a text cut in two.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import date, datetime, timedelta

from flask import Flask

from flows.calendar import Calendar, longest_opening
from flows.line import Line, load_line
from ivr import create_app
from ivr.channels.sms.check import CHECK_MOMENTS, sms_problems
from ivr.channels.sms.cost import SEGMENT_SEPTETS, gsm7_septets
from tests.conftest import CALLER, LINE_NUMBER, FrozenClock, Twilio, app_config

LINE = load_line()
CHRISTMAS_CLOSED = frozenset(date(2026, 12, day) for day in range(28, 32))
CHRISTMAS_OPENING = "måndag 4 januari klockan 08.00"
# The next Christmas closing, 27-31 December 2027: no moment the check renders at reaches it.
NEXT_CHRISTMAS_CLOSED = frozenset(date(2027, 12, day) for day in range(27, 32))
NEXT_CHRISTMAS_OPENING = "måndag 3 januari klockan 08.00"


def with_christmas_closing(line: Line, portal: str | None = None, closed: frozenset[date] = CHRISTMAS_CLOSED) -> Line:
    """The shipped line with IT support closed over Christmas (and another portal address, if given)."""
    calendar = Calendar(replace(line.calendar.hours, closed_dates=closed))
    settings = line.settings if portal is None else replace(line.settings, it_portal_url=portal)
    return replace(line, calendar=calendar, settings=settings)


def wait_text(line: Line, opening: str) -> str:
    return line.messages.get("sms", "wait_for_office_hours", "sv", opening=opening, it_support="0141-22 50 47",
                             portal=line.settings.it_portal_url)


def texts_at(app: Flask, sends: list[str]) -> list[str]:
    twilio = Twilio(app.test_client())
    replies: list[str] = []
    for index, body in enumerate(sends):
        response = twilio.post("/sms", From=CALLER, To=LINE_NUMBER, Body=body, MessageSid=f"SM{index:032d}")
        replies = [node.text or "" for node in ET.fromstring(response.data).iter("Message")]
    return replies


def test_the_christmas_wait_sms_names_4_january_and_is_one_segment(database_url: str, clock: FrozenClock) -> None:
    """Through the real webhook: Viva omsorg, one user, on the evening of 23 December."""
    clock.set("2026-12-23T22:00")
    app = create_app(app_config(database_url, clock))
    app.extensions["ivr.line"] = with_christmas_closing(LINE)
    replies = texts_at(app, ["viva omsorg", "nej", "ja", "nej", "nej"])
    # The reason (only you have the problem) and the wait: each its own one-segment SMS.
    assert CHRISTMAS_OPENING in replies[-1], replies
    for reply in replies:
        septets = gsm7_septets(reply)
        assert septets is not None and septets <= SEGMENT_SEPTETS, reply
    app.extensions["ivr.store"].dispose()


def test_the_check_finds_the_christmas_case_before_it_happens() -> None:
    """A Christmas closing a year ahead, and a portal address one character too long for its SMS: `ivr check`
    refuses the line now, naming the text, though every opening at the check's own moments still fits."""
    christmas = with_christmas_closing(LINE, closed=NEXT_CHRISTMAS_CLOSED)
    evening = datetime(2027, 12, 23, 22, 0, tzinfo=christmas.calendar.tz)
    assert christmas.calendar.describe_next_opening(evening, "sv") == NEXT_CHRISTMAS_OPENING
    room = SEGMENT_SEPTETS - (gsm7_septets(wait_text(christmas, NEXT_CHRISTMAS_OPENING)) or 0)
    portal = LINE.settings.it_portal_url + "/" + "x" * room  # that Christmas SMS is now 161 characters
    line = with_christmas_closing(LINE, portal, NEXT_CHRISTMAS_CLOSED)
    assert gsm7_septets(wait_text(line, NEXT_CHRISTMAS_OPENING)) == SEGMENT_SEPTETS + 1
    # The real openings at the check's moments fit: a check that used only them would pass this line.
    for moment in CHECK_MOMENTS:
        at = datetime.fromisoformat(moment).replace(tzinfo=line.calendar.tz)
        opening = line.calendar.describe_next_opening(at, "sv")
        assert (gsm7_septets(wait_text(line, opening)) or 0) <= SEGMENT_SEPTETS, opening
    problems = [problem for problem in sms_problems(line) if "sms.wait_for_office_hours" in problem]
    assert problems and problems[0].startswith("sv: config/messages.yaml sms.wait_for_office_hours: SMS is ")


def test_the_shipped_line_passes_the_check() -> None:
    assert sms_problems(LINE) == []


def test_no_opening_around_christmas_is_longer_than_the_budget() -> None:
    """Every hour from 20 December to 10 January with the Christmas closing: the phrase the carer gets is
    never longer than the one the check budgets with."""
    calendar = with_christmas_closing(LINE).calendar
    start = datetime(2026, 12, 20, tzinfo=calendar.tz)
    for lang in ("sv", "en"):
        budget = len(longest_opening(lang))
        phrases = {calendar.describe_next_opening(start + timedelta(hours=h), lang) for h in range(24 * 21)}
        assert CHRISTMAS_OPENING in phrases or lang == "en"
        assert max(len(phrase) for phrase in phrases) <= budget
