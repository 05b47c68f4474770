"""Voice webhooks: the call's menu, steps, outcome, and the on-call dial with screening."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, request
from twilio.twiml.voice_response import VoiceResponse

from flows import engine
from flows.engine import Expect, State, StateError, Turn
from flows.model import Outcome
from flows.routing import Context, Decision
from ivr import deps
from ivr.intake import offers_pin, pin_attempt, settle_pin, step_answered, system_chosen
from ivr.notify import NotifyError
from ivr.privacy import caller_key
from ivr.store import SessionRecord
from ivr.twiml_cache import serialise
from ivr.voice_twiml import VoiceRenderer

bp = Blueprint("voice", __name__, url_prefix="/voice")

YES, NO, REPEAT, MENU, LANGUAGE = "1", "2", "*", "0", "#"
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
# What Twilio puts in From when the caller hides their number ("ANONYMOUS" etc. on a keypad).
HIDDEN_NUMBERS = frozenset({"+266696687", "+86282452253", "+8656696", "+2562533", "+7378742833"})


def twiml(response: VoiceResponse) -> Response:
    """A TwiML HTTP response."""
    return Response(serialise(response), mimetype="text/xml")


@dataclass
class Call:
    """One call's stored data: the engine state plus what the voice channel needs."""

    state: State
    misses: int = 0  # consecutive prompts without a key
    line_number: str = ""  # the number the caller dialled: the sender of any SMS
    dial: dict[str, Any] = field(default_factory=dict)  # the dial in progress
    pin: dict[str, Any] = field(default_factory=dict)  # {"tries": n} while a staff code is asked; {"ok": True}

    def to_data(self) -> dict[str, Any]:
        """JSON-ready, for the store."""
        return {"state": self.state.to_dict(), "misses": self.misses,
                "line_number": self.line_number, "dial": self.dial, "pin": self.pin}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Call:
        """Rebuild from the store; StateError when it cannot be continued."""
        return cls(State.from_stored(data.get("state")), int(data.get("misses", 0)),
                   str(data.get("line_number", "")), dict(data.get("dial") or {}), dict(data.get("pin") or {}))


@contextmanager
def call_session(call_sid: str) -> Iterator[tuple[SessionRecord, Call]]:
    """Load a call by CallSid, yield it, save it with its events in one transaction."""
    with deps.store().session(f"voice:{call_sid}", "voice", deps.now()) as record:
        # The first request's From is the caller; a call-back's caller is set when it starts.
        record.caller = record.caller or phone_number(request.form.get("From", ""))
        record.caller_key = caller_key(record.caller)
        if record.data is None:
            lang = deps.line().settings.default_language
            call = Call(engine.start(lang).state, line_number=request.form.get("To", ""))
            record.add_event("call_started", {})
        else:
            try:
                call = Call.from_data(record.data)
            except (StateError, TypeError, ValueError) as exc:
                # A stored state that cannot go on (a checklist removed since) starts over.
                record.add_event("state_reset", {"reason": str(exc)})
                call = Call(engine.start(deps.line().settings.default_language).state)
        yield record, call
        record.data = call.to_data()


def phone_number(value: str) -> str | None:
    """The caller's E.164 number; None for withheld numbers, SIP and client identities."""
    value = value.strip()
    return value if E164.match(value) and value not in HIDDEN_NUMBERS else None


def query_int(name: str) -> int:
    """A small whole number from our own action URL's query; 0 if it was tampered into anything else."""
    value = request.args.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 3 else 0


def call_sid() -> str:
    """The CallSid of this webhook; a request without one is not from Twilio's voice API."""
    return request.form.get("CallSid", "") or "unknown"


def renderer(call: Call) -> VoiceRenderer:
    """The voice in the call's language."""
    return VoiceRenderer(deps.line(), call.state.lang)


def context(record: SessionRecord | None = None, call: Call | None = None) -> Context:
    """Routing context for this moment and caller (staff phone, or a staff code keyed in)."""
    office = deps.line().calendar.is_office_hours(deps.now())
    if record is None or call is None:
        return Context(office_hours=office)
    may_escalate = deps.line().settings.is_staff(record.caller) or bool(call.pin.get("ok"))
    return Context(office_hours=office, may_escalate=may_escalate)


@bp.post("")
def incoming() -> Response:
    """A new call: welcome and the system menu (a retried webhook re-presents the current turn)."""
    with call_session(call_sid()) as (record, call):
        if record.seq == 0:
            response = renderer(call).menu(welcome=True)
        else:
            response = present(call, engine.current(deps.line().library, call.state))
    # Serialised after the commit: on SQLite the write lock is held no longer than the turn needs.
    return twiml(response)


