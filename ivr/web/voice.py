"""Voice webhooks: the call's menu, steps, outcome, and the on-call dial with screening.

Each turn reads the call from the database and from the state its action URL
carries (ivr/carried_state.py), whichever is newer. When the database fails,
the turn runs on the carried state alone: the checklist still reaches the
outcome its rules give, with screening; only the audit events, incident counts
and announcements are missing, and that is logged and reported to the admins.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from flask import Blueprint, Response, current_app, request
from twilio.twiml.voice_response import VoiceResponse

from flows import engine
from flows.engine import Expect, State, StateError, Turn
from flows.model import Outcome
from flows.routing import Context, Decision
from ivr import deps
from ivr.notify import NotifyError
from ivr.privacy import caller_key
from ivr.store import SessionRecord, StoreError
from ivr.web import repair_alert
from ivr.web.carried_state import PARAM, TokenError, carry, decode, encode
from ivr.web.intake import Intake, offers_pin, pin_attempt, settle_pin, step_answered, system_chosen
from ivr.web.twiml import call_sid, dial_bridged, phone_number, query_int, twiml
from ivr.web.voice_render import VoiceRenderer

bp = Blueprint("voice", __name__, url_prefix="/voice")
log = logging.getLogger(__name__)

YES, NO, REPEAT, MENU, LANGUAGE = "1", "2", "*", "0", "#"
# Twilio reports a bridged <Dial> as "completed"; some clients say "answered".
DIAL_CONNECTED = frozenset({"completed", "answered"})


@dataclass
class Call:
    """One call's data: the engine state plus what the voice channel needs."""

    state: State
    misses: int = 0  # consecutive prompts without a key
    line_number: str = ""  # the line's own number: the sender of any SMS (never carried in URLs)
    dial: dict[str, Any] = field(default_factory=dict)  # the on-call dial: attempt, accepted, chain (person ids)
    pin: dict[str, Any] = field(default_factory=dict)  # {"tries": n} while a staff code is asked; {"ok": True}
    turn: int = 0  # turns taken: of the stored and the carried state, the one with more turns is newer
    ended: bool = False  # the status callback saw the call end: its number is never stored again
    callback: bool = False  # a call the line placed (RING by SMS): the carer is To, the line is From

    def to_data(self) -> dict[str, Any]:
        """JSON-ready, for the store."""
        return {**self.carried(), "line_number": self.line_number}

    def carried(self) -> dict[str, Any]:
        """What rides in the action URLs: everything but phone numbers."""
        return {"state": self.state.to_dict(), "misses": self.misses, "dial": self.dial, "pin": self.pin,
                "turn": self.turn, "ended": self.ended, "callback": self.callback}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Call:
        """Rebuild from the store or a carried token; StateError when it cannot be continued."""
        return cls(State.from_stored(data.get("state")), int(data.get("misses", 0)),
                   str(data.get("line_number", "")), dict(data.get("dial") or {}), dict(data.get("pin") or {}),
                   int(data.get("turn", 0)), bool(data.get("ended", False)), bool(data.get("callback", False)))


class DetachedRecord(SessionRecord):
    """A turn without its database: events are logged, not stored, and nothing is read."""


def state_key() -> bytes:
    """The key binding carried state to its call, derived from the pseudonym key (a server secret)."""
    return hmac.new(str(current_app.config["PSEUDONYM_KEY"]).encode(), b"carried call state", hashlib.sha256).digest()


def carried_call(sid: str, token: str) -> Call | None:
    """The call state a URL carried; None when there is none or it is not this call's."""
    if not token:
        return None
    try:
        return Call.from_data(decode(token, sid, state_key()))
    except (TokenError, StateError, TypeError, ValueError) as exc:
        log.warning("ignored the state carried in the URL: %s", exc)
        return None


def newer(stored: Call | None, carried: Call | None) -> Call | None:
    """The state to continue from: the stored one unless the URL carries a later turn."""
    if carried is None or (stored is not None and stored.turn >= carried.turn):
        return stored
    if stored is not None:
        carried.line_number = stored.line_number
        carried.ended = carried.ended or stored.ended
    return carried


Handler = Callable[[SessionRecord, Call], VoiceResponse]


