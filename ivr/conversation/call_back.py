"""RING: the SMS line calls the carer and connects her to Chef i beredskap (the number is never texted)."""

from __future__ import annotations

from flows.events import EventKind
from flows.model import Outcome
from flows.routing import Decision
from ivr.conversation.reply import Finished, Part, Say, Text
from ivr.conversation.session import Session
from ivr.notify import NotifyError
from ivr.store import SessionRecord
from ivr.web.signature import public_base
from ivr.web.turn_context import turn_context
from ivr.web.voice_render import url as action_url


def call_back(record: SessionRecord, session: Session, decision: Decision) -> list[Part]:
    """Place the call-back (once per outcome), or say why not."""
    context = turn_context()
    line = context.line
    if decision.outcome is not Outcome.ON_CALL_MANAGER or line.settings.sms_on_call_by != "callback":
        return [Finished(decision)]
    if session.ring_call:
        return [Say((Text("on_call_already"),))]
    if context.office_hours:
        # Office hours began since the offer: IT support is open, Chef i beredskap is not for this.
        record.add_event(EventKind.CALLBACK_IN_OFFICE_HOURS, {}, decision.checklist_id)
        return [Say((Text("it_support", {"portal": line.settings.it_portal_url}, it_support=True),))]
    url = public_base() + action_url("/voice/callback", sms=record.id.removeprefix("sms:"))
    try:
        sid = context.notifier.create_call(str(record.caller), session.line_number, url)
    except NotifyError as exc:
        record.add_event(EventKind.CALLBACK_FAILED, {"error": str(exc)}, decision.checklist_id)
        return [Say((Text("on_call_failed"),))]
    session.ring_call = sid
    record.add_event(EventKind.CALLBACK_REQUESTED, {"call": sid}, decision.checklist_id)
    return [Say((Text("on_call_calling"),))]
