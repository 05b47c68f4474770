"""Log lines: JSON in production, text otherwise; one record per line, no phone numbers, no control characters."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask import has_request_context, request

# Anything that looks like a phone number (E.164 or Swedish national) is masked in log text.
PHONE = re.compile(r"(?<![\w/])(?:\+|00)?\d[\d \-]{6,16}\d(?!\w)")

# Request paths and form fields reach log messages: a %0A in a path must not start a forged
# line, nor an ESC sequence drive the reader's terminal. Line and paragraph separators split
# lines in some viewers (and in Python's str.splitlines) too.
CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
TEXT_FORMAT = "[%(asctime)s] %(levelname)s in %(module)s: %(message)s"  # Flask's own


def escape_controls(text: str) -> str:
    """Each control character as a visible escape (a newline as the two characters \\n): one record, one line."""
    return CONTROLS.sub(_escaped, text)


def _escaped(match: re.Match[str]) -> str:
    char = match.group(0)
    return NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


class TextFormatter(logging.Formatter):
    """Flask's text format, one line per record: a traceback too is escaped onto its record's line."""

    def format(self, record: logging.LogRecord) -> str:
        """The usual text, phone numbers in the message masked, control characters escaped."""
        # Only the message and a traceback: the time stamp's digits would look like a number.
        masked = logging.makeLogRecord({**record.__dict__, "msg": mask_numbers(record.getMessage()), "args": None})
        return escape_controls(super().format(masked))

    def formatException(self, ei: Any) -> str:  # noqa: N802 - logging's name
        """The traceback, numbers masked (an exception's message may quote one)."""
        return mask_numbers(super().formatException(ei))


def mask_numbers(text: str) -> str:
    """'call from +46701740699' -> 'call from +46...699'; ids like CA… and times stay readable."""
    return PHONE.sub(lambda m: m.group(0)[:3] + "..." + m.group(0)[-3:] if len(m.group(0)) >= 9 else m.group(0), text)


class JsonFormatter(logging.Formatter):
    """Formats records as JSON with CallSid/MessageSid from the current webhook."""

    def format(self, record: logging.LogRecord) -> str:
        """One JSON object, no newline inside."""
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_numbers(record.getMessage()),
        }
        if has_request_context():
            entry["path"] = request.path
            for name in ("CallSid", "MessageSid", "ParentCallSid"):
                value = request.form.get(name) if request.method == "POST" else None
                if value:
                    entry[name] = value[:64]
        if record.exc_info:
            entry["error"] = mask_numbers(self.formatException(record.exc_info))
        # json.dumps escapes only U+0000-U+001F when it keeps non-ASCII text as it is.
        return CONTROLS.sub(lambda m: f"\\u{ord(m.group(0)):04x}", json.dumps(entry, ensure_ascii=False))


# gunicorn's access-log atoms kept in the JSON line (gunicorn's names -> ours). The query string
# is left out: action URLs carry the call's signed state. %(U)s is the path without it.
ACCESS_FIELDS = {"m": "method", "U": "path", "s": "status", "B": "bytes", "M": "duration_ms", "h": "remote",
                 "{x-forwarded-for}i": "forwarded_for", "a": "user_agent"}


class JsonAccessFormatter(logging.Formatter):
    """gunicorn's access log as JSON lines: one request per line, numbers masked, no query strings."""

    def format(self, record: logging.LogRecord) -> str:
        """One JSON object from the atoms gunicorn passes as the record's arguments."""
        atoms = record.args if isinstance(record.args, Mapping) else {}
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": "access",
        }
        for atom, name in ACCESS_FIELDS.items():
            try:
                value = atoms[atom]  # gunicorn's atoms answer "-" for a header the request lacked
            except KeyError:
                continue
            if isinstance(value, str) and value.isdigit() and name in ("status", "bytes", "duration_ms"):
                value = int(value)
            entry[name] = mask_numbers(value) if isinstance(value, str) else value
        return CONTROLS.sub(lambda m: f"\\u{ord(m.group(0)):04x}", json.dumps(entry, ensure_ascii=False))


# A load balancer probes /healthz every few seconds: an access line for each healthy answer would
# bury the calls' lines. A failing probe (any status but 200) is still logged.
PROBE_PATH = "/healthz"


class QuietProbes(logging.Filter):
    """Drops the access line of a /healthz answered 200; every other request's line passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        """False for a healthy probe alone."""
        atoms = record.args if isinstance(record.args, Mapping) else {}
        return not (atoms.get("U") == PROBE_PATH and str(atoms.get("s")) == "200")


def gunicorn_log_config() -> dict[str, Any]:
    """gunicorn's logconfig_dict: its own lines (gunicorn.error) and the access log as JSON like the app's.

    gunicorn merges this over its defaults key by key, so every key it has is given whole: its
    default root handler would print the app's records in its text format beside these.
    """
    return {
        "version": 1,
        "disable_existing_loggers": False,  # the app's loggers exist already
        "formatters": {"json": {"()": JsonFormatter}, "access": {"()": JsonAccessFormatter}},
        "filters": {"probes": {"()": QuietProbes}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
            "access": {"class": "logging.StreamHandler", "formatter": "access", "stream": "ext://sys.stdout",
                       "filters": ["probes"]},
        },
        "root": {"level": "INFO", "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
        },
    }


def use_json_logs(level: int = logging.INFO) -> None:
    """Send every logger's records to stderr as JSON lines."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def use_text_logs() -> None:
    """Escape control characters in Flask's text log handler (used when nothing else is configured)."""
    from flask.logging import default_handler

    default_handler.setFormatter(TextFormatter(TEXT_FORMAT))
