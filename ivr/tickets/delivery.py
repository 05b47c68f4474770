"""Sending an outbox row of channel "ticket": create the ticket, or add a caller to her incident's ticket.

The outbox sender (ivr/outbox/sender.py) calls attempt() for a claimed row. A row of kind
"ticket" creates one; a row of kind "ticket_note" names its incident's ticket row (body
["ticket"]["parent"]): once that one is filed it adds to it, while it waits the note waits
too, and if it was given up the note files a ticket of its own. The remote id the ITSM
returns is kept as the row's provider_id (`ivr lookup`, the console).

Tickets are retried longer than SMS: an ITSM down for a night still gets the ticket at
08:00. Each wait doubles up to MAX_RETRY, for up to GIVE_UP; a refusal (401, a missing
field) is given up at once. Either way the admins hear of it once (alerts()).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flows.line import Line
from flows.ticket import ticket_from_fields
from ivr.store.outbox import Claimed, OutboxStore, Outgoing
from ivr.tickets import Backend, TicketError

log = logging.getLogger(__name__)

KINDS = ("ticket", "ticket_note")
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(minutes=15)
GIVE_UP = timedelta(days=3)  # a long weekend with the ITSM down; then the admins file it by hand


def attempt(row: Claimed, backend: Backend | None, outbox: OutboxStore) -> str:
    """File one row's ticket; the ITSM's id for it ("" when it gives none). TicketError when it did not."""
    if backend is None:
        raise TicketError("no ticket backend is configured (config/line.yaml tickets.backend)", False)
    body: dict[str, Any] = row.body or {}
    fields, text = body.get("ticket") or {}, str(body.get("text") or "")
    if not fields or not text:
        raise TicketError("nothing to file: the row has no ticket", False)
    ticket = ticket_from_fields(fields, text)
    parent_key = fields.get("parent")
    if row.kind == "ticket_note" and parent_key:
        parent = outbox.by_key(str(parent_key))
        if parent is not None and parent["state"] in ("pending", "sending"):
            raise TicketError("waiting: the incident's ticket is not filed yet", True)
        if parent is not None and parent["state"] == "delivered" and parent["provider_id"]:
            return backend.add(str(parent["provider_id"]), ticket, row.key) or str(parent["provider_id"])
        # The incident's ticket was given up (or has no id to add to): this caller's stands on its own.
    return backend.create(ticket, row.key) or ""


def retry_at(row: Claimed, now: datetime, retryable: bool) -> datetime | None:
    """When to try a failed ticket again; None: give up (refused, or GIVE_UP after it was decided)."""
    if not retryable or now - row.created_at >= GIVE_UP:
        return None
    delay: timedelta = FIRST_RETRY * (2 ** max(0, row.attempts - 1))
    return now + min(delay, MAX_RETRY)


def alerts(outbox: OutboxStore, line: Line, now: datetime, send: Callable[[list[int]], None]) -> int:
    """One SMS to each admin when a ticket has waited longer than tickets.alert_after_minutes; how many rows.

    Keyed by the oldest waiting ticket, so an ITSM outage alerts once however many tickets wait,
    and again only for a ticket that starts waiting after the first was filed.
    """
    settings = line.settings
    if not settings.tickets.enabled or not settings.admins or not settings.line_number:
        return 0
    waiting = outbox.waiting("ticket", now - timedelta(minutes=settings.tickets.alert_after_minutes))
    if not waiting:
        return 0
    oldest = waiting[0]
    text = (f"Felsökningslinjen: {len(waiting)} ärende(n) har inte kommit in i IT-portalen "
            f"({settings.tickets.backend}). Senaste fel: {str(oldest['last_error'] or 'okänt')[:60]}. "
            "Se ivr outbox list.")
    ids = [row_id for admin in sorted(settings.admins) if (row_id := outbox.enqueue_alone(Outgoing(
        kind="ticket_alert", key=f"ticket_alert:{oldest['id']}:{admin}", target=admin, text=text,
        sender=settings.line_number), now)) is not None]
    if ids:
        log.error("tickets: %d waiting longer than %d minutes; the admins are texted", len(waiting),
                  settings.tickets.alert_after_minutes)
        send(ids)
    return len(ids)


def given_up(outbox: OutboxStore, line: Line, row: Claimed, error: str, now: datetime,
             send: Callable[[list[int]], None]) -> None:
    """A ticket refused for good (401, a missing field) or past GIVE_UP: the admins get one SMS about it."""
    settings = line.settings
    if not settings.admins or not settings.line_number:
        return
    code = str(((row.body or {}).get("ticket") or {}).get("code", ""))
    text = (f"Felsökningslinjen: ärendet {code} kunde inte skapas ({settings.tickets.backend}): "
            f"{error[:80]}. Skapa det för hand: ivr lookup {code}")
    ids = [row_id for admin in sorted(settings.admins) if (row_id := outbox.enqueue_alone(Outgoing(
        kind="ticket_alert", key=f"ticket_dead:{row.id}:{admin}", target=admin, text=text,
        sender=settings.line_number), now)) is not None]
    send(ids)