def run_turn(handle: Handler, sid: str | None = None, token: str | None = None, offline: bool = False) -> Response:
    """Load the call, let handle() answer, save it; without a database, run on the carried state.

    token: the carried state (default: the request URL's); offline: skip the database
    (Twilio's fallback, after the line failed).
    """
    sid = sid or call_sid()
    carried = carried_call(sid, request.args.get(PARAM, "") if token is None else token)
    if not offline:
        response: VoiceResponse | None = None
        try:
            with deps.store().session(f"voice:{sid}", "voice", deps.now()) as record:
                call = open_call(record, carried)
                response = handle(record, call)
                close_turn(record, call, response, sid)
            return twiml(response)
        except StoreError as exc:
            log.error("database unavailable: the call goes on from the state in its URLs (%s)", exc)
            repair_alert.line_failed("database")
            if response is not None:
                return twiml(response)  # only the save failed: the answer already carries the new state
    record = DetachedRecord(id=f"voice:{sid}", channel="voice", caller=None, data=None, seq=0,
                            created_at=None, updated_at=None)
    call = open_call(record, carried)
    response = handle(record, call)
    close_turn(record, call, response, sid)
    if record.events:
        log.warning("audit events not stored (no database): %s", ", ".join(kind for kind, _, _ in record.events))
    return twiml(response)


def open_call(record: SessionRecord, carried: Call | None) -> Call:
    """The call to continue (stored or carried, the newer), or a new one; the caller's number on the record."""
    stored = None
    if record.data is not None:
        try:
            stored = Call.from_data(record.data)
        except (StateError, TypeError, ValueError) as exc:
            # A stored state that cannot go on (a checklist removed since) starts over.
            record.add_event("state_reset", {"reason": str(exc)})
    call = newer(stored, carried)
    if call is None:
        call = Call(engine.start(deps.line().settings.default_language).state)
        if record.data is None:
            record.add_event("call_started", {})
    # An incoming call's caller is From and the line To; a call-back the other way round.
    call.line_number = call.line_number or request.form.get("From" if call.callback else "To", "")
    if not call.ended:
        record.caller = record.caller or phone_number(request.form.get("To" if call.callback else "From", ""))
    record.caller_key = caller_key(record.caller)
    return call


def close_turn(record: SessionRecord, call: Call, response: VoiceResponse, sid: str) -> None:
    """Count the turn, store the call, and carry its state in every URL of the answer."""
    call.turn += 1
    record.data = call.to_data()
    carry(response, encode(call.carried(), sid, state_key()))


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


def intake(record: SessionRecord, system: str, line_number: str) -> Intake:
    """Announcement and incident for a chosen system; without the database, neither (logged)."""
    if isinstance(record, DetachedRecord):
        log.warning("no database: announcements and incident counts skipped for %s", system)
        return Intake()
    return system_chosen(record, system, line_number)


def announcement(record: SessionRecord, system: str | None) -> str | None:
    """IT's announcement in force for a system, read in the turn's own transaction."""
    if isinstance(record, DetachedRecord) or system is None:
        return None
    found = deps.store().announcements(deps.now(), via=record).get(system)
    return str(found["text"]) if found else None


@bp.post("")
def incoming() -> Response:
    """A new call: welcome and the system menu (a retried webhook re-presents the current turn)."""
    return run_turn(welcome)


def welcome(record: SessionRecord, call: Call) -> VoiceResponse:
    """The first turn's menu, or whatever the call already waits on."""
    if call.turn == 0:
        return renderer(call).menu(welcome=True)
    return present(record, call, engine.current(deps.line().library, call.state))


@bp.post("/input")
def keypress() -> Response:
    """A key (or silence) in answer to the menu or a step."""
    return run_turn(key_entered)


def key_entered(record: SessionRecord, call: Call) -> VoiceResponse:
    """What the call hears after a key (or silence), whatever it was waiting on."""
    digits = request.form.get("Digits", "").strip()
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
    return present(record, call, turn, [voice.text("no_input")])


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
    found = intake(record, checklist.id, call.line_number)
    turn = engine.choose(library, call.state, checklist.id, notice=bool(found.announcement), known=found.known)
    call.state = turn.state
    record.add_event("system_chosen", {"key": checklist.key, "incident": found.incident}, checklist.id)
    voice = renderer(call)
    preface = [voice.text("incident", system=checklist.name[call.state.lang])] if found.incident else []
    if turn.expect is Expect.GO_ON:
        return voice.notice(turn, preface + [str(found.announcement)])
    return voice.question(turn, preface, first=True)


