"""SMS webhook: the same checklists by text message, one step per message."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, request
from twilio.twiml.messaging_response import MessagingResponse

from flows import engine
from flows.engine import Expect, State, StateError, Turn
from flows.events import EventKind
from flows.model import UNKNOWN, Answer, Outcome
from flows.phone import phone_number
from flows.replies import Intent, normalise, parse
from flows.routing import Decision
from flows.sms_render import SmsRenderer
from flows.system_names import MAX_CANDIDATES, match_system
from ivr.notify import NotifyError
from ivr.privacy import caller_key, sms_session_id
from ivr.store import SessionRecord
from ivr.web import conversation, manager_sms
from ivr.web.admin_sms import admin_command, is_admin_command
from ivr.web.conversation import PinState
from ivr.web.incidents import told_texts
from ivr.web.line_notice import line_wide_notice
from ivr.web.signature import public_base
from ivr.web.turn_context import turn_context
from ivr.web.voice_render import url as action_url

bp = Blueprint("sms", __name__, url_prefix="/sms")

# Replies that answer no question after an outcome: "Tack!", "ok", "ja", "nej".
CLOSING = frozenset({Intent.THANKS, Intent.ACK, Intent.YES, Intent.NO, Intent.DONT_KNOW})


@dataclass
class Texting:
    """One sender's stored conversation."""

    state: State
    line_number: str = ""
    last_replies: list[str] = field(default_factory=list)  # resent if Twilio retries a message
    callback: str | None = None  # the call placed after RING, so a second RING places none
    pin: PinState = field(default_factory=PinState)

    def to_data(self) -> dict[str, Any]:
        """JSON-ready, for the store."""
        return {"state": self.state.to_dict(), "line_number": self.line_number,
                "last_replies": self.last_replies, "callback": self.callback, "pin": self.pin.to_data()}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Texting:
        """Rebuild from the store."""
        return cls(State.from_dict(data.get("state")), str(data.get("line_number", "")),
                   [str(r) for r in data.get("last_replies", [])], data.get("callback"),
                   PinState.from_data(data.get("pin")))


def reply(texts: list[str]) -> Response:
    """TwiML with one <Message> per text (none: Twilio sends nothing)."""
    response = MessagingResponse()
    for text in texts:
        response.message(text)
    return Response(str(response), mimetype="text/xml")


@bp.post("")
def incoming() -> Response:
    """One text from a member of staff."""
    context = turn_context()
    line = context.line
    sender = phone_number(request.form.get("From", ""))
    body = request.form.get("Body", "")[:500]
    if sender is None:
        # No number to keep a conversation by: answer, keep nothing.
        return reply([SmsRenderer(line, line.settings.default_language).menu()])
    manager = manager_sms.parse(line, sender, body)
    # An administrator's DRIFT, and KLAR naming a system, are announcements; a roster person's KVITTERA,
    # IT and KLAR act on incidents.
    admin = sender in line.settings.admins and is_admin_command(body) and (
        manager is None or manager.word is not manager_sms.Word.RESOLVE or manager.system is not None)
    if admin:
        return reply(admin_command(sender, body))
    if manager is not None:
        return reply(manager_sms.manager_command(manager, sender, request.form.get("To", ""),
                                                 request.form.get("MessageSid", "")))
    with context.store.session(sms_session_id(sender), "sms", context.now, caller=sender) as record:
        record.caller_key = caller_key(sender)
        message_sid = request.form.get("MessageSid", "")
        if message_sid and not record.claim(message_sid[:64]):
            # Twilio retried a message already handled: answer the same, advance nothing.
            if record.data is None:
                # Only STOPP removes a conversation whose message was handled: say so again.
                return reply([SmsRenderer(line, line.settings.default_language).text("stopped")])
            return reply(list(record.data.get("last_replies", [])))
        texting, preface = load(record)
        fresh = record.data is None or bool(preface)
        # A new conversation reads the line-wide announcement first, whatever its first text asked.
        notice = line_wide_notice(record, "sms", texting.state.lang) if fresh else []
        texts = notice + preface + handle(record, texting, body, fresh=fresh)
        texting.last_replies = texts
        if not record.delete:
            record.data = texting.to_data()
    return reply(texts)


def load(record: SessionRecord) -> tuple[Texting, list[str]]:
    """The stored conversation, or a new one (with a note when the old one went quiet)."""
    context = turn_context()
    line = context.line
    fresh = Texting(engine.start(line.settings.default_language).state, request.form.get("To", ""))
    if record.data is None:
        record.add_event(EventKind.SMS_STARTED, {})
        return fresh, []
    try:
        texting = Texting.from_data(record.data)
    except (StateError, TypeError, ValueError) as exc:
        record.add_event(EventKind.STATE_RESET, {"reason": str(exc)})
        return fresh, []
    quiet = timedelta(minutes=line.settings.sms_quiet_minutes)
    if record.updated_at is not None and context.now - record.updated_at > quiet:
        if texting.state.checklist and texting.state.decision is None:
            record.add_event(EventKind.ABANDONED, {"reason": "expired"}, texting.state.checklist)
        record.add_event(EventKind.SMS_STARTED, {"after": "expired"})
        fresh.state = engine.start(texting.state.lang).state
        return fresh, [SmsRenderer(line, texting.state.lang).text("expired")]
    return texting, []


