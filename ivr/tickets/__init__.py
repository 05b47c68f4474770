"""Tickets in the IT unit's ITSM: the line files one for a caller it sends to IT support.

One backend a line (config/line.yaml `tickets.backend`), one module each:

- email.py    SMTP with STARTTLS and authentication (the mail-to-ticket route every ITSM has)
- easit.py    Easit GO's integration API (POST {base}/integration-api/items)
- topdesk.py  TOPdesk's incident API (POST /tas/api/incidents)
- webhook.py  a JSON POST signed with HMAC-SHA256, for anything else

A backend `create`s a ticket (the remote id, when the ITSM returns one) and `add`s a later
caller about the same incident to it (ivr/tickets/filing.py decides which). It raises
TicketError saying plainly what failed and whether a retry can help; the outbox
(ivr/outbox/sender.py, channel "ticket") retries and alerts. Nothing here runs in a caller's
turn: a ticket never delays the caller.
"""

from __future__ import annotations

from typing import Protocol

from flows.ticket import Ticket


class TicketError(Exception):
    """The ITSM did not take the ticket: why, in words an admin can act on, and whether to try again."""

    def __init__(self, message: str, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class Backend(Protocol):
    """Files a ticket in one ITSM."""

    name: str

    def create(self, ticket: Ticket, key: str) -> str | None:
        """File a new ticket; its id in the ITSM (None when the ITSM answers with none). key: idempotency."""

    def add(self, remote_id: str, ticket: Ticket, key: str) -> str | None:
        """Add one more caller to the ticket remote_id (a note, an action, a reply); the note's id if any."""
