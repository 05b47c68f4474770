"""Sending the outbox's rows: claim, one REST call each, and the row's next state (retry, accepted, dead)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from flask import Flask

from flows.line import Line
from ivr import parts
from ivr.notify import Notifier, NotifyError
from ivr.operations.logs import mask_numbers
from ivr.outbox.direct import DirectSends
from ivr.store import Store, StoreError
from ivr.store.outbox import CLAIM_BATCH, Claimed, Transition
from ivr.tickets import Backend, TicketError, delivery
from ivr.tickets.backends import backend_for

log = logging.getLogger(__name__)

# Retries wait 10 s, 20 s, 40 s ... up to 5 minutes between tries; after MAX_ATTEMPTS (about half an
# hour in all) the message is given up ("dead", with its audit event): a manager SMS or a receipt
# that late helps no one, and the admins see it in `ivr outbox list` and /metrics.
FIRST_RETRY = timedelta(seconds=10)
MAX_RETRY = timedelta(minutes=5)
MAX_ATTEMPTS = 10


def retry_delay(attempts: int) -> timedelta:
    """The wait after the attempts-th failed try."""
    delay: timedelta = FIRST_RETRY * (2 ** max(0, attempts - 1))
    return min(delay, MAX_RETRY)


SENDER = "ivr.outbox"  # app.extensions key


def app_sender(app: Flask) -> Sender:
    """The app's sender (ivr.outbox.init_app's)."""
    return cast(Sender, app.extensions[SENDER])


@dataclass
class Sender:
    """Delivers outbox rows through the app's notifier; every result is a state of the row."""

    store: Store
    notifier: Callable[[], Notifier]  # read at each send: tests and `ivr reload` may swap it
    clock: Callable[[], datetime]
    status_base: str | None  # PUBLIC_URL: where Twilio posts delivery statuses (none: no callbacks)
    observe: Callable[[Transition], None] | None = None  # metrics
    # How long a message with a "next" (the manager SMS) may go undelivered before it is followed up.
    deadline: Callable[[], timedelta] | None = None
    # The line now (config, roster, admins) and its ticket backend, read at each use (channel "ticket").
    line: Callable[[], Line] | None = None
    tickets: Callable[[], Backend | None] | None = None
    # The messages sent without the database, recorded at each round (ivr/outbox/direct.py).
    direct: DirectSends | None = None

    @classmethod
    def for_app(cls, app: Flask) -> Sender:
        """The sender of an app built by create_app()."""
        from ivr.operations import metrics
        from ivr.outbox.escalation import ManagerChain

        base = parts.settings(app).public_url
        # Read at each use, as a turn reads them (a test, the simulator or `ivr reload` may swap them).
        sender = cls(store=parts.store(app), notifier=lambda: parts.notifier(app),
                     clock=lambda: parts.now(app), status_base=base.rstrip("/") if base else None,
                     observe=metrics.message_observer(app),
                     deadline=lambda: timedelta(minutes=parts.line(app).settings.manager_sms_delivery_minutes),
                     line=lambda: parts.line(app),
                     # A test may set "ivr.ticket_backend"; otherwise line.yaml's, its secrets read now.
                     tickets=lambda: app.extensions.get("ivr.ticket_backend")
                     or backend_for(parts.line(app).settings.tickets))
        sender.store.outbox.escalation = ManagerChain(people=lambda: parts.line(app).roster.people,
                                                      send=sender.send_now, observe=sender.observe)
        return sender

    def send_now(self, ids: list[int]) -> None:
        """The first try of the rows a turn just committed; never raises (the turn is done)."""
        try:
            self._send(self.store.outbox.claim(self.clock(), ids=ids))
        except StoreError as exc:
            log.error("outbox: first try skipped, the rows wait for a retry: %s", exc)
        except Exception:  # noqa: BLE001 - the caller's answer must not become the fault answer
            log.exception("outbox: first try failed; the rows wait for a retry")

    def send_due(self, now: datetime | None = None) -> int:
        """One batch of due rows (pending, or claimed by a sender whose lease ran out); how many were tried.

        Then the messages overdue for delivery are followed up (ivr/outbox/escalation.py).
        """
        moment = now or self.clock()
        if self.direct is not None:
            self.direct.record(self.store.outbox, moment)
        rows = self.store.outbox.claim(moment, limit=CLAIM_BATCH)
        self._send(rows)
        if self.deadline is not None:
            self.store.outbox.overdue(moment, self.deadline())
        if self.line is not None:
            delivery.alerts(self.store.outbox, self.line(), moment, self.send_now)
        return len(rows)

    def _send(self, rows: list[Claimed]) -> None:
        for row in rows:
            transition = self._attempt(row)
            if transition is not None and self.observe is not None:
                self.observe(transition)

    def _attempt(self, row: Claimed) -> Transition | None:
        """One try of one claimed row, and its new state."""
        body: dict[str, Any] = row.body or {}
        outbox = self.store.outbox
        if row.channel == "ticket":
            return self._ticket(row)
        call = row.channel == "call"
        if row.channel not in ("sms", "call") or not row.target or not body.get("url" if call else "text"):
            return outbox.failed(row.id, self._now(), f"nothing to send on {row.channel}", None)
        notifier = self.notifier()
        callback = f"{self.status_base}/sms/status/{row.id}" if self.status_base else None
        try:
            if call:  # a call's own TwiML says how it went; no message status callback
                sid = notifier.create_call(row.target, str(body.get("from", "")), str(body["url"]))
            else:
                sid = notifier.send_sms(row.target, str(body.get("from", "")), str(body["text"]),
                                        status_callback=callback)
        except NotifyError as exc:
            return self._failed(row, mask_numbers(str(exc)), exc.retryable)
        except Exception as exc:  # noqa: BLE001 - a notifier bug is retried and logged, never lost
            log.exception("outbox: sending %s #%d failed unexpectedly", row.kind, row.id)
            return self._failed(row, f"unexpected: {type(exc).__name__}", True)
        state = "queued" if getattr(notifier, "delivers", True) else "logged"
        return outbox.accepted(row.id, self._now(), sid, state)

    def _ticket(self, row: Claimed) -> Transition | None:
        """One try of a ticket (ivr/tickets/delivery.py): filed ("delivered", with the ITSM's id), or failed."""
        try:
            remote = delivery.attempt(row, self.tickets() if self.tickets else None, self.store.outbox)
        except TicketError as exc:
            return self._failed(row, mask_numbers(str(exc)), exc.retryable)
        except Exception as exc:  # noqa: BLE001 - a backend bug is retried and logged, never lost
            log.exception("outbox: filing %s #%d failed unexpectedly", row.kind, row.id)
            return self._failed(row, f"unexpected: {type(exc).__name__}", True)
        return self.store.outbox.accepted(row.id, self._now(), remote, "delivered")

    def _failed(self, row: Claimed, error: str, retryable: bool) -> Transition | None:
        now = self._now()
        retry_at = now + retry_delay(row.attempts) if retryable and row.attempts < MAX_ATTEMPTS else None
        if row.channel == "ticket":  # tickets wait out an ITSM's outage (hours), and a refusal alerts the admins
            retry_at = delivery.retry_at(row, now, retryable)
            if retry_at is None and self.line is not None:
                moved = self.store.outbox.failed(row.id, now, error, None)
                log.error("outbox: %s #%d given up after %d tries: %s", row.kind, row.id, row.attempts, error)
                delivery.given_up(self.store.outbox, self.line(), row, error, now, self.send_now)
                return moved
        if retry_at is None:
            log.error("outbox: %s #%d given up after %d tries: %s", row.kind, row.id, row.attempts, error)
        else:
            log.warning("outbox: %s #%d try %d failed, again at %s: %s", row.kind, row.id, row.attempts,
                        retry_at.astimezone(UTC).isoformat(timespec="seconds"), error)
        return self.store.outbox.failed(row.id, now, error, retry_at)

    def _now(self) -> datetime:
        return self.clock()
