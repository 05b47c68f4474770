"""The SMS texts; built in flows/sms_text.py, where `ivr check` renders every one of them too."""

from __future__ import annotations

from flows.sms_text import SmsRenderer, every_text

__all__ = ["SmsRenderer", "every_text"]
