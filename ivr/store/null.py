"""The store of a turn without its database: every read finds nothing, every write is dropped.

When the database fails, a call goes on from the state its URLs carry
(ivr/channels/voice/call.py). Its turn runs the same conversation code against
this store instead of a flag checked in every branch: no announcement, no
other callers' reports, no incident, no dropped call to offer, no wrong codes,
and nothing written. What a turn can only promise with a database (key 8's SMS
conversation, a stored receipt, a ticket) asks `durable`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from flows.incidents import Incident
from ivr.store.incidents import IncidentStore
from ivr.store.store import SessionRecord, Store, StoreError


class NullStore(Store):
    """A Store in interface only: never connects (its reads of a turn answer "nothing")."""

    durable = False

    def __init__(self) -> None:  # no engine, no connection, on purpose
        pass

    def announcements(self, now: datetime, via: SessionRecord | None = None) -> dict[str, dict[str, Any]]:
        return {}

    def latest_by_caller(self, caller_key: str, channel: str, since: datetime, exclude: str,
                         via: SessionRecord | None = None) -> tuple[str, dict[str, Any]] | None:
        return None

    def other_reporters(self, system: str, since: datetime, until: datetime, me: str | None,
                        via: SessionRecord | None = None) -> int:
        return 0

    def reporter_count(self, system: str, since: datetime, until: datetime, also: str | None = None,
                       via: SessionRecord | None = None) -> int:
        return 0

    def report(self, record: SessionRecord, system: str, at: datetime, window: timedelta) -> None:
        return None

    def incident_run(self, system: str, via: SessionRecord | None = None) -> tuple[datetime, datetime] | None:
        return None

    def wrong_pin(self, record: SessionRecord, at: datetime) -> None:
        return None

    def wrong_pins(self, record: SessionRecord, since: datetime) -> int:
        return 0

    @contextmanager
    def other_session(self, via: SessionRecord, session_id: str, channel: str,
                      caller: str | None = None) -> Iterator[SessionRecord]:
        raise StoreError("no database: no other session can be written")
        yield  # pragma: no cover - a generator, for contextmanager


class NullIncidents(IncidentStore):
    """No incident is live without the database; nothing about one is written."""

    def __init__(self) -> None:  # no store behind it, on purpose
        pass

    def live(self, system: str, now: datetime, known_for: timedelta,
             via: SessionRecord | None = None) -> Incident | None:
        return None

    def facts(self, incident_id: int, via: SessionRecord | None = None) -> list[dict[str, Any]]:
        return []