@bp.post("/input")
def keypress() -> Response:
    """A key (or silence) in answer to the menu or a step."""
    digits = request.form.get("Digits", "").strip()
    with call_session(call_sid()) as (record, call):
        response = key_entered(record, call, digits)
    return twiml(response)


def key_entered(record: SessionRecord, call: Call, digits: str) -> VoiceResponse:
    """What the call hears after a key (or silence), whatever it was waiting on."""
    turn = engine.current(deps.line().library, call.state)
    if "tries" in call.pin and turn.decision is not None:
        return pin_entered(record, call, turn, digits)
    if turn.expect is Expect.NOTHING:
        return renderer(call).goodbye("goodbye")
    if not digits:
        return no_input(record, call, turn)
    call.misses = 0
    if turn.expect is Expect.SYSTEM:
        return menu_key(record, call, digits)
    return step_key(record, call, turn, digits)


def pin_entered(record: SessionRecord, call: Call, turn: Turn, digits: str) -> VoiceResponse:
    """A staff code (or # to skip): right code -> route again as staff; else the decision stands."""
    result, call.pin = pin_attempt(call.pin, digits, skipped=not digits)
    decided = settle_pin(record, result, turn, lambda: context(record, call))
    if decided is None:
        return renderer(call).pin_prompt([renderer(call).text("pin_wrong")])
    call.state = decided.state
    assert decided.decision is not None
    return finish(record, call, decided.decision)


def no_input(record: SessionRecord, call: Call, turn: Turn) -> VoiceResponse:
    """Silence: ask again, up to max_repeats, then tell whom to contact and hang up."""
    call.misses += 1
    voice = renderer(call)
    if call.misses >= deps.line().settings.max_repeats:
        record.add_event("abandoned", {"reason": "no_input", "step": step_id(turn)}, call.state.checklist)
        key = "give_up_office" if context().office_hours else "give_up_after"
        return voice.goodbye("no_input", key, it_support=voice.it_support_number())
    return present(call, turn, [voice.text("no_input")])


def menu_key(record: SessionRecord, call: Call, digits: str) -> VoiceResponse:
    """A key at the system menu."""
    library = deps.line().library
    if digits == LANGUAGE and len(deps.line().settings.languages) > 1:
        languages = deps.line().settings.languages
        new_lang = languages[(languages.index(call.state.lang) + 1) % len(languages)]
        call.state = engine.set_language(call.state, new_lang)
        record.add_event("language", {"lang": new_lang})
        return renderer(call).menu()
    if digits in (REPEAT, MENU):
        return renderer(call).menu()
    checklist = library.by_key(int(digits)) if len(digits) == 1 and digits in "123456789" else None
    if checklist is None:
        return renderer(call).menu([renderer(call).text("bad_menu_key")])
    intake = system_chosen(record, checklist.id, call.line_number)
    turn = engine.choose(library, call.state, checklist.id, notice=bool(intake.announcement), known=intake.known)
    call.state = turn.state
    record.add_event("system_chosen", {"key": checklist.key, "incident": intake.incident}, checklist.id)
    voice = renderer(call)
    preface = [voice.text("incident", system=checklist.name[call.state.lang])] if intake.incident else []
    if turn.expect is Expect.GO_ON:
        return voice.notice(turn, preface + [str(intake.announcement)])
    return voice.question(turn, preface, first=True)


def step_key(record: SessionRecord, call: Call, turn: Turn, digits: str) -> VoiceResponse:
    """A key in answer to a step."""
    voice = renderer(call)
    if digits == REPEAT:
        return present(call, turn)
    if digits == MENU:
        record.add_event("back_to_menu", {"step": step_id(turn)}, call.state.checklist)
        call.state = engine.menu(call.state).state
        return voice.menu()
    if digits not in (YES, NO):
        return present(call, turn, [voice.text("bad_answer_key")])
    ctx = context(record, call)
    new_turn = engine.answer(deps.line().library, call.state, digits == YES, ctx)
    call.state = new_turn.state
    if turn.expect is Expect.GO_ON:
        record.add_event("notice_answer", {"go_on": digits == YES}, call.state.checklist)
    else:
        record.add_event("answer", {"step": step_id(turn), "yes": digits == YES}, call.state.checklist)
        step_answered(record, call.state.checklist)
    if new_turn.decision is None:
        return voice.question(new_turn, first=turn.expect is Expect.GO_ON)
    if offers_pin(new_turn, ctx):
        call.pin = {"tries": 0}
        record.add_event("pin_asked", {}, call.state.checklist)
        return voice.pin_prompt()
    return finish(record, call, new_turn.decision)


