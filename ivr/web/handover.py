"""Key 8: a call goes on by SMS at the same step, with the answers already given.

The SMS conversation is keyed by the sender's pseudonym (ivr/privacy.py), as if
the carer had texted: their first reply answers the step the call was on, and
the rest (RING for Chef i beredskap included) is the SMS line's own. It is
written in the call's own transaction, so a call is never handed over to a
conversation that was not stored.
"""

from __future__ import annotations

from flows.engine import State
from flows.events import EventKind
from ivr.privacy import caller_key, sms_session_id
from ivr.store import SessionRecord
from ivr.web.sms import Texting
from ivr.web.turn_context import turn_context


def continue_by_sms(call_record: SessionRecord, state: State, line_number: str) -> None:
    """Start the caller's SMS conversation at the call's step (any earlier one of theirs is replaced)."""
    number = str(call_record.caller)
    store = turn_context().store
    with store.other_session(call_record, sms_session_id(number), "sms", caller=number) as record:
        record.caller_key = caller_key(number)
        if record.data is not None:
            old = record.data.get("state") or {}
            if old.get("checklist") and old.get("decision") is None:
                record.add_event(EventKind.ABANDONED, {"reason": "replaced_by_call"}, str(old["checklist"]))
        record.add_event(EventKind.SMS_STARTED, {"after": "call", "step": state.step}, state.checklist)
        record.data = Texting(state, line_number).to_data()
