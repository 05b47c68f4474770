"""A dropped call, found again: the same phone calling back soon may go on at the same step.

The earlier call is found by the caller's keyed pseudonym (ivr/privacy.py), never
by the number: an ended call's number is blanked in its row. Only the phone's
latest call counts, and only when it stopped at a question of a checklist: a
finished call, one that went on by SMS, or one at the menu is not offered.
"""

from __future__ import annotations

from datetime import timedelta

from flows import engine
from flows.engine import Expect, State, StateError
from ivr.conversation.session import VOICE, Session
from ivr.conversation.steps import durable
from ivr.store import SessionRecord
from ivr.web.turn_context import turn_context


def can_resume(record: SessionRecord) -> bool:
    """True when this call could be offered again if it ends now: a number to know it by, and the database."""
    return durable() and record.caller_key is not None


def resumable(record: SessionRecord) -> tuple[str, State] | None:
    """The session id and state of this phone's dropped call, if one can be continued now."""
    if record.caller_key is None:
        return None  # a hidden number (without the database, the null store finds none)
    context = turn_context()
    since = context.now - timedelta(minutes=context.line.settings.resume_minutes)
    found = context.store.latest_by_caller(record.caller_key, "voice", since, exclude=record.id, via=record)
    if found is None:
        return None
    session_id, data = found
    try:
        earlier = Session.from_data(VOICE, data)
        turn = engine.current(context.line.library, earlier.state)
    except (StateError, TypeError, ValueError):
        return None  # a state this version cannot continue (a checklist removed since)
    if earlier.by_sms or earlier.callback or turn.expect is not Expect.YES_NO:
        return None
    return session_id, earlier.state
