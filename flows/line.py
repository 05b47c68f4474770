"""The whole line's data: checklists and config loaded and checked against each other."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from flows.calendar import Calendar, load_office_hours
from flows.checklists import load_library
from flows.messages import Messages, load_messages
from flows.model import Library
from flows.roster import Roster, parse_roster
from flows.settings import Settings, load_settings
from flows.yamlfile import DataError, display_path, read_yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CHECKLISTS = PROJECT_ROOT / "checklists"
DEFAULT_CONFIG = PROJECT_ROOT / "config"


@dataclass(frozen=True)
class Line:
    """Everything the channels need to run a conversation."""

    library: Library
    settings: Settings
    messages: Messages
    calendar: Calendar
    roster: Roster


def load_line(checklists: Path = DEFAULT_CHECKLISTS, config: Path = DEFAULT_CONFIG) -> Line:
    """Load every data file; DataError lists every problem in every file at once."""
    problems: list[str] = []
    library = settings = messages = calendar = roster = None
    try:
        library = load_library(checklists)
    except DataError as exc:
        problems.extend(exc.problems)
    try:
        settings = load_settings(config)
    except DataError as exc:
        problems.extend(exc.problems)
    try:
        messages = load_messages(config / "messages.yaml")
    except DataError as exc:
        problems.extend(exc.problems)
    try:
        calendar = Calendar(load_office_hours(config / "office_hours.yaml"))
    except DataError as exc:
        problems.extend(exc.problems)
    try:
        zone = calendar.hours.timezone if calendar is not None else None
        roster = parse_roster(read_yaml(config / "roster.yaml"), display_path(config / "roster.yaml"), zone=zone)
    except DataError as exc:
        problems.extend(exc.problems)
    if library is not None and settings is not None:
        problems.extend(cross_check(library, settings))
    if problems or library is None or settings is None or messages is None or calendar is None or roster is None:
        raise DataError(problems)
    return Line(library, settings, messages, calendar, roster)


def line_zone(config: Path = DEFAULT_CONFIG) -> ZoneInfo:
    """The line's one time zone, as config/office_hours.yaml names it; DataError if it cannot be read."""
    return Calendar(load_office_hours(config / "office_hours.yaml")).tz


def cross_check(library: Library, settings: Settings) -> list[str]:
    """Contacts and suppliers that checklists name must exist in config/line.yaml."""
    problems = []
    for checklist in library.checklists:
        for index, rule in enumerate(checklist.rules):
            if rule.contact is not None and rule.contact not in settings.contacts:
                problems.append(
                    f"{checklist.source}: rules[{index}].contact: unknown contact '{rule.contact}' "
                    f"(config/line.yaml contacts: {', '.join(settings.contacts)})"
                )
            if rule.supplier is not None and rule.supplier not in settings.suppliers:
                problems.append(
                    f"{checklist.source}: rules[{index}].supplier: unknown supplier '{rule.supplier}' "
                    f"(config/line.yaml suppliers: {', '.join(settings.suppliers)})"
                )
        for index, step in enumerate(checklist.steps):
            if step.notify is None:
                continue
            contact = settings.contacts.get(step.notify)
            if contact is None:
                problems.append(f"{checklist.source}: steps[{index}].notify.to: unknown contact '{step.notify}' "
                                f"(config/line.yaml contacts: {', '.join(settings.contacts)})")
            elif contact.sms is None:
                problems.append(f"{checklist.source}: steps[{index}].notify.to: contact '{step.notify}' has no "
                                "'sms' number in config/line.yaml to send the message to")
    return problems
