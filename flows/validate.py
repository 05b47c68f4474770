"""The data files' validation: the line loads, or every problem, each naming file and field.

What the channels refuse in a loaded line (an SMS too long, a reply word as an alias) is theirs to check:
ivr/channels/check.py runs both for `ivr check`, start-up and `ivr reload`.
"""

from __future__ import annotations

from pathlib import Path

from flows.line import Line, load_line
from flows.yamlfile import DataError


def validate(checklists: Path, config: Path) -> tuple[Line | None, list[str]]:
    """The line and its data problems (none when it loaded); no line when the files do not load."""
    try:
        return load_line(checklists, config), []
    except DataError as exc:
        return None, exc.problems


def problems_text(problems: list[str]) -> str:
    """The problems as `ivr check` prints them and start-up refuses with them."""
    return "\n".join([*(f"error: {problem}" for problem in problems), f"{len(problems)} problem(s) found."])
