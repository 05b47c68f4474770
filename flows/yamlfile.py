"""Reading YAML data files with errors that name the file and the path inside it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from flows.model import LANGUAGES


class _Loader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false. In YAML 1.1 `yes`, `no`, `on` and `off`
    are booleans too, which would turn a step's `yes:` key into True."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)

# libyaml's parser where PyYAML was built with it. Why: measured, the pure-Python parser was ~9x
# slower on the shipped checklists and config (0.089 s against 0.010 s, a tenth of the start-up; bench/README.md,
# December 2026). Its constructor and resolvers (the YAML 1.2 booleans above) are PyYAML's own, so
# both give the same data; a file libyaml refuses is read again by the pure-Python one, whose
# error messages are the ones people have always been shown.
_FastLoader: Any = _Loader
if getattr(yaml, "__with_libyaml__", False):

    class _CLoader(yaml.CSafeLoader):
        """_Loader's resolvers on libyaml's parser."""

    _CLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
    _FastLoader = _CLoader


class DataError(ValueError):
    """One or more problems in the line's data files, each naming file and path."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def display_path(path: Path) -> str:
    """The file as a person edits it: `checklists/viva.yaml` rather than an absolute path."""
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def read_yaml(path: Path) -> Any:
    """Parse one YAML file; unreadable files and syntax errors become a DataError."""
    name = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError([f"{name}: file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError([f"{name}: cannot read: {exc}"]) from None
    try:
        return yaml.load(text, Loader=_FastLoader)  # noqa: S506 - a SafeLoader or CSafeLoader subclass
    except yaml.YAMLError:
        pass  # said below in the pure-Python parser's words
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise DataError([f"{name}: {where}invalid YAML: {problem}"]) from None


class Problems:
    """Collects problems for one file so that a single check reports all of them."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[str] = []

    def add(self, path: str, message: str) -> None:
        """Record one problem at a path inside the file ('' for the whole file)."""
        self.items.append(f"{self.source}: {path}: {message}" if path else f"{self.source}: {message}")

    def raise_if_any(self) -> None:
        """Raise a DataError carrying every problem found."""
        if self.items:
            raise DataError(self.items)

    def mapping(self, value: Any, path: str) -> Mapping[str, Any] | None:
        """The value as a mapping, or None after recording why it is not one."""
        if isinstance(value, Mapping):
            return value
        self.add(path, f"must be a mapping, not {type_name(value)}")
        return None

    def keys(
        self, data: Mapping[str, Any], path: str, required: Iterable[str], optional: Iterable[str]
    ) -> None:
        """Record missing required keys and keys nobody reads (usually a typo)."""
        required = list(required)
        known = set(required) | set(optional)
        for key in required:
            if key not in data:
                self.add(path, f"missing key '{key}'")
        for key in data:
            if key not in known:
                self.add(join(path, str(key)), f"unknown key (expected one of: {', '.join(sorted(known))})")

    def text(self, value: Any, path: str, languages: Iterable[str] = LANGUAGES) -> dict[str, str]:
        """A text in every language: {sv: ..., en: ...}, each non-empty."""
        data = self.mapping(value, path)
        if data is None:
            return {}
        languages = list(languages)
        result: dict[str, str] = {}
        for lang in languages:
            item = data.get(lang)
            if item is None:
                self.add(path, f"missing text for language '{lang}'")
            elif not isinstance(item, str) or not item.strip():
                self.add(join(path, lang), "must be a non-empty text")
            else:
                result[lang] = " ".join(item.split())
        for lang in data:
            if lang not in languages:
                self.add(join(path, str(lang)), f"unknown language (expected {', '.join(languages)})")
        return result


def join(path: str, key: str) -> str:
    """Extend a dotted path: join('steps[2]', 'fact') -> 'steps[2].fact'."""
    return f"{path}.{key}" if path else key


def type_name(value: Any) -> str:
    """A YAML-ish name for a value's type, for error messages."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "a yes/no value"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a text"
    if isinstance(value, list):
        return "a list"
    return "a mapping" if isinstance(value, Mapping) else type(value).__name__
