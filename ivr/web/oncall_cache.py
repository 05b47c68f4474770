"""The on-call swaps in each worker's memory: read from the store at most every few seconds, kept when it fails.

A swap made in `ivr oncall` or the console reaches every worker from its next refresh, without a
restart. With the database down a worker keeps the last swaps it read (and still drops each
when it ends), so an outage still dials the person who swapped in.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from flows.oncall import OncallChange, stored_person_id
from flows.roster import Person
from ivr.settings import DEFAULT_REFRESH_SECONDS
from ivr.store import Store, StoreError

log = logging.getLogger(__name__)

def change_from_row(row: dict[str, Any]) -> OncallChange:
    """A stored swap as flows.oncall reads it (a number given by hand gets an id that is not the number)."""
    person = Person(row["person"] or stored_person_id(int(row["id"])), str(row["name"]), str(row["number"]))
    return OncallChange(int(row["id"]), row["starts_at"], row["ends_at"], person, row["replaces"],
                        str(row["note"] or ""), str(row["created_by"]))


def changes_from_rows(rows: Iterable[dict[str, Any]]) -> tuple[OncallChange, ...]:
    """Stored swaps as flows.oncall reads them."""
    return tuple(change_from_row(row) for row in rows)


def row_values(change: OncallChange) -> dict[str, object]:
    """A checked swap as ivr/store keeps it (a number given by hand has no roster id)."""
    return {"starts_at": change.start, "ends_at": change.end, "person": change.person.id or None,
            "name": change.person.name[:100], "number": change.person.number, "replaces": change.replaces,
            "note": change.note[:200]}


class OncallCache:
    """One worker's copy of the swaps in force: refreshed at most every `refresh_seconds`, last good kept."""

    def __init__(self, store: Store, refresh_seconds: float = DEFAULT_REFRESH_SECONDS,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        """Nothing is read until the first call needs it."""
        self.store = store
        self.refresh_seconds = refresh_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._changes: tuple[OncallChange, ...] = ()
        self._read_at: float | None = None  # monotonic time of the last attempt, good or failed
        self.last_error: str | None = None  # for the console's health line: why the copy may be stale

    def changes(self, now: datetime, *, refresh: bool = True) -> tuple[OncallChange, ...]:
        """The swaps in force at `now` (refresh=False: memory only, for the fault paths)."""
        with self._lock:
            if refresh and self._due():
                self._refresh(now)
            return tuple(change for change in self._changes if change.end > now)

    def invalidate(self) -> None:
        """Read again on next use (after this worker made or cleared a swap itself)."""
        with self._lock:
            self._read_at = None

    def _due(self) -> bool:
        return self._read_at is None or self._monotonic() - self._read_at >= self.refresh_seconds

    def _refresh(self, now: datetime) -> None:
        # A failed read counts as an attempt too: a dead database costs one connect timeout per
        # refresh period, not one per webhook.
        self._read_at = self._monotonic()
        try:
            self._changes = changes_from_rows(self.store.oncall_overrides(now))
            self.last_error = None
        except StoreError as exc:
            self.last_error = str(exc)
            log.error("database unavailable: on-call swaps not read, keeping the %d last read (%s)",
                      len(self._changes), exc)
