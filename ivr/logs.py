"""JSON log lines for production: one object per line, the call or message id on each, no phone numbers."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

from flask import has_request_context, request

# Anything that looks like a phone number (E.164 or Swedish national) is masked in log text.
PHONE = re.compile(r"(?<![\w/])(?:\+|00)?\d[\d \-]{6,16}\d(?!\w)")


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
        return json.dumps(entry, ensure_ascii=False)


def use_json_logs(level: int = logging.INFO) -> None:
    """Send every logger's records to stderr as JSON lines."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
