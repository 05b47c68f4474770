"""The webhook backend: the ticket as JSON, signed with HMAC-SHA256 over the body, for any other ITSM.

POST {url} with the body {"event": "ticket.created" | "ticket.caller_added", "key": ...,
"ticket_id": ... (for a follow-up), "ticket": {fields}, "text": ...} and the headers
X-Felsokningslinjen-Signature: sha256=<hex HMAC of the exact body with the shared secret> and
Idempotency-Key: <the outbox key> (a receiver drops a repeat after a lost answer). A JSON
answer with "id" is kept as the ticket's id.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from flows.ticket import Ticket, follow_up_text
from ivr.tickets.http import send_json

SIGNATURE_HEADER = "X-Felsokningslinjen-Signature"


def signature(secret: str, body: bytes) -> str:
    """The signature header's value for a body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookBackend:
    """A signed JSON POST."""

    name = "webhook"

    def __init__(self, options: Mapping[str, Any], secret: str | None) -> None:
        self.options = options
        self.secret = secret or ""

    def create(self, ticket: Ticket, key: str) -> str | None:
        return self._post({"event": "ticket.created", "key": key, "ticket": ticket.fields(), "text": ticket.text},
                          key)

    def add(self, remote_id: str, ticket: Ticket, key: str) -> str | None:
        self._post({"event": "ticket.caller_added", "key": key, "ticket_id": remote_id, "ticket": ticket.fields(),
                    "text": follow_up_text(ticket)}, key)
        return remote_id

    def _post(self, payload: dict[str, Any], key: str) -> str | None:
        body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
        answer = send_json("POST", str(self.options["url"]), body, timeout=float(self.options["timeout_seconds"]),
                           headers={SIGNATURE_HEADER: signature(self.secret, body), "Idempotency-Key": key})
        return str(answer["id"])[:64] if isinstance(answer, dict) and answer.get("id") else None
