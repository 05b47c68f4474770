"""One JSON request to an ITSM, and its failures in words: DNS, TLS, a refused password, a refusal, a timeout.

Shared by the HTTP backends (Easit GO, TOPdesk, the webhook). Uses requests (a dependency of
twilio's client already), with a timeout on every request: a slow ITSM holds a sender's row
under its lease (ivr/store/outbox.py), never a caller.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ivr.tickets import TicketError

# requests is imported at the first ticket sent, not with this module: 126 modules (with urllib3 and
# charset_normalizer), ~3.4 MiB of a worker and ~0.05 s CPU of its start (measured December 2026 on a
# started app), which a worker whose line files tickets by HTTP loads at start (the outbox's sender
# asks backend_for) but needs only when a ticket is sent.
if TYPE_CHECKING:
    import requests

USER_AGENT = "Felsokningslinjen-tickets/1"


def send_json(method: str, url: str, body: bytes, *, timeout: float, auth: tuple[str, str] | None = None,
              headers: dict[str, str] | None = None) -> Any:
    """The parsed JSON answer (None for an empty one) to a 2xx; TicketError for anything else."""
    import requests

    sent = {"Content-Type": "application/json", "Accept": "application/json", "User-Agent": USER_AGENT,
            **(headers or {})}
    try:
        response = requests.request(method, url, data=body, auth=auth, headers=sent, timeout=timeout,
                                    allow_redirects=False)
    except requests.exceptions.SSLError as exc:
        raise TicketError(f"TLS: the ITSM's certificate was not accepted ({_short(exc)})", True) from None
    except requests.exceptions.Timeout:
        raise TicketError(f"timeout: no answer within {timeout:g} s", True) from None
    except requests.exceptions.ConnectionError as exc:
        text = str(exc)
        if "NameResolution" in text or "Name or service not known" in text or "getaddrinfo" in text:
            raise TicketError(f"DNS: the ITSM's address could not be found ({_host(url)})", True) from None
        raise TicketError(f"connection: the ITSM could not be reached ({_short(exc)})", True) from None
    except requests.exceptions.RequestException as exc:
        raise TicketError(f"request failed: {_short(exc)}", True) from None
    return _answer(response)


def _answer(response: requests.Response) -> Any:
    status = response.status_code
    if status in (401, 403):
        raise TicketError(f"{status}: the ITSM refused the credentials (check the API key or password)", False)
    if status == 429 or status >= 500:
        raise TicketError(f"{status}: the ITSM is unavailable for now ({_message(response)})", True)
    if not 200 <= status < 300:
        raise TicketError(f"{status}: the ITSM refused the ticket: {_message(response)}", False)
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _message(response: requests.Response) -> str:
    """The ITSM's own message, short: a JSON message field where there is one, else the text."""
    try:
        data = response.json()
    except ValueError:
        return response.text.strip()[:160] or response.reason or "no message"
    if isinstance(data, list) and data and isinstance(data[0], dict):
        data = data[0]
    if isinstance(data, dict):
        for key in ("message", "errorMessage", "error", "detail"):
            if data.get(key):
                return str(data[key])[:160]
    return json.dumps(data, ensure_ascii=False)[:160]


def _host(url: str) -> str:
    return url.split("//", 1)[-1].split("/", 1)[0]


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
