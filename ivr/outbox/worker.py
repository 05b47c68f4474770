"""One thread per server process that sends the outbox's due rows: retries, and rows a killed process left.

Started by the first request a process serves (gunicorn forks its workers after the
app is built, and a thread does not survive a fork), so every worker has its own.
Several workers and hosts share the work safely: a row is claimed by one of them
at a time (ivr/store/outbox.py).
"""

from __future__ import annotations

import logging
import os
import random
import threading

from flask import Flask

from ivr.outbox.sender import Sender
from ivr.store.outbox import CLAIM_BATCH

log = logging.getLogger(__name__)

# How often a process looks for due rows: a retry is due 10 s after a failure at the earliest.
POLL_SECONDS = 5.0


class Worker:
    """The polling thread of one process."""

    def __init__(self, sender: Sender, poll_seconds: float = POLL_SECONDS) -> None:
        self.sender = sender
        self.poll_seconds = poll_seconds
        self._pid: int | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.stop = threading.Event()

    def ensure_started(self) -> None:
        """Start this process's thread unless it runs already (a forked worker starts its own)."""
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self.run, name="ivr-outbox", daemon=True)
            self._thread.start()

    def shut_down(self, seconds: float = 10.0) -> None:
        """Stop the thread and wait for its round to end: a transaction it is in ends before the store goes."""
        self.stop.set()
        if self._thread is not None and self._pid == os.getpid():
            self._thread.join(seconds)

    def run(self) -> None:
        """Send due rows until stopped; a failing database is logged and tried again next round.

        The first round comes at a random point of the interval, the next ones an interval apart. Every
        worker of every host starts within moments of the others (a deploy, a restart, their first
        requests), and pollers that wake together leave every due row to whichever claims first, round
        after round: the others' threads idle (tests/test_two_hosts.py saw one host's never send).
        """
        wait = random.uniform(0, self.poll_seconds)
        while not self.stop.wait(wait):
            wait = self.poll_seconds
            try:
                while self.sender.send_due() == CLAIM_BATCH and not self.stop.is_set():
                    pass  # a full batch: there may be more
            except Exception:  # noqa: BLE001 - the thread must outlive a database outage
                log.exception("outbox worker: sending due messages failed; trying again")


WORKER = "ivr.outbox_worker"  # app.extensions key


def init_app(app: Flask, sender: Sender) -> None:
    """Start the thread with the first request each process serves."""
    worker = Worker(sender)
    app.extensions[WORKER] = worker
    app.before_request(worker.ensure_started)