def handle(record: SessionRecord, texting: Texting, body: str, fresh: bool) -> list[str]:
    """The reply texts for one message; updates texting and queues audit events.

    fresh: a new or restarted conversation, where any text that names no system gets the menu.
    """
    context = turn_context()
    line = context.line
    said = parse(body)  # read once; every branch below decides on the intent
    sms = SmsRenderer(line, texting.state.lang)
    if said.intent is Intent.STOP:
        if texting.state.checklist and texting.state.decision is None:
            record.add_event(EventKind.ABANDONED, {"reason": "stopped"}, texting.state.checklist)
        record.delete = True  # nothing of the conversation is kept beyond the audit events
        return [sms.text("stopped")]
    if said.intent is Intent.MENU:
        if texting.state.decision is not None:
            record.add_event(EventKind.SMS_STARTED, {"after": "menu"})  # a new conversation for the report
        texting.state = engine.menu(texting.state).state
        texting.callback, texting.pin = None, PinState()  # a new checklist may need a new call-back
        return [sms.menu()]
    if said.intent is Intent.LANGUAGE and said.lang in line.settings.languages:
        texting.state = engine.set_language(texting.state, said.lang)
        record.add_event(EventKind.LANGUAGE, {"lang": texting.state.lang})
        renderer = SmsRenderer(line, texting.state.lang)
        turn = engine.current(line.library, texting.state)
        if turn.decision is not None:  # nothing is waiting: repeat the outcome in the new language
            return renderer.outcome(turn.decision, context.now, line.settings.sms_on_call_by)
        return prompt(renderer, turn)
    turn = engine.current(line.library, texting.state)
    if said.intent is Intent.HELP:
        return [sms.text("help")] + prompt(sms, turn)
    if texting.pin.asking and turn.decision is not None:
        return pin_entered(record, texting, turn, body, said.intent)
    if turn.expect is Expect.NOTHING:
        return after_outcome(record, texting, turn, body, said.intent)
    if turn.expect is Expect.SYSTEM:
        return choose(record, texting, body, fresh)
    # Yes, no, and "vet inte" where the step takes it. "ok", "klar" and "tack" say the carer did something,
    # not what it showed: they, and anything else, get the question again in one SMS.
    answer = step_answer(turn, said.intent)
    if answer is None:
        return [hint(sms, turn, said.intent)]
    new_turn = conversation.answer(record, texting.state, texting.pin, answer)
    texting.state = new_turn.state
    if new_turn.decision is None:
        return prompt(sms, new_turn)
    if texting.pin.asking:
        return [sms.text("pin_prompt")]
    return finish(record, texting, new_turn.decision)


def step_answer(turn: Turn, intent: Intent) -> Answer | None:
    """Yes or no, or "vet inte" where the step allows it; None when the text is none of these."""
    if intent is Intent.DONT_KNOW and engine.accepts_unknown(turn):
        return UNKNOWN
    return {Intent.YES: True, Intent.NO: False}.get(intent)


def hint(sms: SmsRenderer, turn: Turn, intent: Intent) -> str:
    """The question again, short: one SMS instead of the whole step (or the help and the step)."""
    if turn.expect is Expect.GO_ON or turn.step is None:
        return sms.text("notice_question")
    name = "answer_hint" if intent in (Intent.ACK, Intent.THANKS) else "bad_answer"
    if engine.accepts_unknown(turn):
        name += "_unknown"  # the question again names VET INTE where the step takes it
    return sms.text(name, text=turn.step.ask[sms.lang])


def offer_open(texting: Texting, decision: Decision | None) -> bool:
    """True while "Svara RING" stands and no call-back was placed for it."""
    settings = turn_context().line.settings
    return (decision is not None and decision.outcome is Outcome.ON_CALL_MANAGER
            and settings.sms_on_call_by == "callback" and not texting.callback)


def after_outcome(record: SessionRecord, texting: Texting, turn: Turn, body: str, intent: Intent) -> list[str]:
    """A text after the conversation's outcome: RING (or a plain yes to the RING offer), thanks, a new problem.

    The outcome stays until a new system is chosen or MENY is sent, so RING works after any other reply.
    """
    sms = SmsRenderer(turn_context().line, texting.state.lang)
    digit = normalise(body).isdigit()  # a menu number names a new problem, even "1"
    if turn.decision is not None and (intent is Intent.CALL or (intent is Intent.YES and not digit
                                                                and offer_open(texting, turn.decision))):
        return call_back(record, texting, turn.decision)
    if intent in CLOSING and not digit:
        # A thank-you needs no answer (and costs an SMS); only an open RING offer is worth a reminder.
        if offer_open(texting, turn.decision) and intent is not Intent.NO:
            return [sms.text("ring_reminder")]
        return []
    return choose(record, texting, body, first=True, after_outcome=True)


