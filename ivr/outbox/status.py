"""Twilio's message status callbacks: POST /sms/status/<row id>, signed like every webhook.

Each moves the row's state forward (queued, sent, delivered, undelivered, failed);
a callback that arrives twice or late changes nothing and is answered the same.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request

from ivr.outbox.sender import app_sender
from ivr.store import StoreError

log = logging.getLogger(__name__)

bp = Blueprint("outbox", __name__)


@bp.post("/sms/status/<int:row_id>")
def status(row_id: int) -> Response:
    """Record a delivery status; 204 whatever it changed (Twilio needs no answer, and must not retry)."""
    sender = app_sender(current_app)
    try:
        transition = sender.store.outbox.status(row_id, request.form.get("MessageSid", ""),
                                                request.form.get("MessageStatus", ""),
                                                request.form.get("ErrorCode") or None, sender.clock())
    except StoreError as exc:
        log.error("message status not recorded: %s", exc)
        return Response(status=503)  # Twilio retries a failed callback
    if transition is not None and sender.observe is not None:
        sender.observe(transition)
    return Response(status=204)
