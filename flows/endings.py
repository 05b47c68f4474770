"""No dead ends: which endings offer IT support because nothing else is dialled or given to call."""

from __future__ import annotations

from datetime import datetime

from flows.line import Line
from flows.model import Outcome
from flows.routing import Decision

# Endings that leave the caller with no number dialled: in office hours they offer IT support
# (a call: "Tryck 1, så kopplar jag dig till IT-supporten."; an SMS: IT support's number).
OFFERED_IT_SUPPORT = frozenset({Outcome.LOCAL_CONTACT, Outcome.SUPPLIER_OUTAGE, Outcome.IT_PORTAL})


def offers_it_support(line: Line, decision: Decision, moment: datetime) -> bool:
    """True when this ending offers IT support: office hours, an ending of OFFERED_IT_SUPPORT, no contact number."""
    if decision.outcome not in OFFERED_IT_SUPPORT or not line.settings.it_support.number:
        return False
    if decision.outcome is Outcome.LOCAL_CONTACT and line.settings.contacts[str(decision.contact)].number:
        return False  # the contact is dialled (or its number texted) instead
    return line.calendar.is_office_hours(moment)
