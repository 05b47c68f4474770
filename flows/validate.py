"""One validation for `ivr check` and start-up: the data files, and every SMS the line can send."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flows.line import Line, load_line
from flows.sms_cost import SEGMENT_SEPTETS, gsm7_septets, non_gsm7_characters
from flows.sms_text import every_text
from flows.yamlfile import DataError

# A weekday, and the evening before a long holiday.
CHECK_MOMENTS = ("2026-11-25T10:00", "2026-12-23T22:00")


def validate(checklists: Path, config: Path) -> tuple[Line | None, list[str]]:
    """The line and every problem, each naming file and field; no line when the files do not load."""
    try:
        line = load_line(checklists, config)
    except DataError as exc:
        return None, exc.problems
    return line, sms_problems(line)


def problems_text(problems: list[str]) -> str:
    """The problems as `ivr check` prints them and start-up refuses with them."""
    return "\n".join([*(f"error: {problem}" for problem in problems), f"{len(problems)} problem(s) found."])


def sms_problems(line: Line) -> list[str]:
    """Texts that would not go out as one plain GSM-7 SMS; the longest of each kind is named."""
    worst: dict[str, tuple[int, str]] = {}
    seen: set[tuple[str, str]] = set()
    for moment in CHECK_MOMENTS:
        at = datetime.fromisoformat(moment).replace(tzinfo=ZoneInfo("Europe/Stockholm"))
        for where, text in every_text(line, at):
            if (where, text) in seen:
                continue
            seen.add((where, text))
            septets = gsm7_septets(text)
            if septets is None:
                odd = " ".join(non_gsm7_characters(text))
                problem = (SEGMENT_SEPTETS * 2, f"{where}: SMS has characters outside GSM-7 ({odd}), "
                                                "which doubles its cost")
            elif septets > SEGMENT_SEPTETS:
                problem = (septets, f"{where}: SMS is {septets} characters; one message holds {SEGMENT_SEPTETS}")
            else:
                continue
            if problem[0] > worst.get(where, (0, ""))[0]:
                worst[where] = problem
    return [problem for _, problem in worst.values()]
