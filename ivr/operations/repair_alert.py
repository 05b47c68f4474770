"""One SMS to the admins when the line itself fails, so that someone repairs it.

Sent when Twilio's fallback URL or the error answer is used, or a turn runs
without its database. At most one per ALERT_EVERY: a failing line would
otherwise text the admins on every key press. The last alert's time is kept in
a file (not the database, which may be what failed), locked so that the
server's worker processes share it.

Each alert is an outbox message (ivr/outbox): stored, sent once, retried; with the database
down, sent directly and recorded once it answers again.
"""

from __future__ import annotations

import fcntl
import logging
import os
from datetime import UTC, datetime, timedelta

from flask import request

from ivr import outbox, parts
from ivr.operations.state_folder import state_folder
from ivr.store.outbox import Outgoing
from ivr.web.turn_context import turn_context

ALERT_EVERY = timedelta(minutes=15)
KIND = "repair_alert"  # the outbox rows' kind
# Faults whose alert is sent directly, never through the database: a turn that just found it failing, and
# Twilio's fallback URL, which never touches the database (the main webhook may have failed on it).
DIRECT = frozenset({"database", "fallback"})

log = logging.getLogger(__name__)


def stamp_path() -> str:
    """Where the last alert's time is kept (ALERT_STAMP, by default in the state folder: never the install)."""
    settings = parts.settings()
    return settings.alert_stamp or str(state_folder(settings.state_dir) / "repair-alert.stamp")


def _claim(now: datetime) -> bool:
    """True if no alert went out within ALERT_EVERY of now (and record now as the last one)."""
    path = stamp_path()
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        log.error("repair alert: cannot use %s (%s); alerting anyway", path, exc)
        return True
    with os.fdopen(fd, "r+", encoding="ascii") as stamp:
        fcntl.flock(stamp, fcntl.LOCK_EX)
        try:
            last = datetime.fromisoformat(stamp.read().strip())
        except ValueError:
            last = None
        # abs(): a stamp in the future (a clock set back) must not silence alerts for good.
        if last is not None and last.tzinfo is not None and abs(now - last) < ALERT_EVERY:
            return False
        stamp.seek(0)
        stamp.truncate()
        stamp.write(now.isoformat())
        return True


def line_failed(reason: str) -> None:
    """Text every admin that the line needs repair (reason: database, fallback or error); never raises.

    At most once per ALERT_EVERY. An unexpected error's alert goes through the outbox (a row each,
    keyed by the alert's moment and the admin's place in the list, retried like every message);
    a database fault's and the fallback's (or any while this process knows the database down) are
    the fault policy's direct send, recorded in the outbox when the database is back
    (ivr/outbox/direct.py).
    """
    try:
        context = turn_context(memory_only=True)  # the database may be what failed
        line, now = context.line, context.now
        if not line.settings.admins or not _claim(now):
            return
        lang = line.settings.default_language
        body = line.messages.get("sms", f"repair_{reason}", lang, time=f"{line.calendar.local(now):%H.%M}")
        sender = line.settings.line_number or request.form.get("To", "")
        # The key names the alert (its claimed moment: one per ALERT_EVERY) and the admin, never a number.
        moment = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S")
        alerts = [Outgoing(kind=KIND, key=f"{KIND}:{moment}:{index}", target=admin, text=body, sender=sender)
                  for index, admin in enumerate(sorted(line.settings.admins))]
        if reason in DIRECT or context.store.outage.down:
            outbox.send_unstored(alerts)  # not the database: it failed, or may be why Twilio used the fallback
        else:
            outbox.send_alone(alerts)
    except Exception:  # noqa: BLE001 - an alert about a failure must not cause another
        log.exception("repair alert failed")
