"""The service's environment file, read as systemd's EnvironmentFile= reads it, for `ivr --env-file FILE`.

The format (systemd's src/basic/env-file.c): NAME=value lines; a line whose first non-blank
character is # or ; is a comment, and only such a line (`KEY=a # b` is the value "a # b");
blanks around the name and around an unquoted value are dropped; '...' keeps everything as it
is; "..." unescapes \\" \\\\ \\` \\$ and keeps any other backslash; outside quotes a backslash keeps
the next character; a backslash at a line's end joins the next line; nothing like $OTHER is
expanded. python-dotenv reads another dialect (inline comments, `export`, ${VAR} expansion),
which would give a secret containing " #" or "$" a different value than the service gets.

Stricter than systemd, which skips such lines in silence: a line with no '=', a name that is not
a variable name, or a quote never closed is an error naming the file and the line, so that the
operator's command never runs on half of the service's settings. An error never quotes a value:
the file holds secrets.
"""

from __future__ import annotations

import re
from pathlib import Path

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
BLANKS = " \t"
COMMENTS = "#;"
# Inside double quotes a backslash escapes these (the shell's), and stays before anything else.
DOUBLE_QUOTE_ESCAPES = '"\\`$'


class EnvFileError(ValueError):
    """The file cannot be read, or one of its lines is not NAME=value; the message names file and line."""


def read_env_file(path: Path) -> dict[str, str]:
    """The variables the file sets, in its order (a name set twice: the last value)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise EnvFileError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise EnvFileError(f"{path}, line {line}: not UTF-8 text") from None
    return parse_env(text, str(path))


def parse_env(text: str, source: str) -> dict[str, str]:
    """Parse the text of an environment file; `source` names it in errors."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # systemd ends a line at either
    values: dict[str, str] = {}
    pos, line = 0, 1
    while pos < len(text):
        char = text[pos]
        if char == "\n":
            pos, line = pos + 1, line + 1
        elif char in BLANKS:
            pos += 1
        elif char in COMMENTS:
            end = text.find("\n", pos)
            pos = len(text) if end < 0 else end
        else:
            end = text.find("\n", pos)
            stop = len(text) if end < 0 else end
            equals = text.find("=", pos, stop)
            if equals < 0:
                raise EnvFileError(f"{source}, line {line}: no '=' on this line (expected NAME=value)")
            name = text[pos:equals].rstrip(BLANKS)
            if not NAME.match(name):
                shown = name if len(name) <= 40 else name[:40] + "..."
                raise EnvFileError(f"{source}, line {line}: {shown!r} is not a variable name "
                                   "(expected NAME=value: letters, digits and _, no 'export')")
            value, pos, end_line = read_value(text, equals + 1, line, source)
            if "\0" in value:
                raise EnvFileError(f"{source}, line {line}: the value of {name} holds a NUL character")
            values[name] = value
            line = end_line
    return values


def read_value(text: str, pos: int, line: int, source: str) -> tuple[str, int, int]:
    """The value starting after '=' at pos; where it ends (its newline, or the text's end) and on which line.

    systemd's states: before the value (blanks skipped; a quote opens), an unquoted value (quotes
    are plain characters there; trailing blanks dropped), '...', "..." and the backslash escapes.
    """
    out: list[str] = []
    trailing: int | None = None  # where a run of blanks in an unquoted value began
    state, started = "before", line
    while pos < len(text):
        char = text[pos]
        pos += 1
        if state in ("before", "plain") and char == "\n":
            return finished(out, trailing if state == "plain" else None), pos - 1, line
        if char == "\n":
            line += 1  # inside quotes, or a backslash's continued line
        if state == "before":
            if char in "'\"":
                state = char
            elif char == "\\":
                state = "plain-escape"
            elif char not in BLANKS:
                state = "plain"
                out.append(char)
        elif state == "plain":
            if char == "\\":
                state, trailing = "plain-escape", None
            else:
                if char not in BLANKS:
                    trailing = None
                elif trailing is None:
                    trailing = len(out)
                out.append(char)
        elif state == "plain-escape":
            state = "plain"
            if char != "\n":
                out.append(char)
        elif state == "'":
            if char == "'":
                state = "before"
            else:
                out.append(char)
        elif state == '"':
            if char == '"':
                state = "before"
            elif char == "\\":
                state = "double-escape"
            else:
                out.append(char)
        else:  # a backslash inside "..."
            state = '"'
            if char in DOUBLE_QUOTE_ESCAPES:
                out.append(char)
            elif char != "\n":
                out.append("\\" + char)
    if state in ("'", '"', "double-escape"):
        mark = "'" if state == "'" else '"'
        raise EnvFileError(f"{source}, line {started}: the {mark} opened in this value is never closed")
    return finished(out, trailing if state == "plain" else None), pos, line


def finished(out: list[str], trailing: int | None) -> str:
    """The value without the unquoted blanks it ends with."""
    return "".join(out if trailing is None else out[:trailing])
