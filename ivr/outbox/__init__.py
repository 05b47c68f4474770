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
  directly, once, and its failure only logged; once the database answers again it is
  recorded as a row already sent under its key (ivr/outbox/direct.py).
- A message decided outside any caller's turn (an admin's repair alert) goes through
  send_alone(): a row in a transaction of its own, tried at once; without the database, sent
  directly as above.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app

from ivr import parts
from ivr.notify import NotifyError
from ivr.operations import metrics
from ivr.operations.state_folder import state_folder
from ivr.outbox.direct import DIRECT, FILE_NAME, LOGGED, DirectSends
from ivr.store import SessionRecord, StoreError
from ivr.store.outbox import DirectSend, Outgoing
from ivr.web.turn_context import turn_context

__all__ = ["Outgoing", "init_app", "send", "send_alone", "send_unstored"]

log = logging.getLogger(__name__)

DIRECT_SENDS = "ivr.direct_sends"  # app.extensions: the DirectSends of this app


def send(record: SessionRecord, message: Outgoing) -> None:
    """Queue a message in the turn's transaction (sent after its commit); without a database, send it now."""
    if record.in_turn:  # a turn without its database never is
        turn_context().store.enqueue(record, message)
        return
    send_unstored([message], record.id)


def send_alone(messages: list[Outgoing]) -> None:
    """Messages no caller's turn decides (an alert to the admins): rows of their own, tried now; never raises.

    Without the database (it may be what failed), the fault policy's direct send.
    """
    context = turn_context(memory_only=True)
    store = context.store
    try:
        added = store.outbox.enqueue_many(messages, context.now)
    except StoreError as exc:
        log.error("outbox: %s not stored (%s); sent directly", ", ".join(sorted({m.kind for m in messages})), exc)
        send_unstored(messages)
        return
    if added and store.on_enqueued is not None:
        store.on_enqueued(added)  # committed: the first try now (the sender never raises)


def send_unstored(messages: list[Outgoing], session_id: str | None = None) -> None:
    """The fault policy's direct send: one try each, failures logged; never raises.

    Each one sent is remembered under its key and recorded in the outbox table once the database
    answers again (ivr/outbox/direct.py), so a replay of the webhook then sends it no second time.
    session_id: the conversation that decided it (its row's session).
    """
    context = turn_context(memory_only=True)
    notifier = context.notifier
    delivers = getattr(notifier, "delivers", True)
    direct = current_app.extensions.get(DIRECT_SENDS)
    for message in messages:
        try:
            if message.channel == "call" and message.url:
                sid = notifier.create_call(message.target, message.sender, message.url)
            else:
                sid = notifier.send_sms(message.target, message.sender, message.text)
            log.warning("%s sent directly, without the database (key %s)", message.kind, message.key)
        except NotifyError as exc:
            log.error("%s not sent (no database, one try): %s", message.kind, exc)
            if delivers and message.channel == "sms":
                metrics.sms_failed(message.kind)
            continue
        except Exception:  # noqa: BLE001 - a failed message must not turn a turn into the fault answer
            log.exception("%s not sent (no database, one try)", message.kind)
            continue
        if delivers and message.channel == "sms":
            metrics.sms_sent(message.kind)  # Twilio accepted it (the outbox's rows are counted by state)
        if isinstance(direct, DirectSends):
            direct.remember(DirectSend(
                key=message.key, kind=message.kind, channel=message.channel, session_id=session_id,
                sid=str(sid), at=context.now.isoformat(), state=DIRECT if delivers else LOGGED,
                audit=message.audit))


def init_app(app: Flask) -> None:
    """The app's sender: the first try after each commit, the retrying worker, Twilio's status callbacks."""
    from ivr.outbox import status, worker
    from ivr.outbox.sender import SENDER, Sender

    sender = Sender.for_app(app)
    app.extensions[SENDER] = sender
    sender.store.on_enqueued = sender.send_now
    # The direct sends of turns without the database, recorded before the next turn and by the worker.
    settings = parts.settings(app)
    direct = DirectSends(state_folder(settings.state_dir) / FILE_NAME)
    app.extensions[DIRECT_SENDS] = direct
    sender.direct = direct

    def record_direct() -> None:
        direct.record(sender.store.outbox, sender.clock())

    sender.store.before_turn = record_direct
    app.register_blueprint(status.bp)
    if parts.settings(app).outbox_worker:
        worker.init_app(app, sender)
