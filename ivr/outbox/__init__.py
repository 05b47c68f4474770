"""The outbox: every outbound message is a row written in the turn that decides it, sent after the commit.

How a turn sends a message (the manager SMS, the receipt, and later the incident SMS,
alerts, call-backs and tickets)::

    from ivr import outbox
    from ivr.store.outbox import Outgoing

    outbox.send(record, Outgoing(kind="incident_sms", key=f"{record.id}:incident_sms:{run_start}",
                                 target=number, text=body, sender=line_number,
                                 audit={"sent": EventKind.INCIDENT_ALERT, "failed": EventKind.INCIDENT_ALERT_FAILED,
                                        "system": system, "data": {"count": n}}))

- The key names the conversation and the decision, never the moment: a replayed or
  retried webhook, or the same turn run twice, enqueues the same key, which adds no row
  and so sends nothing new.
- The row commits with the turn or not at all. Right after the commit the sender tries it
  once, in the same request (ivr/outbox/sender.py; a REST call of at most a few seconds);
  after that a thread in each server process (ivr/outbox/worker.py) retries it with
  backoff, also after a restart. `ivr outbox send` does the same by hand.
- The audit events named in `audit` are written when the message is accepted ("sent") or
  given up ("failed"), not when it is decided.
- Without the database (a turn on the null store, ivr/store/null.py), the fault policy holds: the message is sent
  directly, once, and its failure only logged.
"""

from __future__ import annotations

import logging

from flask import Flask

from ivr import parts
from ivr.notify import NotifyError
from ivr.store import SessionRecord
from ivr.store.outbox import Outgoing
from ivr.web.turn_context import turn_context

__all__ = ["Outgoing", "init_app", "send", "send_unstored"]

log = logging.getLogger(__name__)


def send(record: SessionRecord, message: Outgoing) -> None:
    """Queue a message in the turn's transaction (sent after its commit); without a database, send it now."""
    if record.in_turn:  # a turn without its database never is
        turn_context().store.enqueue(record, message)
        return
    send_unstored([message])


def send_unstored(messages: list[Outgoing]) -> None:
    """The fault policy's direct send: no row to keep, one try each, failures logged; never raises."""
    notifier = turn_context().notifier
    for message in messages:
        try:
            if message.channel == "call" and message.url:
                notifier.create_call(message.target, message.sender, message.url)
            else:
                notifier.send_sms(message.target, message.sender, message.text)
            log.warning("%s sent directly, without the database (key %s)", message.kind, message.key)
        except NotifyError as exc:
            log.error("%s not sent (no database, one try): %s", message.kind, exc)
        except Exception:  # noqa: BLE001 - a failed message must not turn a turn into the fault answer
            log.exception("%s not sent (no database, one try)", message.kind)


def init_app(app: Flask) -> None:
    """The app's sender: the first try after each commit, the retrying worker, Twilio's status callbacks."""
    from ivr.outbox import status, worker
    from ivr.outbox.sender import SENDER, Sender

    sender = Sender.for_app(app)
    app.extensions[SENDER] = sender
    sender.store.on_enqueued = sender.send_now
    app.register_blueprint(status.bp)
    if parts.settings(app).outbox_worker:
        worker.init_app(app, sender)
