"""`ivr check --production`: what cannot be real yet. The shipped config is full of placeholders on purpose
(it runs in tests and rehearsals); a line that goes live must have none of them.

Each problem names file and field, as every other check does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import phonenumbers
import yaml

from flows.fiction_numbers import fiction_range
from flows.line import Line
from flows.model import Hours
from flows.settings import REGION
from flows.yamlfile import display_path, join
from ivr.channels.voice.say_voices import voice_problem

MARK = "PLACEHOLDER"
# RFC 2606 reserves example.com/.net/.org and the TLDs .example, .test, .invalid, .localhost (RFC 6761 says
# how they resolve: never to a real site). We read "example" as any label, so itportal.example.se counts too.
RESERVED_TLDS = ("example", "test", "invalid", "localhost")
HOST = re.compile(r"(?<![\w.-])(?:[a-z][a-z0-9+.-]*://)?(?:[\w.+-]+@)?((?:[a-z0-9-]+\.)+[a-z0-9-]+)", re.IGNORECASE)
PHONE_LIKE = re.compile(r"^\+?[0-9][0-9 -]{5,}$")


def production_problems(line: Line, checklists: Path, config: Path) -> list[str]:
    """Everything that marks the line as not yet real; empty when it may go live."""
    files = sorted(config.glob("*.yaml")) + sorted(checklists.glob("*.yaml"))
    problems: list[str] = []
    for path in files:
        problems += placeholder_problems(path)
        problems += address_problems(path)
    for path in (config / "line.yaml", config / "roster.yaml"):
        problems += fiction_problems(path)
    problems += staff_prefix_problems(line)
    problems += voice_problems(line)
    problems += ticket_problems(line, display_path(config / "line.yaml"))
    return problems


def ticket_problems(line: Line, source: str) -> list[str]:
    """A ticket backend whose secrets this process would not have: every ticket would wait, then alert."""
    tickets = line.settings.tickets
    return [f"{source}: tickets.{tickets.backend}: the environment variable {name} is not set (the backend's "
            "secret is read from it)" for name in tickets.missing_environment()]


def scalars(path: Path) -> Iterator[tuple[str, yaml.ScalarNode]]:
    """Every scalar of a YAML file with its field path (a.b[0].c); nothing for a file that does not parse."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return  # the ordinary check has named it already
    stack: list[tuple[str, yaml.Node]] = [("", root)] if root is not None else []
    while stack:
        where, node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            # reversed, so that fields come out in the file's order
            stack += [(join(where, str(key.value)), value) for key, value in reversed(node.value)]
        elif isinstance(node, yaml.SequenceNode):
            stack += [(f"{where}[{index}]", item) for index, item in reversed(list(enumerate(node.value)))]
        elif isinstance(node, yaml.ScalarNode):
            yield where, node


def key_lines(path: Path) -> dict[int, str]:
    """The field path that starts on each line (the first one, for a line with a flow mapping)."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    found: dict[int, str] = {}
    stack: list[tuple[str, yaml.Node]] = [("", root)] if root is not None else []
    while stack:
        where, node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                field = join(where, str(key.value))
                if len(field) < len(found.get(key.start_mark.line, field + "_")):
                    found[key.start_mark.line] = field
                stack.append((field, value))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                field = f"{where}[{index}]"
                found.setdefault(item.start_mark.line, field)
                stack.append((field, item))
    return found


def placeholder_problems(path: Path) -> list[str]:
    """Fields marked PLACEHOLDER: in their value, in a comment on their line, or in a comment directly above
    them (no blank line between). A comment that only mentions the word in a paragraph of its own marks nothing."""
    name = display_path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    fields = key_lines(path)
    marked: dict[str, None] = {}
    for where, node in scalars(path):
        if isinstance(node.value, str) and MARK in node.value:
            marked[where] = None
    for number, text in enumerate(lines):
        comment = text.find("#")
        if comment < 0 or MARK not in text[comment:]:
            continue
        if text[:comment].strip():  # a comment after a value marks that line's field
            if number in fields:
                marked[fields[number]] = None
            continue
        if not text[comment:].lstrip("# ").startswith(MARK):
            continue  # a paragraph that mentions the word, e.g. the file's header
        below = number + 1
        while below < len(lines) and lines[below].lstrip().startswith("#"):
            below += 1
        if below < len(lines) and below in fields:
            marked[fields[below]] = None
    return [f"{name}: {field}: marked {MARK}: put in the real value and remove the mark" for field in marked]


def address_problems(path: Path) -> list[str]:
    """Web and e-mail addresses in a domain reserved for examples (RFC 2606, RFC 6761): they reach nobody."""
    name = display_path(path)
    problems = []
    for where, node in scalars(path):
        if not isinstance(node.value, str):
            continue
        for host in HOST.findall(node.value):
            labels = host.lower().split(".")
            if "example" in labels or labels[-1] in RESERVED_TLDS:
                problems.append(f"{name}: {where}: '{host}' is a domain reserved for examples (RFC 2606); "
                                "put in the real address")
    return problems


def fiction_problems(path: Path) -> list[str]:
    """Phone numbers in the ranges PTS reserves for fiction: nobody real answers them."""
    name = display_path(path)
    problems = []
    for where, node in scalars(path):
        value = node.value
        if not isinstance(value, str) or not PHONE_LIKE.match(value.strip()):
            continue
        try:
            parsed = phonenumbers.parse(value, REGION)
        except phonenumbers.NumberParseException:
            continue
        written = fiction_range(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))
        if written:
            problems.append(f"{name}: {where}: '{value}' is in the range PTS reserves for fiction ({written}); "
                            "put in the real number")
    return problems


def contact_notes(line: Line) -> list[str]:
    """Contacts without a number are deliberate (nobody to dial): what callers sent to them get instead.

    In office hours the ending offers IT support (flows/endings.py); after hours it names whom to ask.
    """
    notes = []
    for checklist in line.library.checklists:
        for index, rule in enumerate(checklist.rules):
            contact = line.settings.contacts.get(rule.contact) if rule.contact else None
            if contact is None or contact.number is not None:
                continue
            instead = ("names whom to ask; IT support is closed then" if rule.hours is Hours.AFTER else
                       "offers IT support instead (call: Tryck 1; SMS: its number)")
            notes.append(f"note: config/line.yaml: contacts.{contact.id} has no number: {checklist.source} "
                         f"rules[{index}] ({rule.hours.value}) {instead}")
    return list(dict.fromkeys(notes))


def staff_prefix_problems(line: Line) -> list[str]:
    """A staff number prefix that no roster number starts with is most likely not the municipality's series."""
    numbers = [person.number for person in line.roster.people.values()]
    return [f"config/line.yaml: staff.prefixes[{index}]: '{prefix}' matches no number in config/roster.yaml"
            for index, prefix in enumerate(line.settings.staff_prefixes)
            if not any(number.startswith(prefix) for number in numbers)]


def voice_problems(line: Line) -> list[str]:
    """A <Say> voice Twilio does not have: the caller would hear an error instead of the line."""
    problems = []
    for lang, voice in line.settings.voices.items():
        problem = voice_problem(voice.voice, voice.language)
        if problem:
            problems.append(f"config/line.yaml: voices.{lang}.voice: {problem}")
    return problems
