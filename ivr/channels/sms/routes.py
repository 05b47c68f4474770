"""SMS webhook: the same checklists by text message, one step per message."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, request
from twilio.twiml.messaging_response import MessagingResponse

from flows import engine
from flows.engine import StateError
from flows.events import EventKind
from flows.names import normalise
from flows.phone import phone_number
from ivr.channels.sms import manager_sms
from ivr.channels.sms import reply as sms_reply
from ivr.channels.sms.admin_sms import admin_command, is_admin_command
from ivr.channels.sms.render import SmsRenderer
from ivr.conversation import dispatch
from ivr.conversation.intent import Act, Intent
from ivr.conversation.line_notice import line_wide_notice
from ivr.conversation.replies import Intent as Said
from ivr.conversation.replies import parse
from ivr.conversation.session import SMS, Session
from ivr.conversation.system_names import MAX_CANDIDATES, match_system
from ivr.privacy import caller_key, sms_session_id
from ivr.store import SessionRecord
from ivr.web.turn_context import turn_context

bp = Blueprint("sms", __name__, url_prefix="/sms")

# What each kind of text means to the conversation.
ACTS = {Said.MENU: Act.MENU, Said.HELP: Act.HELP, Said.STOP: Act.STOP, Said.CALL: Act.CALL,
        Said.LANGUAGE: Act.LANGUAGE, Said.YES: Act.YES, Said.NO: Act.NO, Said.DONT_KNOW: Act.DONT_KNOW,
        Said.ACK: Act.ACK, Said.THANKS: Act.THANKS, Said.NO_TICKET: Act.NO_TICKET, Said.TEXT: Act.OTHER}


def read(body: str) -> Intent:
    """A text, read once: what it says, and which system it may name (by number or name)."""
    said = parse(body)
    match = match_system(turn_context().line.library.checklists, body)
    candidates = match.candidates if 1 < len(match.candidates) <= MAX_CANDIDATES else ()
    return Intent(ACTS[said.intent], text=body, system=match.checklist, candidates=tuple(candidates),
                  lang=said.lang, number=normalise(body).isdigit())


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
        parts = dispatch.handle(record, texting, read(body), fresh=fresh)
        texts = notice + preface + sms_reply.render(parts, texting.state.lang)
        texting.last_replies = texts
        if not record.delete:
            record.data = texting.to_data()
    return reply(texts)


def load(record: SessionRecord) -> tuple[Session, list[str]]:
    """The stored conversation, or a new one (with a note when the old one went quiet)."""
    context = turn_context()
    line = context.line
    fresh = Session(SMS, engine.start(line.settings.default_language).state, request.form.get("To", ""))
    if record.data is None:
        record.add_event(EventKind.SMS_STARTED, {})
        return fresh, []
    try:
        texting = Session.from_data(SMS, record.data)
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
