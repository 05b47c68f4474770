"""Outbound messages and calls through the Twilio REST API."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from twilio.base.exceptions import TwilioException
from twilio.http import HttpClient
from twilio.rest import Client

log = logging.getLogger(__name__)


class NotifyError(RuntimeError):
    """Twilio refused or could not be reached."""


class Notifier(Protocol):
    """What the line sends on its own initiative."""

    def send_sms(self, to: str, from_: str, body: str) -> str:
        """Send one SMS; returns the message id."""
        ...

    def create_call(self, to: str, from_: str, url: str) -> str:
        """Place a call whose TwiML comes from url; returns the call id."""
        ...


class TwilioNotifier:
    """The real thing: Twilio's REST client (its HTTP client can be swapped in tests)."""

    def __init__(self, account_sid: str, auth_token: str, http_client: HttpClient | None = None) -> None:
        self.client = Client(account_sid, auth_token, http_client=http_client)

    def send_sms(self, to: str, from_: str, body: str) -> str:
        """Send one SMS."""
        try:
            return str(self.client.messages.create(to=to, from_=from_, body=body).sid)
        except TwilioException as exc:
            raise NotifyError(f"SMS to Twilio failed: {exc}") from exc

    def create_call(self, to: str, from_: str, url: str) -> str:
        """Place an outbound call."""
        try:
            return str(self.client.calls.create(to=to, from_=from_, url=url).sid)
        except TwilioException as exc:
            raise NotifyError(f"call through Twilio failed: {exc}") from exc


@dataclass
class LogNotifier:
    """Without a Twilio account (development, `ivr simulate`): log and remember instead of sending.

    outbox: a file that each message is also appended to as one JSON line (IVR_OUTBOX_FILE), so that
    a test driving a live server reads the SMS it "sent" (the console's sign-in code).
    """

    sent: list[dict[str, Any]] = field(default_factory=list)
    outbox: str | None = None

    def send_sms(self, to: str, from_: str, body: str) -> str:
        """Record an SMS that would have been sent."""
        self._record({"kind": "sms", "to": to, "from": from_, "body": body})
        log.info("SMS not sent (no Twilio account): to=%s body=%s", to, body)
        return f"SMlocal{len(self.sent):030d}"

    def create_call(self, to: str, from_: str, url: str) -> str:
        """Record a call that would have been placed."""
        self._record({"kind": "call", "to": to, "from": from_, "url": url})
        log.info("call not placed (no Twilio account): to=%s url=%s", to, url)
        return f"CAlocal{len(self.sent):030d}"

    def _record(self, message: dict[str, Any]) -> None:
        self.sent.append(message)
        if self.outbox:
            with open(self.outbox, "a", encoding="utf-8") as out:
                out.write(json.dumps(message, ensure_ascii=False) + "\n")
