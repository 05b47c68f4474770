"""Incidents: the line's knowledge that several people are hit by the same fault.

An incident informs; it never answers a step or routes a call (only the caller's own answers do).
Its states: open (reports reached the threshold) -> acknowledged (Chef i beredskap took a call about
it, or replied KVITTERA) -> escalated (she had the line connect her to IT-beredskapen) -> resolved
(KLAR). Without news for `incidents.known_hours` it is no longer known, and a new one may open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flows.roster import Roster


class IncidentState(StrEnum):
    """Where an incident is; each later state implies the earlier ones happened."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    ESCALATED = "escalated"
    RESOLVED = "resolved"


# The states in Swedish, as the console's *Nu* and `ivr report` show them.
STATE_WORDS = {IncidentState.OPEN: "öppen", IncidentState.ACKNOWLEDGED: "kvitterad",
               IncidentState.ESCALATED: "eskalerad", IncidentState.RESOLVED: "löst"}

# States in which Chef i beredskap knows: callers are told so, and she is not rung again.
KNOWN_TO_MANAGER = frozenset({IncidentState.ACKNOWLEDGED, IncidentState.ESCALATED})


@dataclass(frozen=True)
class Incident:
    """One incident as read from the store."""

    id: int
    system: str
    state: IncidentState
    opened_at: datetime
    updated_at: datetime  # its last news: a caller, an acknowledgement, an escalation
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None  # a roster person id, or "console"
    escalated_at: datetime | None = None
    resolved_at: datetime | None = None
    callers: int = 0  # distinct callers (pseudonyms) who finished the checklist about it
    workplaces: tuple[str, ...] = ()  # where known (staff.directory)
    waiting: int = 0  # callers who asked for an SMS when it is fixed

    def live(self, now: datetime, known_for: timedelta) -> bool:
        """Still known: not resolved, and news within known_for."""
        return self.state is not IncidentState.RESOLVED and self.updated_at > now - known_for

    @property
    def manager_knows(self) -> bool:
        """Chef i beredskap has acknowledged it (or escalated it)."""
        return self.state in KNOWN_TO_MANAGER


def actor_name(roster: Roster, actor: str | None) -> str | None:
    """Who acknowledged, for people: the roster person's name ("konsolen" for the console), never a number.

    An id no longer in the roster stays as it is.
    """
    if actor is None:
        return None
    if actor == "console":
        return "konsolen"
    person = roster.people.get(actor)
    return person.name if person is not None else actor