def step_key(record: SessionRecord, call: Call, turn: Turn, digits: str) -> VoiceResponse:
    """A key in answer to a step."""
    voice = renderer(call)
    if digits == REPEAT:
        return present(record, call, turn)
    if digits == MENU:
        record.add_event("back_to_menu", {"step": step_id(turn)}, call.state.checklist)
        call.state = engine.menu(call.state).state
        return voice.menu()
    if digits not in (YES, NO):
        return present(record, call, turn, [voice.text("bad_answer_key")])
    ctx = context(record, call)
    new_turn = engine.answer(deps.line().library, call.state, digits == YES, ctx)
    call.state = new_turn.state
    if turn.expect is Expect.GO_ON:
        record.add_event("notice_answer", {"go_on": digits == YES}, call.state.checklist)
    else:
        record.add_event("answer", {"step": step_id(turn), "yes": digits == YES}, call.state.checklist)
        if not isinstance(record, DetachedRecord):  # without a database no report is counted
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
    """Fix the on-call chain for this call now, so a handover mid-call cannot reorder it; its numbers."""
    people = deps.line().roster.chain_at(deps.now())
    call.dial = {"kind": "on_call", "attempt": 0, "accepted": False, "chain": [person.id for person in people]}
    return [person.number for person in people]


def on_call_numbers(call: Call) -> list[str]:
    """The numbers of the chain fixed for this call (by person id: no number rides in a URL)."""
    people = deps.line().roster.people
    ids = [str(person) for person in call.dial.get("chain", [])]
    if ids and all(person in people for person in ids):
        return [people[person].number for person in ids]
    return [person.number for person in deps.line().roster.chain_at(deps.now())]  # the roster changed since


def present(record: SessionRecord, call: Call, turn: Turn, preface: list[str] | None = None) -> VoiceResponse:
    """Re-present whatever the call is waiting on."""
    voice = renderer(call)
    if turn.expect is Expect.SYSTEM:
        return voice.menu(preface or [])
    if turn.expect is Expect.YES_NO:
        return voice.question(turn, preface or [])
    if turn.expect is Expect.GO_ON:
        text = announcement(record, call.state.checklist)
        return voice.notice(turn, (preface or []) + ([text] if text else []))
    return voice.goodbye("goodbye")


def step_id(turn: Turn) -> str | None:
    """The id of the step a turn waits on."""
    return turn.step.id if turn.step else None


@bp.post("/dial/<kind>")
def dial_result(kind: str) -> Response:
    """How a <Dial> ended: done, or what the caller should do instead."""
    return run_turn(dial_handler(kind))


def dial_handler(kind: str) -> Handler:
    """The turn after a <Dial> of this kind."""
    status = request.form.get("DialCallStatus", "")
    if kind == "on_call":
        return lambda record, call: on_call_result(record, call, status)
    return lambda record, call: other_dial_result(record, call, kind, status)


def other_dial_result(record: SessionRecord, call: Call, kind: str, status: str) -> VoiceResponse:
    """After the dial to IT support (or another number): hang up when it was answered, else say whom to call."""
    voice = renderer(call)
    record.add_event("dial_result", {"kind": kind, "status": status}, call.state.checklist)
    if status in DIAL_CONNECTED:
        response = VoiceResponse()
        response.hangup()
        return response
    if kind == "it_support":
        return voice.goodbye("it_support_unanswered")
    return voice.goodbye("give_up_office", it_support=voice.it_support_number())


def on_call_result(record: SessionRecord, call: Call, status: str) -> VoiceResponse:
    """After one on-call number: connected, the next number, or an SMS and a promise of a call back.

    Connected means the manager pressed 1 in the whisper, whatever DialCallStatus says:
    recorded in the store, or (without it) Twilio's DialBridged, since a screened leg is
    only bridged once the whisper let it through.
    """
    voice = renderer(call)
    attempt = int(call.dial.get("attempt", 0))
    accepted = bool(call.dial.get("accepted")) or dial_bridged()
    record.add_event("dial_result", {"kind": "on_call", "attempt": attempt, "status": status,
                                     "accepted": accepted}, call.state.checklist)
    if accepted:
        response = VoiceResponse()
        response.hangup()
        return response
    if call.state.decision is None or call.state.decision.get("outcome") != Outcome.ON_CALL_MANAGER.value:
        return voice.goodbye("goodbye")  # no on-call dial was made for this call: nothing to continue
    chain = on_call_numbers(call)
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
    carried = carried_call(parent, request.args.get(PARAM, ""))
    try:
        record = deps.store().get(f"voice:{parent}")
        stored = Call.from_data(record.data) if record is not None and record.data is not None else None
        caller = record.caller if record is not None else None
    except (StoreError, StateError, TypeError, ValueError) as exc:
        log.error("whisper without the stored call (%s): it uses the state its URL carries", exc)
        stored = None
        # The manager's leg shows the caller's number as its own From (Twilio's default caller ID).
        caller = phone_number(request.form.get("From", ""))
    call = newer(stored, carried)
    if call is None or call.state.decision is None:
        response = VoiceResponse()
        response.hangup()  # no escalation waiting: this leg has nothing to say
        return twiml(response)
    decision = Decision.from_dict(call.state.decision)
    voice = VoiceRenderer(deps.line(), deps.line().settings.default_language)
    return twiml(voice.whisper(decision, caller or "", parent, attempt))


