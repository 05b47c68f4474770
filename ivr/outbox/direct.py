"""Messages the fault policy sent directly (the turn had no database), kept until the outbox table records them.

Why: a message sent without the database has no row, so a replay of the same webhook after
the database is back (Twilio retrying, a proxy repeating) would find no key and send it
again. So every direct send that Twilio accepted is remembered under its idempotency key,
in this process's memory and in one small file in the state folder (ivr/operations/
state_folder.py) that the server's other processes, and this one after a restart, read
too. As soon as the store answers again (the next turn of any conversation, or the outbox
worker's next round), each is written to the outbox table as a row already sent (state
"direct", or "logged" without a Twilio account), and forgotten here; the replay then finds
the key and sends nothing new.

The file holds no phone number and no text: the key, the kind, the channel, the session
id (a call's sid, or a pseudonym), Twilio's sid, the time and the audit event's names.
Once they are recorded they are dropped from it (it is not deleted: another process may hold it
open); the lock is not held while the database is written.
A send that failed or timed out is not remembered: a replay may send it again, which is
the outbox's at-least-once rule.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import IO

from ivr.store import StoreError
from ivr.store.outbox import DirectSend, OutboxStore

log = logging.getLogger(__name__)

FILE_NAME = "direct-sends.jsonl"
DIRECT = "direct"  # the row's state: sent without the outbox, no delivery status will come
LOGGED = "logged"  # no Twilio account: only written to the log, as the sender marks its rows


class DirectSends:
    """This process's memory of direct sends not yet recorded, and the state folder's file of them."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._memory: dict[str, DirectSend] = {}
        self._lock = threading.Lock()

    def remember(self, sent: DirectSend) -> None:
        """Keep a direct send until it is recorded; never raises (the message is out already)."""
        with self._lock:
            self._memory[sent.key] = sent
        if self.path is None:
            return
        try:
            with self._file("a") as handle:
                # A line of its own even after one half-written by a process killed mid-write.
                handle.write("\n" + json.dumps(asdict(sent), separators=(",", ":")))
        except OSError as exc:
            log.error("direct send %s kept in memory only, not in %s: %s", sent.key, self.path, exc)

    def waiting(self) -> bool:
        """True when some direct send is not recorded yet (cheap: checked before every turn)."""
        if self._memory:
            return True
        try:
            return self.path is not None and os.stat(self.path).st_size > 0
        except OSError:
            return False

    def record(self, outbox: OutboxStore, now: datetime) -> int:
        """Write the waiting direct sends to the outbox table; how many rows were new. Never raises.

        Without the database they stay, for the next try. The file's lock is not held while the
        database is written (a process sending directly meanwhile must not wait on it).
        """
        if not self.waiting():
            return 0
        with self._lock:
            pending = dict(self._memory)
        try:
            pending.update((sent.key, sent) for sent in self._read())
        except OSError as exc:  # the file cannot be used: this process's memory alone
            log.error("direct sends: cannot read %s (%s); recording this process's only", self.path, exc)
        if not pending:
            with suppress(OSError):
                self._forget(set())  # only lines half-written by a process killed mid-write: drop them
            return 0
        try:
            added = outbox.record_direct(list(pending.values()), now)
        except StoreError:
            return 0  # still no database: kept for the next try
        with self._lock:
            for key in pending:
                self._memory.pop(key, None)
        try:
            self._forget(set(pending))
        except OSError as exc:  # recorded all the same: the next try finds them there and adds nothing
            log.error("direct sends: cannot empty %s: %s", self.path, exc)
        if added:
            log.warning("recorded %d message(s) sent directly while the database was down", added)
        return added

    def _read(self) -> list[DirectSend]:
        if self.path is None or not self.path.exists():
            return []
        with self._file("r") as handle:
            return [found for line in handle if (found := DirectSend.from_json(line)) is not None]

    def _forget(self, keys: set[str]) -> None:
        """Drop the recorded ones from the file, keeping any another process added since it was read."""
        if self.path is None or not self.path.exists():
            return
        with self._file("r+") as handle:
            lines = handle.readlines()
            kept = [line for line in lines
                    if (found := DirectSend.from_json(line)) is not None and found.key not in keys]
            handle.seek(0)
            handle.truncate()
            handle.writelines(kept)

    @contextmanager
    def _file(self, mode: str) -> Iterator[IO[str]]:
        """The file, locked against the server's other processes (created if missing, 0600)."""
        if self.path is None:
            raise OSError("no state folder")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | (os.O_APPEND if mode == "a" else 0), 0o600)
        with os.fdopen(fd, mode, encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield handle
