"""The audit log's event kinds, and an event as the engine and the conversation produce it.

The kinds are the words stored in the events table and read by `ivr report`:
one enum, so a misspelt kind is a type error, not a silently uncounted event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class EventKind(StrEnum):
    """What happened in a conversation."""

    CALL_STARTED = "call_started"
    SMS_STARTED = "sms_started"
    STATE_RESET = "state_reset"  # a stored state that could not go on (a checklist removed since)
    LANGUAGE = "language"
    SYSTEM_CHOSEN = "system_chosen"
    NOTICE_ANSWER = "notice_answer"  # go through the checklist despite IT's announcement?
    ANSWER = "answer"
    BACK_TO_MENU = "back_to_menu"
    PIN_ASKED = "pin_asked"
    PIN_ACCEPTED = "pin_accepted"
    PIN_REFUSED = "pin_refused"
    PIN_LOCKED = "pin_locked"  # too many wrong staff codes from this number lately: not asked (any more)
    OUTCOME = "outcome"
    ABANDONED = "abandoned"
    DIAL_RESULT = "dial_result"
    IT_SUPPORT_OFFER_TAKEN = "it_support_offer_taken"  # key 1 after an office-hours ending without a number
    ON_CALL_ACCEPTED = "on_call_accepted"
    ON_CALL_SMS = "on_call_sms"
    ON_CALL_SMS_FAILED = "on_call_sms_failed"
    ON_CALL_SMS_NEXT = "on_call_sms_next"  # that SMS was not delivered (in time): the next in the chain is texted
    ON_CALL_SMS_UNREACHED = "on_call_sms_unreached"  # ... and nobody is left in the chain to text
    INCIDENT_ALERT = "incident_alert"
    INCIDENT_ALERT_FAILED = "incident_alert_failed"
    INCIDENT_OPENED = "incident_opened"  # reports reached the threshold, or Chef i beredskap took a call
    INCIDENT_ACKNOWLEDGED = "incident_acknowledged"  # she pressed 1 on a call about it, or replied KVITTERA
    INCIDENT_IT_REQUESTED = "incident_it_requested"  # she replied IT: the line calls her to connect her
    INCIDENT_ESCALATED = "incident_escalated"  # IT-beredskapen pressed 1: she is connected to them
    INCIDENT_RESOLVED = "incident_resolved"  # KLAR: the callers waiting for it are texted
    INCIDENT_TOLD = "incident_told"  # the caller heard that Chef i beredskap knows, and was not put through
    INCIDENT_NEWS = "incident_news"  # ... her answers added something: one SMS to the manager
    INCIDENT_NEWS_FAILED = "incident_news_failed"
    CALLBACK_REQUESTED = "callback_requested"
    CALLBACK_FAILED = "callback_failed"
    CALLBACK_FAILED_TEXTED = "callback_failed_texted"  # the call-back was given up: the carer is texted so
    CALLBACK_FAILED_SMS_FAILED = "callback_failed_sms_failed"
    CALLBACK_IN_OFFICE_HOURS = "callback_in_office_hours"
    CALLBACK_STARTED = "callback_started"
    CALLBACK_INVALID = "callback_invalid"
    CALL_ENDED = "call_ended"
    RECEIPT_SENT = "receipt_sent"  # the SMS receipt after a call, with its code
    RECEIPT_FAILED = "receipt_failed"
    TICKET_FILED = "ticket_filed"  # the ITSM took the caller's ticket (or a note on her incident's ticket)
    TICKET_FAILED = "ticket_failed"  # ... or refused it for good / it waited past ivr/tickets/delivery.GIVE_UP
    STEP_MESSAGE_SENT = "step_message_sent"  # a step's message for the caller (`notify:`) was accepted
    STEP_MESSAGE_FAILED = "step_message_failed"  # ... or given up
    TICKET_DECLINED = "ticket_declined"  # the caller declined her ticket (key 9, INGET ÄRENDE); data: in_time
    MORE_TIME = "more_time"  # key 5: the caller asked for time on a step
    CONTINUED_BY_SMS = "continued_by_sms"  # key 8: the call handed its step over to an SMS conversation
    SMS_HANDOVER_FAILED = "sms_handover_failed"  # key 8, but no SMS could be sent: the step is asked again
    RESUME_OFFERED = "resume_offered"  # the same phone called again soon after a dropped call
    RESUMED = "resumed"  # ... and went on at the dropped call's step
    RESUME_DECLINED = "resume_declined"  # ... and started over
    TEST_CALL_ACCEPTED = "test_call_accepted"  # `ivr test-call`: the person called pressed 1
    # What people did in the /admin console (channel "admin"; by the admin's keyed hash and masked number).
    ADMIN_SIGNED_IN = "admin_signed_in"
    ADMIN_SIGN_IN_REFUSED = "admin_sign_in_refused"  # a wrong or expired code for an admin's number
    ADMIN_SIGNED_OUT = "admin_signed_out"
    ANNOUNCEMENT_POSTED = "announcement_posted"
    ANNOUNCEMENT_EXTENDED = "announcement_extended"
    ANNOUNCEMENT_CLEARED = "announcement_cleared"
    SESSION_LOOKED_UP = "session_looked_up"  # a receipt code looked up
    ONCALL_OVERRIDE_SET = "oncall_override_set"  # an on-call swap (`ivr oncall set` or the console)
    ONCALL_OVERRIDE_CLEARED = "oncall_override_cleared"
    ADMIN_SESSION_REVOKED = "admin_session_revoked"  # an admin ended another's console session ("Inloggade nu")
    TEST_CALL_REQUESTED = "test_call_requested"  # the console's test-call button (Beredskap): the call is queued


@dataclass(frozen=True)
class Event:
    """One audit event: its kind, its data (no phone numbers, no free text), the system it concerns."""

    kind: EventKind
    data: dict[str, Any] = field(default_factory=dict)
    system: str | None = None


def system_of(events: Iterable[Mapping[str, Any]]) -> str | None:
    """The system a conversation is about: the last one chosen; else the last one any event names.

    A resumed call (key 1 at "Välkommen tillbaka") and an SMS that goes on from a call (key 8) choose no
    system: their first event names it.
    """
    named: str | None = None
    chosen: str | None = None
    for event in events:
        if event["system"]:
            named = str(event["system"])
            if event["kind"] == EventKind.SYSTEM_CHOSEN:
                chosen = named
    return chosen or named