@bp.post("/whisper/accept")
def whisper_accept() -> Response:
    """The manager's key: 1 bridges the call, anything else hangs up this leg."""
    parent = request.args.get("call", "")
    attempt = query_int("attempt")
    voice = VoiceRenderer(deps.line(), deps.line().settings.default_language)
    if request.form.get("Digits", "") != YES:
        return twiml(voice.declined())
    try:
        with deps.store().session(f"voice:{parent}", "voice", deps.now()) as record:
            if record.data is not None and int(record.data.get("dial", {}).get("attempt", -1)) == attempt:
                record.data = {**record.data, "dial": {**record.data["dial"], "accepted": True}}
                record.add_event("on_call_accepted", {"attempt": attempt})
    except StoreError as exc:
        # The bridge itself is the record: the dial's action hears DialBridged=true.
        log.error("could not store the manager's acceptance (%s); bridging anyway", exc)
    return twiml(VoiceResponse())  # an empty response bridges the two legs


@bp.post("/callback")
def callback() -> Response:
    """A call the SMS line placed after RING: bridge the carer to the on-call manager."""
    sms_session = deps.store().get(f"sms:{request.args.get('sms', '')}")
    decision_data = _sms_decision(sms_session.data if sms_session else None)
    return run_turn(lambda record, call: bridge_callback(record, call, decision_data, sms_session))


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
    call.callback = True
    numbers = start_on_call(call)
    record.add_event("callback_started", {}, decision.checklist_id)
    voice = renderer(call)
    response = VoiceResponse()
    system = deps.line().library.by_id(decision.checklist_id).name[call.state.lang]
    voice.say(response, voice.text("callback_intro", system=system))
    voice.say(response, voice.text("on_call_manager"))
    voice.dial_on_call(response, call_sid(), 0, numbers[0])
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
    try:
        record = deps.store().get(f"voice:{call_sid()}")
        if record is not None and record.data is not None:
            with deps.store().session(f"voice:{call_sid()}", "voice", deps.now()) as record:
                if record.data is not None:
                    call_ended(record, Call.from_data(record.data))
    except (StoreError, StateError, TypeError, ValueError) as exc:
        log.error("status callback not recorded: %s", exc)
    return twiml(VoiceResponse())


def call_ended(record: SessionRecord, call: Call) -> None:
    """Forget the call's number for good, and count a hang-up before the outcome as abandoned."""
    record.caller_key = caller_key(record.caller)  # these last events still count this caller
    call.ended = True
    record.caller = None
    if call.state.decision is None:
        record.add_event("abandoned", {"reason": "hangup", "step": call.state.step}, call.state.checklist)
    record.add_event("call_ended", {"status": request.form.get("CallStatus"),
                                    "seconds": request.form.get("CallDuration", "")[:8]}, call.state.checklist)
    record.data = call.to_data()


def continue_after_failure(error_url: str) -> Response | None:
    """Twilio's fallback: answer the request that failed from the state its URL carried, without the database.

    None when that request cannot be continued this way (the caller then gets the
    fault answer).
    """
    parts = urlsplit(error_url)
    query = dict(parse_qsl(parts.query))
    path = parts.path.rstrip("/")
    token = query.get(PARAM, "")
    handlers: dict[str, Callable[[], Handler]] = {
        "/voice": lambda: welcome, "/voice/input": lambda: key_entered,
        "/voice/dial/on_call": lambda: dial_handler("on_call"),
        "/voice/dial/it_support": lambda: dial_handler("it_support"),
        "/voice/dial/local": lambda: dial_handler("local"),
    }
    handler = next((make for suffix, make in handlers.items() if path.endswith(suffix)), None)
    if handler is None:
        return None
    return run_turn(handler(), token=token, offline=True)
