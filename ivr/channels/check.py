"""One check of the line for `ivr check`, start-up (ivr/config.py) and `ivr reload`: the data files
(flows/validate.py), then what the channels refuse in them (ivr/channels/sms/check.py)."""

from __future__ import annotations

from pathlib import Path

from flows.line import Line
from flows.validate import validate
from ivr.channels.sms.check import sms_line_problems


def check_line(checklists: Path, config: Path) -> tuple[Line | None, list[str]]:
    """The line and every problem, each naming file and field; no line when the files do not load.

    A line with problems is returned with them: the caller refuses it (start-up, reload) or lists them.
    """
    line, problems = validate(checklists, config)
    if line is None:
        return None, problems
    return line, sms_line_problems(line)
