"""SMS webhook: the same checklists by text message, one step per message."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, request
from twilio.twiml.messaging_response import MessagingResponse

from flows import engine
from flows.engine import Expect, State, StateError, Turn
from flows.model import Checklist, Outcome
from flows.routing import Context, Decision
from ivr import deps
from ivr.notify import NotifyError
from ivr.signature import public_base
from ivr.sms_text import SmsRenderer
from ivr.store import SessionRecord
from ivr.voice import phone_number
from ivr.voice_twiml import url as action_url

bp = Blueprint("sms", __name__, url_prefix="/sms")

YES_WORDS = frozenset({"1", "ja", "j", "klar", "ok", "okej", "yes", "y"})
NO_WORDS = frozenset({"2", "nej", "n", "no"})
MENU_WORDS = frozenset({"meny", "menu"})
HELP_WORDS = frozenset({"hjalp", "?"})
STOP_WORDS = frozenset({"stopp", "avsluta"})
CALL_WORDS = frozenset({"ring", "call"})
LANGUAGE_WORDS = {"english": "en", "svenska": "sv"}
MIN_PREFIX = 3  # "npo", "alfa": shorter fragments are too ambiguous to start a checklist


def normalise(text: str) -> str:
    """Case-, space-, punctuation- and diacritic-tolerant form: " Viva Omsorg. " -> "vivaomsorg"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[\s.,!:;'\"\-_]+", "", letters)


def yes_no(text: str) -> bool | None:
    """True for yes, False for no, None for anything else."""
    word = normalise(text)
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    return None


def find_system(checklists: tuple[Checklist, ...], text: str) -> Checklist | None:
    """A checklist by menu digit, name or id; a unique prefix also counts ("alfa", "timecarema")."""
    word = normalise(text)
    if not word:
        return None
    best: dict[str, int] = {}  # checklist id -> length of its longest name the text matches
    for checklist in checklists:
        names = {normalise(checklist.id), *(normalise(name) for name in checklist.name.values())}
        if word == str(checklist.key) or word in names:
            return checklist
        lengths = [len(n) for n in names if n.startswith(word) or word.startswith(n)]
        if lengths and len(word) >= MIN_PREFIX:
            best[checklist.id] = max(lengths)
    ranked = sorted(best.items(), key=lambda item: -item[1])
    # "vivaomsorgappen" matches both "viva" and "vivaomsorg": the longer name wins; a tie is ambiguous.
    if ranked and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
        return next(c for c in checklists if c.id == ranked[0][0])
    return None


@dataclass
class Texting:
    """One sender's stored conversation."""

    state: State
    line_number: str = ""
    last_replies: list[str] = field(default_factory=list)  # resent if Twilio retries a message
    callback: str | None = None  # the call placed after RING, so a second RING places none

    def to_data(self) -> dict[str, Any]:
        """JSON-ready, for the store."""
        return {"state": self.state.to_json(), "line_number": self.line_number,
                "last_replies": self.last_replies, "callback": self.callback}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Texting:
        """Rebuild from the store."""
        return cls(State.from_json(str(data.get("state"))), str(data.get("line_number", "")),
                   [str(r) for r in data.get("last_replies", [])], data.get("callback"))


def reply(texts: list[str]) -> Response:
    """TwiML with one <Message> per text (none: Twilio sends nothing)."""
    response = MessagingResponse()
    for text in texts:
        response.message(text)
    return Response(str(response), mimetype="text/xml")


@bp.post("")
def incoming() -> Response:
    """One text from a member of staff."""
    line = deps.line()
    sender = phone_number(request.form.get("From", ""))
    body = request.form.get("Body", "")[:500]
    if sender is None:
        # No number to keep a conversation by: answer, keep nothing.
        return reply([SmsRenderer(line, line.settings.default_language).menu()])
    now = deps.now()
    with deps.store().session(f"sms:{sender}", "sms", now, caller=sender) as record:
        message_sid = request.form.get("MessageSid", "")
        if message_sid and not record.claim(message_sid[:64]):
            # Twilio retried a message already handled: answer the same, advance nothing.
            return reply(list((record.data or {}).get("last_replies", [])))
        texting, preface = load(record, now)
        texts = preface + handle(record, texting, body, fresh=record.data is None or bool(preface))
        texting.last_replies = texts
        if not record.delete:
            record.data = texting.to_data()
    return reply(texts)


def load(record: SessionRecord, now: Any) -> tuple[Texting, list[str]]:
    """The stored conversation, or a new one (with a note when the old one went quiet)."""
    line = deps.line()
    fresh = Texting(engine.start(line.settings.default_language).state, request.form.get("To", ""))
    if record.data is None:
        record.add_event("sms_started", {})
        return fresh, []
    try:
        texting = Texting.from_data(record.data)
    except (StateError, TypeError, ValueError) as exc:
        record.add_event("state_reset", {"reason": str(exc)})
        return fresh, []
    quiet = timedelta(minutes=line.settings.sms_quiet_minutes)
    if record.updated_at is not None and now - record.updated_at > quiet:
        if texting.state.checklist and texting.state.decision is None:
            record.add_event("abandoned", {"reason": "expired"}, texting.state.checklist)
        record.add_event("sms_started", {"after": "expired"})
        fresh.state = engine.start(texting.state.lang).state
        return fresh, [SmsRenderer(line, texting.state.lang).text("expired")]
    return texting, []


def handle(record: SessionRecord, texting: Texting, body: str, fresh: bool) -> list[str]:
    """The reply texts for one message; updates texting and queues audit events.

    fresh: a new or restarted conversation, where any text that names no system gets the menu.
    """
    line = deps.line()
    word = normalise(body)
    sms = SmsRenderer(line, texting.state.lang)
    if word in STOP_WORDS:
        if texting.state.checklist and texting.state.decision is None:
            record.add_event("abandoned", {"reason": "stopped"}, texting.state.checklist)
        record.delete = True  # nothing of the conversation is kept beyond the audit events
        return [sms.text("stopped")]
    if word in MENU_WORDS:
        texting.state = engine.menu(texting.state).state
        return [sms.menu()]
    if word in LANGUAGE_WORDS:
        texting.state = engine.set_language(texting.state, LANGUAGE_WORDS[word])
        record.add_event("language", {"lang": texting.state.lang})
        return prompt(SmsRenderer(line, texting.state.lang), engine.current(line.library, texting.state))
    turn = engine.current(line.library, texting.state)
    if word in HELP_WORDS:
        return [sms.text("help")] + prompt(sms, turn)
    if turn.expect is Expect.NOTHING:
        if word in CALL_WORDS and turn.decision is not None:
            return call_back(record, texting, turn.decision)
        # A new problem after a finished one: start over, using this message.
        texting.state = engine.start(texting.state.lang).state
        texting.callback = None
        record.add_event("sms_started", {"after": "outcome"})
        turn = engine.current(line.library, texting.state)
    if turn.expect is Expect.SYSTEM:
        return choose(record, texting, body, fresh)
    answer = yes_no(body)
    if answer is None:
        return [sms.text("bad_answer")] + prompt(sms, turn)
    new_turn = engine.answer(line.library, texting.state, answer, Context(line.calendar.is_office_hours(deps.now())))
    record.add_event("answer", {"step": turn.step.id if turn.step else None, "yes": answer}, texting.state.checklist)
    texting.state = new_turn.state
    if new_turn.decision is None:
        return prompt(sms, new_turn)
    record.add_event("outcome", new_turn.decision.to_dict(), new_turn.decision.checklist_id)
    return sms.outcome(new_turn.decision, deps.now(), line.settings.sms_on_call_by)


def choose(record: SessionRecord, texting: Texting, body: str, first: bool) -> list[str]:
    """At the menu: a digit or a system's name starts that checklist."""
    line = deps.line()
    sms = SmsRenderer(line, texting.state.lang)
    checklist = find_system(line.library.checklists, body)
    if checklist is None:
        return [sms.menu()] if first or not body.strip() else [sms.text("bad_menu")]
    turn = engine.choose(line.library, texting.state, checklist.id)
    texting.state = turn.state
    record.add_event("system_chosen", {"text": normalise(body)[:20]}, checklist.id)
    return [sms.step(turn)]


def prompt(sms: SmsRenderer, turn: Turn) -> list[str]:
    """The question the conversation waits on."""
    if turn.expect is Expect.SYSTEM:
        return [sms.menu()]
    if turn.expect is Expect.YES_NO:
        return [sms.step(turn)]
    return []  # the conversation has its outcome: nothing is waiting


def call_back(record: SessionRecord, texting: Texting, decision: Decision) -> list[str]:
    """RING: call the carer and bridge to the on-call manager (the number is never texted)."""
    line = deps.line()
    sms = SmsRenderer(line, texting.state.lang)
    if decision.outcome is not Outcome.ON_CALL_MANAGER or line.settings.sms_on_call_by != "callback":
        return sms.outcome(decision, deps.now(), line.settings.sms_on_call_by)
    if texting.callback:
        return [sms.text("on_call_already")]
    url = public_base() + action_url("/voice/callback", sms=record.caller)
    try:
        sid = deps.notifier().create_call(str(record.caller), texting.line_number, url)
    except NotifyError as exc:
        record.add_event("callback_failed", {"error": str(exc)}, decision.checklist_id)
        return [sms.text("on_call_failed")]
    texting.callback = sid
    record.add_event("callback_requested", {"call": sid}, decision.checklist_id)
    return [sms.text("on_call_calling")]