def finish(record: SessionRecord, call: Call, decision: Decision) -> VoiceResponse:
    """Record the outcome and render it."""
    record.add_event("outcome", decision.to_dict(), decision.checklist_id)
    chain: list[str] = []
    if decision.outcome is Outcome.ON_CALL_MANAGER:
        chain = start_on_call(call)
    return renderer(call).outcome(decision, record.id.removeprefix("voice:"), deps.now(), *chain[:1])


def start_on_call(call: Call) -> list[str]:
    """Fix the on-call chain for this call now, so a handover mid-call cannot reorder it."""
    chain = [person.number for person in deps.line().roster.chain_at(deps.now())]
    call.dial = {"kind": "on_call", "attempt": 0, "accepted": False, "chain": chain}
    return chain


def present(call: Call, turn: Turn, preface: list[str] | None = None) -> VoiceResponse:
    """Re-present whatever the call is waiting on."""
    voice = renderer(call)
    if turn.expect is Expect.SYSTEM:
        return voice.menu(preface or [])
    if turn.expect is Expect.YES_NO:
        return voice.question(turn, preface or [])
    if turn.expect is Expect.GO_ON:
        announcement = deps.store().announcements(deps.now()).get(str(call.state.checklist))
        return voice.notice(turn, (preface or []) + ([str(announcement["text"])] if announcement else []))
    return voice.goodbye("goodbye")


def step_id(turn: Turn) -> str | None:
    """The id of the step a turn waits on."""
    return turn.step.id if turn.step else None


@bp.post("/dial/<kind>")
def dial_result(kind: str) -> Response:
    """How a <Dial> ended: done, or what the caller should do instead."""
    status = request.form.get("DialCallStatus", "")
    with call_session(call_sid()) as (record, call):
        if kind == "on_call":
            response = on_call_result(record, call, status)
        else:
            response = other_dial_result(record, call, kind, status)
    return twiml(response)


def other_dial_result(record: SessionRecord, call: Call, kind: str, status: str) -> VoiceResponse:
    """After the dial to IT support (or another number): hang up when it was answered, else say whom to call."""
    voice = renderer(call)
    record.add_event("dial_result", {"kind": kind, "status": status}, call.state.checklist)
    if status == "completed":
        response = VoiceResponse()
        response.hangup()
        return response
    if kind == "it_support":
        return voice.goodbye("it_support_unanswered")
    return voice.goodbye("give_up_office", it_support=voice.it_support_number())


def on_call_result(record: SessionRecord, call: Call, status: str) -> VoiceResponse:
    """After one on-call number: connected, the next number, or an SMS and a promise of a call back."""
    voice = renderer(call)
    attempt = int(call.dial.get("attempt", 0))
    accepted = bool(call.dial.get("accepted"))
    record.add_event("dial_result", {"kind": "on_call", "attempt": attempt, "status": status,
                                     "accepted": accepted}, call.state.checklist)
    if status == "completed" and accepted:
        response = VoiceResponse()
        response.hangup()
        return response
    # A dial started before the chain was stored (an older deploy) takes today's chain.
    chain = [str(n) for n in call.dial.get("chain", [])] or [p.number for p in deps.line().roster.chain_at(deps.now())]
    if call.state.decision is None or call.state.decision.get("outcome") != Outcome.ON_CALL_MANAGER.value:
        return voice.goodbye("goodbye")  # no on-call dial was made for this call: nothing to continue
    if attempt + 1 < len(chain):
        call.dial = {**call.dial, "attempt": attempt + 1, "accepted": False}
        response = VoiceResponse()
        voice.say(response, voice.text("on_call_next"))
        voice.dial_on_call(response, record.id.removeprefix("voice:"), attempt + 1, chain[attempt + 1])
        return response
    decision = Decision.from_dict(call.state.decision or {})
    lang = deps.line().settings.default_language
    manager_voice = VoiceRenderer(deps.line(), lang)
    body = deps.line().messages.get(
        "whisper", "sms", lang, caller=record.caller or manager_voice.text_whisper("unknown_caller"),
        system=deps.line().library.by_id(decision.checklist_id).name[lang],
        facts=manager_voice.facts_text(decision) or "-",
    )
    try:
        sid = deps.notifier().send_sms(chain[0], call.line_number, body)
    except NotifyError as exc:
        record.add_event("on_call_sms_failed", {"error": str(exc)}, call.state.checklist)
        return voice.goodbye("on_call_unreachable")
    record.add_event("on_call_sms", {"sid": sid}, call.state.checklist)
    # A hidden number cannot be called back: the caller must try again instead.
    return voice.goodbye("on_call_unanswered" if record.caller else "on_call_unreachable")


