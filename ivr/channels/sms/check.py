"""What the SMS channel refuses in a line that loaded: a text that would not go out as one plain SMS, an outage
notice without room for IT's words, a checklist alias that is a reply word.

Run with the data files' own validation (flows/validate.py) by ivr/channels/check.py, for `ivr check`,
start-up and `ivr reload`; each problem names file and field.
"""

from __future__ import annotations

from datetime import datetime

from flows.line import Line
from ivr.channels.sms.cost import SEGMENT_SEPTETS, TWO_SEGMENTS_SEPTETS, gsm7_septets, non_gsm7_characters, room_left
from ivr.channels.sms.render import every_text
from ivr.conversation.replies import Intent, parse

# A weekday, and the evening before a long holiday (the longest "IT support opens ..." phrase).
CHECK_MOMENTS = ("2026-11-25T10:00", "2026-12-23T22:00")
MIN_NOTICE_ROOM = 100  # characters left for IT's own text in the SMS outage notice


def sms_line_problems(line: Line) -> list[str]:
    """Every problem the SMS channel finds in a loaded line."""
    return alias_problems(line) + sms_problems(line) + notice_problems(line)


def alias_problems(line: Line) -> list[str]:
    """An alias that is a reply word ("ja", "ring", "meny") already means something in every conversation."""
    problems = []
    for checklist in line.library.checklists:
        for index, alias in enumerate(checklist.aliases):
            intent = parse(alias).intent
            if intent is not Intent.TEXT:
                problems.append(f"{checklist.source}: aliases[{index}]: '{alias}' is already a reply "
                                f"({intent.value}), not a system name")
    return problems


def room(where: str) -> int:
    """Septets a text may use: the receipt two SMS (it says what happened, what next and the code), the rest one."""
    return TWO_SEGMENTS_SEPTETS if "config/messages.yaml receipt." in where else SEGMENT_SEPTETS


def sms_problems(line: Line) -> list[str]:
    """Texts that would not go out as one plain GSM-7 SMS; the longest of each kind is named."""
    worst: dict[str, tuple[int, str]] = {}
    seen: set[tuple[str, str]] = set()
    for number, moment in enumerate(CHECK_MOMENTS):
        at = datetime.fromisoformat(moment).replace(tzinfo=line.calendar.tz)
        # After the first moment only the texts that take one (the sms section, outcomes, receipts): the menu,
        # the steps and the manager's SMS are the same at every moment. With the outcomes built once where
        # on_call_by changes nothing and each number written once (render.py, flows/receipt.py), the shipped
        # files build 4,947 texts instead of 8,442 and parse 94 numbers instead of 4,308: this check took
        # 0.15 s instead of 0.46 s at start-up (`python -c`, the shipped files, a busy two-core machine).
        for where, text in every_text(line, at, timeless=number == 0):
            if (where, text) in seen:
                continue
            seen.add((where, text))
            septets = gsm7_septets(text)
            if septets is None:
                odd = " ".join(non_gsm7_characters(text))
                problem = (SEGMENT_SEPTETS * 2, f"{where}: SMS has characters outside GSM-7 ({odd}), "
                                                "which doubles its cost")
            elif septets > room(where):
                if room(where) == SEGMENT_SEPTETS:
                    problem = (septets, f"{where}: SMS is {septets} characters; one message holds {SEGMENT_SEPTETS}")
                else:
                    problem = (septets, f"{where}: SMS is {septets} characters; two messages hold {room(where)}")
            else:
                continue
            if problem[0] > worst.get(where, (0, ""))[0]:
                worst[where] = problem
    return [problem for _, problem in worst.values()]


def notice_room(line: Line, system: str) -> int:
    """Characters (GSM-7 septets) IT's announcement about a system may have for its SMS notice to fit one SMS."""
    checklist = line.library.by_id(system)
    return room_left(line.messages.get("sms", "notice", lang, system=checklist.name[lang], text="")
                     for lang in line.settings.languages)


def notice_problems(line: Line) -> list[str]:
    """The SMS outage notice's own wording must be plain GSM-7 and leave room for IT's text."""
    problems = []
    for lang in line.settings.languages:
        for name in ("notice", "notice_all"):  # a system's notice, and the line-wide one before the menu
            template = line.messages.get("sms", name, lang, system="", text="")
            odd = non_gsm7_characters(template)
            if odd:
                problems.append(f"{lang}: config/messages.yaml sms.{name}: SMS has characters outside GSM-7 "
                                f"({' '.join(odd)}), which doubles its cost")
    for checklist in line.library.checklists:
        room = notice_room(line, checklist.id)
        if room < MIN_NOTICE_ROOM:
            problems.append(f"config/messages.yaml sms.notice: leaves {room} characters for an announcement about "
                            f"{checklist.name['sv']} ({checklist.source} name); at least {MIN_NOTICE_ROOM} must fit")
    return problems