def finish(record: SessionRecord, texting: Texting, decision: Decision) -> list[str]:
    """Record the outcome; the closing message(s)."""
    decision = conversation.finish(record, decision, texting.line_number)
    texting.state = replace(texting.state, decision=decision.to_dict())  # the one given (a known incident)
    context = turn_context()
    sms = SmsRenderer(context.line, texting.state.lang)
    locked = [sms.text("pin_locked")] if texting.pin.locked else []  # why no code is asked (any more)
    return locked + sms.outcome(decision, context.now, context.line.settings.sms_on_call_by)


def pin_entered(record: SessionRecord, texting: Texting, turn: Turn, body: str, intent: Intent) -> list[str]:
    """A staff code: right -> route again as staff; NEJ or too many wrong -> the decision stands."""
    skipped = intent in (Intent.YES, Intent.NO)
    decided = conversation.pin_entered(record, turn, texting.pin, body, skipped=skipped)
    if decided is None:
        sms = SmsRenderer(turn_context().line, texting.state.lang)
        return [sms.pin_retry()]
    texting.state = decided.state
    assert decided.decision is not None
    return finish(record, texting, decided.decision)


def choose(record: SessionRecord, texting: Texting, body: str, first: bool, after_outcome: bool = False) -> list[str]:
    """At the menu: a digit or a system's name starts that checklist (only what was recognised is stored).

    after_outcome: the conversation has an outcome that stays until a system is recognised.
    """
    line = turn_context().line
    sms = SmsRenderer(line, texting.state.lang)
    match = match_system(line.library.checklists, body)
    if match.checklist is None:
        if 1 < len(match.candidates) <= MAX_CANDIDATES:
            # "viv": Viva or Viva omsorg? Name them, with their numbers, in one SMS.
            return [sms.text("which_system", items=sms.items(match.candidates))]
        return [sms.menu()] if first or not body.strip() else [sms.text("bad_menu")]
    checklist = match.checklist
    if after_outcome:
        # A new problem after a finished one: start over, using this message.
        texting.state = engine.start(texting.state.lang).state
        texting.callback = None
        record.add_event(EventKind.SMS_STARTED, {"after": "outcome"})
    turn, intake = conversation.choose(record, texting.state, checklist)
    texting.state = turn.state
    told = sms.text("incident", count=intake.reports, system=checklist.name[texting.state.lang])
    preface = [told] if intake.incident and intake.known is None else []
    if turn.expect is Expect.GO_ON:
        name = checklist.name[texting.state.lang]
        if intake.known is not None:
            return [" ".join(told_texts(intake.known, texting.state.lang)), sms.text("notice_question")]
        return preface + [sms.text("notice", system=name, text=str(intake.announcement)), sms.text("notice_question")]
    return preface + [sms.step(turn)]


def prompt(sms: SmsRenderer, turn: Turn) -> list[str]:
    """The question the conversation waits on."""
    if turn.expect is Expect.SYSTEM:
        return [sms.menu()]
    if turn.expect is Expect.YES_NO:
        return [sms.step(turn)]
    if turn.expect is Expect.GO_ON:
        return [sms.text("notice_question")]
    return []  # the conversation has its outcome: nothing is waiting


def call_back(record: SessionRecord, texting: Texting, decision: Decision) -> list[str]:
    """RING: call the carer and bridge to the on-call manager (the number is never texted)."""
    context = turn_context()
    line = context.line
    sms = SmsRenderer(line, texting.state.lang)
    if decision.outcome is not Outcome.ON_CALL_MANAGER or line.settings.sms_on_call_by != "callback":
        return sms.outcome(decision, context.now, line.settings.sms_on_call_by)
    if texting.callback:
        return [sms.text("on_call_already")]
    if context.office_hours:
        # Office hours began since the offer: IT support is open, Chef i beredskap is not for this.
        record.add_event(EventKind.CALLBACK_IN_OFFICE_HOURS, {}, decision.checklist_id)
        return [sms.text("it_support", it_support=sms.it_support_number(), portal=line.settings.it_portal_url)]
    url = public_base() + action_url("/voice/callback", sms=record.id.removeprefix("sms:"))
    try:
        sid = context.notifier.create_call(str(record.caller), texting.line_number, url)
    except NotifyError as exc:
        record.add_event(EventKind.CALLBACK_FAILED, {"error": str(exc)}, decision.checklist_id)
        return [sms.text("on_call_failed")]
    texting.callback = sid
    record.add_event(EventKind.CALLBACK_REQUESTED, {"call": sid}, decision.checklist_id)
    return [sms.text("on_call_calling")]
