"""The tickets a simulated conversation filed, or with no backend set up, would file (`ivr simulate --json`).

A simulator never files a real ticket: with a backend in line.yaml, its tickets go to a
RecordingBackend, and the outbox is run past the caller's time to decline them. With the
shipped config (`backend: none`) the line files nothing, and the ticket IT support would read
is made from the conversation's own answers, so an IT unit can see it before connecting one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Flask

from flows.routing import Decision
from flows.ticket import Ticket, ticket_content
from ivr import parts
from ivr.conversation.session import VOICE, Session
from ivr.privacy import reference_code, sms_session_id
from ivr.tickets.filing import AT_FINISH


class RecordingBackend:
    """A ticket backend that keeps what it was given (the simulator's and the golden conversations')."""

    name = "recording"

    def __init__(self) -> None:
        self.filed: list[dict[str, str]] = []

    def create(self, ticket: Ticket, key: str) -> str:
        self.filed.append({"created": ticket.brief, "text": ticket.text})
        return f"G-{len(self.filed)}"

    def add(self, remote_id: str, ticket: Ticket, key: str) -> None:
        self.filed.append({"added_to": remote_id, "text": ticket.text})


def record_tickets(app: Flask) -> None:
    """Send this app's tickets to a RecordingBackend, when line.yaml has a backend (never to the real ITSM)."""
    if parts.line(app).settings.tickets.enabled:
        app.extensions["ivr.ticket_backend"] = RecordingBackend()


def tickets_of(app: Flask, moment: datetime, channel: str, party: str, outcome: dict[str, Any] | None
               ) -> list[dict[str, Any]]:
    """The tickets filed (run past the time to decline them), or the one that would be; party: call id or sender."""
    backend = app.extensions.get("ivr.ticket_backend")
    if isinstance(backend, RecordingBackend):
        grace = timedelta(seconds=parts.line(app).settings.tickets.decline_seconds + 1)
        app.extensions["ivr.outbox"].send_due(moment + grace)
        return [{"filed": True, **item} for item in backend.filed]
    if outcome is None:
        return []
    decision = Decision.from_dict(outcome)
    if decision.outcome not in AT_FINISH:
        return []
    with app.app_context():
        session_id = f"voice:{party}" if channel == VOICE else sms_session_id(party)
        record = parts.store(app).get(session_id)
        state = Session.stored_state(channel, record.data if record is not None else None)
        ticket = ticket_content(parts.line(app), decision, state.answers if state else {},
                                outcome=decision.outcome.value, at=moment, code=reference_code(session_id),
                                channel=channel, caller=None)
    return [{"filed": False, "created": ticket.brief, "text": ticket.text}]

