"""The line's own words (config/messages.yaml): prompts, hints and outcome texts."""

from __future__ import annotations

import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flows.model import LANGUAGES, Text
from flows.yamlfile import DataError, Problems, display_path, join, read_yaml

PLACEHOLDERS = frozenset({
    "it_support", "portal", "contact", "contact_number", "supplier", "status", "opening",
    "system", "step", "total", "key", "items", "text", "caller", "facts", "number", "count", "time", "code",
    "minutes",
})
SECTIONS = ("voice", "whisper", "sms", "receipt")


@dataclass(frozen=True)
class Messages:
    """Texts by section, key and language, with {placeholders}."""

    texts: dict[str, dict[str, Text]]

    def get(self, section: str, name: str, lang: str, /, **values: object) -> str:
        """One text filled in; a missing name is a programming error and raises KeyError."""
        return self.texts[section][name][lang].format(**values)

    def items(self) -> Iterator[tuple[str, str, str, str]]:
        """Every (section, key, lang, template), for checks over all texts."""
        for section, entries in self.texts.items():
            for key, text in entries.items():
                for lang, template in text.items():
                    yield section, key, lang, template


def placeholders(template: str) -> set[str]:
    """The {names} a template uses."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def load_messages(path: Path, languages: tuple[str, ...] = LANGUAGES) -> Messages:
    """Load and validate the message catalogue."""
    return parse_messages(read_yaml(path), display_path(path), languages)


def parse_messages(data: Any, source: str, languages: tuple[str, ...] = LANGUAGES) -> Messages:
    """Validate a parsed catalogue: every text in every language, only known placeholders."""
    problems = Problems(source)
    top = problems.mapping(data, "") or {}
    problems.keys(top, "", SECTIONS, ())
    texts: dict[str, dict[str, Text]] = {}
    for section in SECTIONS:
        entries = problems.mapping(top.get(section, {}), section) or {}
        texts[section] = {}
        for key, value in entries.items():
            path = join(section, str(key))
            text = problems.text(value, path, languages)
            for lang, template in text.items():
                try:
                    used = placeholders(template)
                except ValueError as exc:
                    problems.add(join(path, lang), f"broken {{placeholder}}: {exc}")
                    continue
                for name in sorted(used - PLACEHOLDERS):
                    problems.add(join(path, lang), f"unknown placeholder {{{name}}}")
            texts[section][str(key)] = text
    problems.raise_if_any()
    return Messages(texts)


__all__ = ["DataError", "Messages", "load_messages", "parse_messages", "placeholders"]
