"""Incidents: when a run of reports about one system began, and a memo of runs already read."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta


def incident_start(times: list[datetime], window: timedelta) -> datetime:
    """The first report of the run of reports that ends now (each less than `window` after the last)."""
    ordered = sorted(times)
    start = ordered[-1]
    for earlier in reversed(ordered[:-1]):
        if start - earlier >= window:
            break
        start = earlier
    return start


@dataclass(frozen=True)
class Run:
    """A run of committed reports about one system, from `first` to `last`, with no gap of a window."""

    first: datetime
    last: datetime


class IncidentRuns:
    """The runs this process has read from the store, by system.

    Reports are only ever added within the lookback, so a run read once cannot split
    later: a report less than a window after its last committed report belongs to it,
    and its start is known without reading the day's reports again. Only committed
    reports are remembered, so a turn that rolls back leaves nothing behind.
    """

    def __init__(self) -> None:
        self._runs: dict[str, Run] = {}
        self._lock = threading.Lock()

    def start(self, system: str, now: datetime, window: timedelta) -> datetime | None:
        """The start of the run that a report at `now` joins, if this process already knows it."""
        with self._lock:
            run = self._runs.get(system)
        if run is not None and run.last <= now < run.last + window:
            return run.first
        return None

    def read(self, system: str, committed: list[datetime], now: datetime, window: timedelta) -> datetime:
        """The start of the run that ends with a report at `now`, from the committed reports; remembered."""
        first = incident_start(committed + [now], window)
        earlier = [moment for moment in committed if moment <= now]
        if earlier:
            with self._lock:
                self._runs[system] = Run(first, max(earlier))
        return first
