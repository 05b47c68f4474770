"""The staff directory: which workplace a work phone belongs to, from a CSV the IT unit exports.

`staff.directory` in line.yaml names the file (relative to the config folder). It is personal data:
read into memory when the line is loaded (at start and at each reload), never written to the store;
only an incident caller's workplace name is kept, with the incident (ivr/store/incidents.py).
Incidents count workplaces with it, as the seed's "flera användare och/eller arbetsplatser" asks.

The file has a header row naming the columns `number` and `workplace` (others are ignored); commas
or semicolons (Excel's Swedish export) separate them. Numbers may be written any Swedish way.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import phonenumbers

from flows.yamlfile import DataError, display_path

REGION = "SE"  # a number without +country is Swedish
COLUMNS = ("number", "workplace")
MAX_WORKPLACE = 100  # the incident caller row's workplace column


@dataclass(frozen=True)
class Directory:
    """Numbers (E.164) to workplace names, in memory only."""

    source: str  # the file as a person edits it, for messages
    workplaces: Mapping[str, str] = field(repr=False, compare=False)  # personal data: kept out of reprs

    def workplace_of(self, number: str | None) -> str | None:
        """The workplace of a caller's number (E.164), or None for a number it does not list or a hidden one."""
        return self.workplaces.get(number) if number else None

    def __len__(self) -> int:
        return len(self.workplaces)


def load_directory(path: Path) -> Directory:
    """Read and check the CSV; DataError names the file, line and field of every bad row."""
    name = display_path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # Excel writes a byte-order mark
    except FileNotFoundError:
        raise DataError([f"{name}: file not found (config/line.yaml staff.directory)"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError([f"{name}: cannot read: {exc}"]) from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise DataError([f"{name}: line 1: needs a header row with the columns {', '.join(COLUMNS)}"])
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.reader(lines, delimiter=delimiter)
    header = [column.strip().lower() for column in next(reader)]
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise DataError([f"{name}: line 1: missing column {', '.join(missing)} (the header names: "
                         f"{', '.join(header)}; needs: {', '.join(COLUMNS)})"])
    at_number, at_place = header.index("number"), header.index("workplace")
    problems: list[str] = []
    found: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for row in reader:
        line_no = reader.line_num
        if not any(cell.strip() for cell in row):
            continue  # a blank line
        raw = row[at_number].strip() if at_number < len(row) else ""
        place = row[at_place].strip() if at_place < len(row) else ""
        number = e164(raw)
        if number is None:
            problems.append(f"{name}: line {line_no}: number: '{raw}' is not a phone number (e.g. 070-174 06 99)")
        if not place:
            problems.append(f"{name}: line {line_no}: workplace: empty")
        elif len(place) > MAX_WORKPLACE:
            problems.append(f"{name}: line {line_no}: workplace: longer than {MAX_WORKPLACE} characters")
        if number is None or not place or len(place) > MAX_WORKPLACE:
            continue
        if number in found and found[number] != place:
            problems.append(f"{name}: line {line_no}: number: {raw} is listed at line {first_line[number]} "
                            f"with another workplace ({found[number]})")
            continue
        found[number] = place
        first_line.setdefault(number, line_no)
    if problems:
        raise DataError(problems)
    return Directory(name, found)


def e164(text: str) -> str | None:
    """A number written any Swedish way (070-174 06 99, +46 70 174 06 99) as E.164, or None."""
    if not text:
        return None
    try:
        parsed = phonenumbers.parse(text, REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))
