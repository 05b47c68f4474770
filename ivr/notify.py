"""Outbound messages and calls through the Twilio REST API."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ivr.operations.logs import mask_numbers

# Twilio's REST client (and requests, under it) is imported at the first message sent, not with this
# module: 138 modules, ~3.6 MiB of every worker and ~0.05 s CPU of its start (measured December 2026
# on a started app), which a worker without a Twilio account never uses, and one with it needs only
# when it sends (its first message pays the import once, inside that turn's first try). A turn needs
# only NotifyError and the Protocol below (tests/test_worker_imports.py).
if TYPE_CHECKING:
    from twilio.http import HttpClient
    from twilio.rest import Client

log = logging.getLogger(__name__)

# Seconds one REST request may take: the outbox's first try runs inside a webhook, which Twilio
# gives 15 s in all (its lease, ivr/store/outbox.py, outlasts this).
REST_TIMEOUT_S = 5


class NotifyError(RuntimeError):
    """Twilio refused or could not be reached.

    retryable: worth trying again later (Twilio's 5xx or 429, a timeout, no connection); a refusal
    of the request itself (4xx: a bad number, a blocked recipient) is not.
    """

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


def _refusal(exc: Exception, what: str) -> NotifyError:
    """Twilio's exception as a NotifyError that says whether a retry may help."""
    from twilio.base.exceptions import TwilioRestException

    if isinstance(exc, TwilioRestException):
        status = int(exc.status or 0)
        return NotifyError(f"{what} failed: {exc}", retryable=status >= 500 or status in (408, 429))
    return NotifyError(f"{what} failed: {exc}", retryable=True)


class Notifier(Protocol):
    """What the line sends on its own initiative."""

    def send_sms(self, to: str, from_: str, body: str, status_callback: str | None = None) -> str:
        """Send one SMS (Twilio posts its delivery statuses to status_callback); returns the message id."""
        ...

    def create_call(self, to: str, from_: str, url: str) -> str:
        """Place a call whose TwiML comes from url; returns the call id."""
        ...


class TwilioNotifier:
    """The real thing: Twilio's REST client (its HTTP client can be swapped in tests)."""

    delivers = True  # a message it returns a sid for was accepted by Twilio

    def __init__(self, account_sid: str, auth_token: str, http_client: HttpClient | None = None) -> None:
        self._account = (account_sid, auth_token)
        self._http_client = http_client
        self._client: Client | None = None

    @property
    def client(self) -> Client:
        """Twilio's REST client, made (and imported: see the top of this module) at the first message."""
        if self._client is None:
            from twilio.http.http_client import TwilioHttpClient
            from twilio.rest import Client

            # Twilio's own client waits forever by default: a stalled API must not hold a webhook.
            self._client = Client(*self._account,
                                  http_client=self._http_client or TwilioHttpClient(timeout=REST_TIMEOUT_S))
        return self._client

    def send_sms(self, to: str, from_: str, body: str, status_callback: str | None = None) -> str:
        """Send one SMS."""
        client = self.client
        from requests import RequestException
        from twilio.base.exceptions import TwilioException

        extra = {"status_callback": status_callback} if status_callback else {}
        try:
            return str(client.messages.create(to=to, from_=from_, body=body, **extra).sid)
        except (TwilioException, RequestException) as exc:
            raise _refusal(exc, "SMS to Twilio") from exc

    def create_call(self, to: str, from_: str, url: str) -> str:
        """Place an outbound call."""
        client = self.client
        from requests import RequestException
        from twilio.base.exceptions import TwilioException

        try:
            return str(client.calls.create(to=to, from_=from_, url=url).sid)
        except (TwilioException, RequestException) as exc:
            raise _refusal(exc, "call through Twilio") from exc


@dataclass
class LogNotifier:
    """Without a Twilio account (development, `ivr simulate`): log and remember instead of sending.

    outbox: a file that each message is also appended to as one JSON line (IVR_OUTBOX_FILE), so that
    a test driving a live server reads the SMS it "sent" (the console's sign-in code).
    """

    sent: list[dict[str, Any]] = field(default_factory=list)
    outbox: str | None = None
    delivers = False  # nothing leaves the machine: the outbox marks its rows "logged", metrics count none

    def send_sms(self, to: str, from_: str, body: str, status_callback: str | None = None) -> str:
        """Record an SMS that would have been sent."""
        self._record({"kind": "sms", "to": to, "from": from_, "body": body})
        # Never the body: it may hold a sign-in code or a caller's number.
        log.info("SMS not sent (no Twilio account): to=%s, %d characters", mask_numbers(to), len(body))
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