@bp.post("/whisper")
def whisper() -> Response:
    """The on-call manager's leg: who calls about what, press 1 to accept."""
    parent = request.args.get("call", "")
    attempt = query_int("attempt")
    record = deps.store().get(f"voice:{parent}")
    call = Call.from_data(record.data) if record is not None and record.data is not None else None
    if record is None or call is None or call.state.decision is None:
        response = VoiceResponse()
        response.hangup()  # no escalation waiting: this leg has nothing to say
        return twiml(response)
    decision = Decision.from_dict(call.state.decision or {})
    voice = VoiceRenderer(deps.line(), deps.line().settings.default_language)
    return twiml(voice.whisper(decision, record.caller or "", parent, attempt))


@bp.post("/whisper/accept")
def whisper_accept() -> Response:
    """The manager's key: 1 bridges the call, anything else hangs up this leg."""
    parent = request.args.get("call", "")
    attempt = query_int("attempt")
    voice = VoiceRenderer(deps.line(), deps.line().settings.default_language)
    if request.form.get("Digits", "") != YES:
        response = VoiceResponse()
        voice.say(response, voice.text_whisper("declined"))
        response.hangup()
        return twiml(response)
    with deps.store().session(f"voice:{parent}", "voice", deps.now()) as record:
        if record.data is not None and int(record.data.get("dial", {}).get("attempt", -1)) == attempt:
            record.data = {**record.data, "dial": {**record.data["dial"], "accepted": True}}
            record.add_event("on_call_accepted", {"attempt": attempt})
    return twiml(VoiceResponse())  # an empty response bridges the two legs


@bp.post("/callback")
def callback() -> Response:
    """A call the SMS line placed after RING: bridge the carer to the on-call manager."""
    sms_session = deps.store().get(f"sms:{request.args.get('sms', '')}")
    decision_data = _sms_decision(sms_session.data if sms_session else None)
    with call_session(call_sid()) as (record, call):
        response = bridge_callback(record, call, decision_data, sms_session)
    return twiml(response)


def bridge_callback(record: SessionRecord, call: Call, decision_data: dict[str, Any] | None,
                    sms_session: SessionRecord | None) -> VoiceResponse:
    """The carer answered the call-back: say why, then dial the on-call chain."""
    record.caller = phone_number(request.form.get("To", ""))  # Twilio called the carer
    record.caller_key = caller_key(record.caller)
    voice = renderer(call)
    if decision_data is None or record.caller is None:
        record.add_event("callback_invalid", {})
        return voice.goodbye("on_call_unreachable")
    decision = Decision.from_dict(decision_data)
    call.state = State.from_stored(_sms_state(sms_session.data if sms_session else None))
    call.line_number = request.form.get("From", "")
    chain = start_on_call(call)
    record.add_event("callback_started", {}, decision.checklist_id)
    voice = renderer(call)
    response = VoiceResponse()
    system = deps.line().library.by_id(decision.checklist_id).name[call.state.lang]
    voice.say(response, voice.text("callback_intro", system=system))
    voice.say(response, voice.text("on_call_manager"))
    voice.dial_on_call(response, call_sid(), 0, chain[0])
    return response


def _sms_state(data: dict[str, Any] | None) -> object:
    return (data or {}).get("state")


def _sms_decision(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """The SMS conversation's decision, only if it is an on-call decision."""
    try:
        state = State.from_stored(_sms_state(data))
    except StateError:
        return None
    if state.decision is None or state.decision.get("outcome") != Outcome.ON_CALL_MANAGER.value:
        return None
    return state.decision


@bp.post("/status")
def status() -> Response:
    """Twilio's status callback: a call that ended before its outcome was abandoned by the caller."""
    if request.form.get("CallStatus") not in ("completed", "busy", "failed", "no-answer", "canceled"):
        return twiml(VoiceResponse())
    record = deps.store().get(f"voice:{call_sid()}")
    if record is None or record.data is None:
        return twiml(VoiceResponse())
    with call_session(call_sid()) as (record, call):
        record.caller = None  # the call is over: its number is no longer needed
        if call.state.decision is None:
            record.add_event("abandoned", {"reason": "hangup", "step": call.state.step}, call.state.checklist)
        record.add_event("call_ended", {"status": request.form.get("CallStatus"),
                                        "seconds": request.form.get("CallDuration", "")[:8]}, call.state.checklist)
    return twiml(VoiceResponse())
