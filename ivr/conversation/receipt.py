"""The SMS receipt after a call: queued where the voice outcome is recorded, sent after the turn's commit.

The code comes from a keyed hash of the session id, so a call has the same code
whether or not its database answered; it is stored on the session
(sessions.ref) for `ivr lookup`. With the database down the receipt still goes
out, saying that the answers were not saved: its code is then only in the
server's log line below.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flows.events import EventKind
from flows.receipt import DIALLED, receipt_text
from flows.routing import Decision
from ivr import outbox
from ivr.conversation.steps import durable
from ivr.notify import NotifyError
from ivr.operations.logs import mask_numbers
from ivr.outbox import Outgoing
from ivr.privacy import reference_code
from ivr.store import SessionRecord
from ivr.tickets import filing as tickets
from ivr.web.turn_context import turn_context

log = logging.getLogger(__name__)


def send_receipt(record: SessionRecord, decision: Decision, lang: str, sender: str, code_passed: bool,
                 result: str | None = None, at: datetime | None = None) -> bool:
    """Give the call its code and, when the settings say so, text the caller the receipt.

    result: for an outcome that dials (flows.receipt.DIALLED), how the dial went ("connected" at `at`, or
    "unanswered"); such an outcome is receipted only then. One receipt per call whatever is replayed.
    A failure is logged and audited; it never raises, so the caller hears the same either way.
    True when the receipt was queued (the call may then say that the number comes by SMS).
    """
    context = turn_context()
    record.ref = reference_code(record.id)
    if decision.outcome in DIALLED and result is None:
        return False  # its receipt says how the dial went, so it waits for the dial's result
    if not context.line.settings.wants_receipt(record.caller, decision.outcome.value, code_passed):
        return False
    saved = durable()
    sender = sender or context.line.settings.line_number or ""
    try:
        if not sender:
            raise NotifyError("no sender: the call gave no line number and config/line.yaml has no line_number")
        body = receipt_text(context.line, decision, lang, record.ref, at or context.now, saved=saved, result=result)
    except NotifyError as exc:
        log.warning("receipt %s for %s not sent: %s", record.ref, record.id, exc)
        record.add_event(EventKind.RECEIPT_FAILED, {"code": record.ref, "error": mask_numbers(str(exc))[:200]},
                         decision.checklist_id)
        return False
    except Exception:  # a receipt must never turn a finished call into the fault answer
        log.exception("receipt %s for %s failed", record.ref, record.id)
        record.add_event(EventKind.RECEIPT_FAILED, {"code": record.ref, "error": "unexpected"}, decision.checklist_id)
        return False
    if not saved:
        log.warning("receipt %s sent for %s, whose answers are not stored (no database)", record.ref, record.id)
    # One receipt per call: a replayed last turn finds this row. Its events are written when Twilio
    # accepts it (receipt_sent, with the message sid) or when it is given up (receipt_failed).
    outbox.send(record, Outgoing(
        kind="receipt", key=f"{record.id}:receipt", target=str(record.caller), text=body, sender=sender,
        audit={"sent": EventKind.RECEIPT_SENT.value, "failed": EventKind.RECEIPT_FAILED.value,
               "system": decision.checklist_id, "data": {"code": record.ref, "saved": saved}},
        # A receipt saying "Ett ärende är skapat" waits as long as the ticket may still be declined.
        delay=tickets.grace(record.channel, decision)))
    return True


def without_ticket(record: SessionRecord, decision: Decision, lang: str) -> bool:
    """The caller declined her ticket: the receipt, if it has not gone yet, without the ticket; True if rewritten."""
    context = turn_context()
    if not record.in_turn or record.ref is None:
        return False
    try:
        body = receipt_text(context.line, decision, lang, record.ref, context.now, saved=True)
    except NotifyError:
        return False
    return context.store.outbox.revise(record, f"{record.id}:receipt", body)
