"""What a call hears on each turn: keys at the menu and the steps, the outcome, and the on-call dial.

Each function takes the turn's record and call and returns the TwiML; the
routes (ivr/web/voice.py) and Twilio's fallback (ivr/web/fallback.py) run them
through ivr/web/voice_call.run_turn.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from flask import Response, request
from twilio.twiml.voice_response import VoiceResponse

from flows import engine
from flows.endings import offers_it_support
from flows.engine import Expect, State, StateError, Turn
from flows.events import EventKind
from flows.facts import manager_sms
from flows.model import UNKNOWN, Answer, Outcome
from flows.phone import phone_number, takes_sms
from flows.routing import Decision
from flows.sms_render import SmsRenderer
from ivr import outbox
from ivr.outbox import Outgoing
from ivr.outbox.escalation import manager_chain
from ivr.privacy import caller_key
from ivr.store import SessionRecord
from ivr.tickets import filing as tickets
from ivr.web import conversation, voice_speech
from ivr.web.carried_state import PARAM
from ivr.web.conversation import online
from ivr.web.handover import continue_by_sms
from ivr.web.incidents import known_incident, told_texts
from ivr.web.line_notice import line_wide_notice
from ivr.web.receipt import send_receipt
from ivr.web.resume import resumable
from ivr.web.turn_context import turn_context
from ivr.web.twiml import call_sid, dial_bridged, hang_up
from ivr.web.voice_call import Call, DialState, Handler, run_turn
from ivr.web.voice_render import VoiceRenderer

log = logging.getLogger(__name__)

YES, NO, REPEAT, MENU, LANGUAGE = "1", "2", "*", "0", "#"
DONT_KNOW = "3"  # "vet inte", only on a step whose checklist allows it
# Twilio reports a bridged <Dial> as "completed"; some clients say "answered".
DIAL_CONNECTED = frozenset({"completed", "answered"})

MORE_TIME = "5"  # the key with the raised dot: found without looking
BY_SMS = "8"
# While a caller has time (key 5), a short reminder this often says the line is still there.
WAIT_ROUND_SECONDS = 30


def renderer(call: Call) -> VoiceRenderer:
    """The voice in the call's language."""
    return VoiceRenderer(turn_context().line, call.state.lang)


def announcement(record: SessionRecord, system: str | None) -> str | None:
    """IT's announcement in force for a system, read in the turn's own transaction (none without it)."""
    if not online(record) or system is None:
        return None
    context = turn_context()
    found = context.store.announcements(context.now, via=record).get(system)
    return str(found["text"]) if found else None


def notice_texts(record: SessionRecord, call: Call) -> list[str]:
    """What the "go through anyway?" question follows: IT's announcement, else that Chef i beredskap knows."""
    text = announcement(record, call.state.checklist)
    if text is not None:
        return [text]
    known = known_incident(record, call.state.checklist) if online(record) and call.state.checklist else None
    return told_texts(known, call.state.lang) if known else []


def welcome(record: SessionRecord, call: Call) -> VoiceResponse:
    """The first turn's menu (or the offer to go on after a dropped call); a retried webhook: the same again."""
    if call.turn == 0:
        dropped = resumable(record)
        notice = line_wide_notice(record, "voice", call.state.lang) if online(record) else []
        if dropped is None:
            return renderer(call).menu(notice, welcome=True)
        session_id, state = dropped
        call.offer = state.to_dict()
        # No system on the event: a caller who starts over is counted under the system chosen then.
        record.add_event(EventKind.RESUME_OFFERED, {"call": session_id.removeprefix("voice:"),
                                                    "checklist": state.checklist, "step": state.step})
        return renderer(call).resume_offer(engine.current(turn_context().line.library, state), welcome=True,
                                           preface=notice)
    return present(record, call, engine.current(turn_context().line.library, call.state))


def resume_key(record: SessionRecord, call: Call, digits: str) -> VoiceResponse:
    """At the offer: 1 goes on at the dropped call's step with its answers, 2 (or 0) starts over at the menu."""
    assert call.offer is not None
    line = turn_context().line
    offered = State.from_dict(call.offer)
    if digits == YES:
        call.offer = None
        call.state = offered
        turn = engine.current(line.library, offered)
        record.add_event(EventKind.RESUMED, {"step": step_id(turn)}, offered.checklist)
        # A new call: the system's name and every key once more.
        return renderer(call).question(turn, first=True, can_text=can_text(record))
    if digits in (NO, MENU):
        call.offer = None
        record.add_event(EventKind.RESUME_DECLINED, {"checklist": offered.checklist})
        return renderer(call).menu()
    return present(record, call, engine.current(line.library, call.state))


def key_entered(record: SessionRecord, call: Call) -> VoiceResponse:
    """What the call hears after a key (or silence), whatever it was waiting on."""
    digits = request.form.get("Digits", "").strip()
    turn = engine.current(turn_context().line.library, call.state)
    if call.pin.asking and turn.decision is not None:
        return pin_entered(record, call, turn, digits)
    if turn.expect is Expect.NOTHING:
        return after_outcome(record, call, turn, digits)
    spoken = voice_speech.heard(turn, call.state.lang)
    if spoken is not None:  # speech counts as its key; unclear speech is asked again, by keys
        call.misses = 0
        if spoken.key is None:
            return present(record, call, turn, [renderer(call).text("speech_unsure")])
        digits = spoken.key
    if not digits:
        if call.waiting and turn.expect is Expect.YES_NO:
            return still_waiting(record, call, turn)
        return no_input(record, call, turn)
    call.misses = 0
    call.waiting = 0  # any key ends a wait (key 5 starts a new one)
    if call.offer is not None and turn.expect is Expect.SYSTEM:
        return resume_key(record, call, digits)
    if turn.expect is Expect.SYSTEM:
        return menu_key(record, call, digits)
    return step_key(record, call, turn, digits)


def pin_entered(record: SessionRecord, call: Call, turn: Turn, digits: str) -> VoiceResponse:
    """A staff code (or # to skip): right code -> route again as staff; else the decision stands."""
    decided = conversation.pin_entered(record, turn, call.pin, digits, skipped=not digits)
    if decided is None:
        return renderer(call).pin_prompt([renderer(call).text("pin_wrong")])
    call.state = decided.state
    assert decided.decision is not None
    return finish(record, call, decided.decision)


def no_input(record: SessionRecord, call: Call, turn: Turn) -> VoiceResponse:
    """Silence: ask again, up to max_repeats, then tell whom to contact and hang up."""
    call.misses += 1
    voice = renderer(call)
    if call.misses >= turn_context().line.settings.max_repeats:
        record.add_event(EventKind.ABANDONED, {"reason": "no_input", "step": step_id(turn)}, call.state.checklist)
        key = "give_up_office" if turn_context().office_hours else "give_up_after"
        return voice.goodbye("no_input", key, it_support=voice.it_support_number())
    return present(record, call, turn, [voice.text("no_input")])


def after_outcome(record: SessionRecord, call: Call, turn: Turn, digits: str) -> VoiceResponse:
    """A key after the outcome: 1 takes an ending's offer of IT support (office hours), anything else ends."""
    context = turn_context()
    if digits == YES and turn.decision is not None and offers_it_support(context.line, turn.decision, context.now):
        record.add_event(EventKind.IT_SUPPORT_OFFER_TAKEN, {}, call.state.checklist)
        return renderer(call).it_support_transfer()
    return renderer(call).goodbye("goodbye")


def menu_key(record: SessionRecord, call: Call, digits: str) -> VoiceResponse:
    """A key at the system menu."""
    line = turn_context().line
    if digits == LANGUAGE and len(line.settings.languages) > 1:
        languages = line.settings.languages
        new_lang = languages[(languages.index(call.state.lang) + 1) % len(languages)]
        call.state = engine.set_language(call.state, new_lang)
        record.add_event(EventKind.LANGUAGE, {"lang": new_lang})
        return renderer(call).menu()
    if digits in (REPEAT, MENU):
        return renderer(call).menu()
    checklist = line.library.by_key(int(digits)) if len(digits) == 1 and digits in "123456789" else None
    if checklist is None:
        return renderer(call).menu([renderer(call).text("bad_menu_key")])
    turn, found = conversation.choose(record, call.state, checklist)
    call.state = turn.state
    voice = renderer(call)
    told = voice.text("incident", count=found.reports, system=checklist.name[call.state.lang])
    preface = [told] if found.incident and found.known is None else []
    if turn.expect is Expect.GO_ON:
        notice = told_texts(found.known, call.state.lang) if found.known else [str(found.announcement)]
        return voice.notice(turn, preface + notice)
    return voice.question(turn, preface, first=True, can_text=can_text(record))


def step_key(record: SessionRecord, call: Call, turn: Turn, digits: str) -> VoiceResponse:
    """A key in answer to a step."""
    voice = renderer(call)
    if digits == REPEAT:
        return present(record, call, turn, all_keys=True)  # a caller who asks to hear it again hears every key
    if digits == MORE_TIME and turn.expect is Expect.YES_NO:
        return more_time(record, call, turn)
    if digits == BY_SMS and turn.expect is Expect.YES_NO:
        return by_sms(record, call, turn)
    if digits == MENU:
        record.add_event(EventKind.BACK_TO_MENU, {"step": step_id(turn)}, call.state.checklist)
        call.state = engine.menu(call.state).state
        return voice.menu()
    answer = step_answer(turn, digits)
    if answer is None:
        hint = "bad_answer_key_unknown" if engine.accepts_unknown(turn) else "bad_answer_key"
        return present(record, call, turn, [voice.text(hint)])
    new_turn = conversation.answer(record, call.state, call.pin, answer)
    call.state = new_turn.state
    if new_turn.decision is None:
        return voice.question(new_turn, first=turn.expect is Expect.GO_ON, can_text=can_text(record))
    if call.pin.asking:
        return voice.pin_prompt()
    return finish(record, call, new_turn.decision)


def step_answer(turn: Turn, digits: str) -> Answer | None:
    """The answer a key gives: 1 yes, 2 no, 3 "vet inte" where the step allows it; None for any other key."""
    if digits == DONT_KNOW and engine.accepts_unknown(turn):
        return UNKNOWN
    return {YES: True, NO: False}.get(digits)


def finish(record: SessionRecord, call: Call, decision: Decision) -> VoiceResponse:
    """Record the outcome, text the receipt, and render it."""
    decision = conversation.finish(record, decision, call.line_number)
    call.state = replace(call.state, decision=decision.to_dict())  # the one given (a known incident)
    send_receipt(record, decision, call.state.lang, call.line_number, code_passed=call.pin.passed)
    numbers: list[str] = []
    if decision.outcome is Outcome.ON_CALL_MANAGER:
        numbers = start_on_call(call)
    context = turn_context()
    voice = renderer(call)
    locked = [voice.text("pin_locked")] if call.pin.locked else []  # why no code is asked (any more)
    return voice.outcome(decision, record.id.removeprefix("voice:"), context.now, numbers[0] if numbers else "",
                         preface=locked)


def start_on_call(call: Call) -> list[str]:
    """Fix the on-call chain for this call now, so a handover mid-call cannot reorder it; its numbers."""
    context = turn_context()
    people = context.line.roster.chain_at(context.now)
    call.dial = DialState(chain=tuple(person.id for person in people))
    return [person.number for person in people]


def on_call_chain(call: Call) -> tuple[str, ...]:
    """The person ids of the chain fixed for this call (no number rides in a URL)."""
    context = turn_context()
    people = context.line.roster.people
    if call.dial.chain and all(person in people for person in call.dial.chain):
        return call.dial.chain
    return tuple(person.id for person in context.line.roster.chain_at(context.now))  # the roster changed since


def on_call_numbers(call: Call) -> list[str]:
    """The numbers of the chain fixed for this call."""
    people = turn_context().line.roster.people
    return [people[person].number for person in on_call_chain(call)]


def present(record: SessionRecord, call: Call, turn: Turn, preface: list[str] | None = None,
            all_keys: bool = False) -> VoiceResponse:
    """Re-present whatever the call is waiting on."""
    voice = renderer(call)
    if turn.expect is Expect.SYSTEM and call.offer is not None:
        return voice.resume_offer(engine.current(turn_context().line.library, State.from_dict(call.offer)),
                                  preface=preface or [])
    if turn.expect is Expect.SYSTEM:
        return voice.menu(preface or [])
    if turn.expect is Expect.YES_NO:
        return voice.question(turn, preface or [], can_text=can_text(record), all_keys=all_keys)
    if turn.expect is Expect.GO_ON:
        return voice.notice(turn, (preface or []) + notice_texts(record, call))
    return voice.goodbye("goodbye")


def can_text(record: SessionRecord) -> bool:
    """True when key 8 can hand this call over to SMS: a number that takes SMS, and the database to keep it in."""
    return bool(record.caller) and takes_sms(str(record.caller)) and online(record)


def step_id(turn: Turn) -> str | None:
    """The id of the step a turn waits on."""
    return turn.step.id if turn.step else None


def dial_handler(kind: str) -> Handler:
    """The turn after a <Dial> of this kind (on_call, it_support, local)."""
    status = request.form.get("DialCallStatus", "")
    if kind == "on_call":
        return lambda record, call: on_call_result(record, call, status)
    return lambda record, call: other_dial_result(record, call, kind, status)


def other_dial_result(record: SessionRecord, call: Call, kind: str, status: str) -> VoiceResponse:
    """After the dial to IT support (or another number): hang up when it was answered, else say whom to call."""
    voice = renderer(call)
    record.add_event(EventKind.DIAL_RESULT, {"kind": kind, "status": status}, call.state.checklist)
    decided = Decision.from_dict(call.state.decision) if call.state.decision is not None else None
    if kind == "it_support" and decided is not None and decided.outcome is Outcome.IT_SUPPORT:
        # The receipt says how it went (this action comes when the call has ended).
        send_receipt(record, decided, call.state.lang, call.line_number, code_passed=call.pin.passed,
                     result="connected" if status in DIAL_CONNECTED else "unanswered")
    if status in DIAL_CONNECTED:
        return hang_up()
    if kind == "it_support":
        return voice.goodbye("it_support_unanswered_ticket" if decided and decided.ticket else "it_support_unanswered")
    return voice.goodbye("give_up_office", it_support=voice.it_support_number())


def on_call_result(record: SessionRecord, call: Call, status: str) -> VoiceResponse:
    """After one on-call number: connected, the next number, or an SMS and a promise of a call back.

    Connected means the manager pressed 1 in the whisper, whatever DialCallStatus says:
    recorded in the store, or (without it) Twilio's DialBridged, since a screened leg is
    only bridged once the whisper let it through.
    """
    voice = renderer(call)
    attempt = call.dial.attempt
    accepted = call.dial.accepted or dial_bridged()
    record.add_event(EventKind.DIAL_RESULT, {"kind": "on_call", "attempt": attempt, "status": status,
                                             "accepted": accepted}, call.state.checklist)
    if accepted:
        if call.state.decision is not None and not call.callback:
            # Sent when she pressed 1 (ivr/web/voice.py); this finds that row and adds nothing. Without the
            # database then, this is the receipt's one direct send.
            send_receipt(record, Decision.from_dict(call.state.decision), call.state.lang, call.line_number,
                         code_passed=call.pin.passed, result="connected")
        return hang_up()
    if call.state.decision is None or call.state.decision.get("outcome") != Outcome.ON_CALL_MANAGER.value:
        return voice.goodbye("goodbye")  # no on-call dial was made for this call: nothing to continue
    chain = on_call_numbers(call)
    if attempt + 1 < len(chain):
        call.dial = DialState(attempt + 1, False, call.dial.chain)
        response = VoiceResponse()
        voice.say(response, voice.text("on_call_next"))
        voice.dial_on_call(response, record.id.removeprefix("voice:"), attempt + 1, chain[attempt + 1])
        return response
    filed = tickets.manager_unreached(record, call)  # IT support takes over: the ticket (ivr/tickets/filing.py)
    context = turn_context()
    body = manager_sms(context.line, Decision.from_dict(call.state.decision), record.caller, context.now)
    # Keyed by the call and the dial it follows: a replayed or retried dial result (Twilio retries,
    # a proxy repeats, a status callback comes twice) finds this row and texts the manager no more.
    # Not delivered (in time), it goes to the next in the chain (ivr/outbox/escalation.py).
    outbox.send(record, Outgoing(
        kind="manager_sms", key=f"{record.id}:manager_sms:{attempt}", target=chain[0], text=body,
        sender=call.line_number,
        audit={"sent": EventKind.ON_CALL_SMS.value, "failed": EventKind.ON_CALL_SMS_FAILED.value,
               "system": call.state.checklist, "data": {}},
        follow=manager_chain(on_call_chain(call), 0)))
    # Now the receipt can say what happened: nobody answered, the manager has been texted.
    if not call.callback:
        send_receipt(record, Decision.from_dict(call.state.decision), call.state.lang, call.line_number,
                     code_passed=call.pin.passed, result="unanswered")
    # A hidden number cannot be called back: the caller must try again instead.
    return voice.goodbye(*filed, "on_call_unanswered" if record.caller else "on_call_unreachable")


def bridge_callback(record: SessionRecord, call: Call, sms_data: dict[str, Any] | None) -> VoiceResponse:
    """The carer answered the call-back the SMS line placed after RING: say why, then dial the on-call chain."""
    record.caller = phone_number(request.form.get("To", ""))  # Twilio called the carer
    record.caller_key = caller_key(record.caller)
    voice = renderer(call)
    state = on_call_sms_state(sms_data)
    if state is None or state.decision is None or record.caller is None:
        record.add_event(EventKind.CALLBACK_INVALID, {})
        return voice.goodbye("on_call_unreachable")
    decision = Decision.from_dict(state.decision)
    call.state = state
    call.line_number = request.form.get("From", "")
    call.callback = True
    numbers = start_on_call(call)
    record.add_event(EventKind.CALLBACK_STARTED, {}, decision.checklist_id)
    voice = renderer(call)
    response = VoiceResponse()
    system = turn_context().line.library.by_id(decision.checklist_id).name[call.state.lang]
    voice.say(response, voice.text("callback_intro", system=system))
    voice.say(response, voice.text("on_call_manager"))
    voice.dial_on_call(response, call_sid(), 0, numbers[0])
    return response


def on_call_sms_state(data: dict[str, Any] | None) -> State | None:
    """The SMS conversation's state, only if it ended in an on-call decision."""
    try:
        state = State.from_dict((data or {}).get("state"))
    except StateError:
        return None
    if state.decision is None or state.decision.get("outcome") != Outcome.ON_CALL_MANAGER.value:
        return None
    return state


def call_ended(record: SessionRecord, call: Call) -> None:
    """Forget the call's number for good, and count a hang-up before the outcome as abandoned."""
    record.caller_key = caller_key(record.caller)  # these last events still count this caller
    call.ended = True
    record.caller = None
    if call.state.decision is None and not call.by_sms:  # a call gone on by SMS is not abandoned
        record.add_event(EventKind.ABANDONED, {"reason": "hangup", "step": call.state.step}, call.state.checklist)
    record.add_event(EventKind.CALL_ENDED, {"status": request.form.get("CallStatus"),
                                            "seconds": request.form.get("CallDuration", "")[:8]},
                     call.state.checklist)
    record.data = call.to_data()


# The requests Twilio's fallback can continue, by the path that failed.
CONTINUABLE: dict[str, Callable[[], Handler]] = {
    "/voice": lambda: welcome, "/voice/input": lambda: key_entered,
    "/voice/dial/on_call": lambda: dial_handler("on_call"),
    "/voice/dial/it_support": lambda: dial_handler("it_support"),
    "/voice/dial/local": lambda: dial_handler("local"),
}


def continue_after_failure(error_url: str) -> Response | None:
    """Twilio's fallback: answer the request that failed from the state its URL carried, without the database.

    None when that request cannot be continued this way (the caller then gets the
    fault answer).
    """
    parts = urlsplit(error_url)
    path = parts.path.rstrip("/")
    handler = next((make for suffix, make in CONTINUABLE.items() if path.endswith(suffix)), None)
    if handler is None:
        return None
    return run_turn(handler(), token=dict(parse_qsl(parts.query)).get(PARAM, ""), offline=True)


# --- the caller's situation: more time (key 5), continue by SMS (key 8) ---------------------------


def wait_rounds() -> int:
    """How many reminders a wait for more time lasts (config: voice_line.more_time_minutes)."""
    return max(1, turn_context().line.settings.more_time_minutes * 60 // WAIT_ROUND_SECONDS)


def more_time(record: SessionRecord, call: Call, turn: Turn) -> VoiceResponse:
    """Key 5: wait quietly on this step; it stays unanswered, and the wait's silence is not a missed prompt."""
    record.add_event(EventKind.MORE_TIME, {"step": step_id(turn)}, call.state.checklist)
    call.waiting = 1
    voice = renderer(call)
    return voice.wait([voice.text(wait_text("more_time", turn))], WAIT_ROUND_SECONDS)


def wait_text(name: str, turn: Turn) -> str:
    """A wait's words: on a step that takes "vet inte" they name key 3 too."""
    return f"{name}_unknown" if engine.accepts_unknown(turn) else name


def still_waiting(record: SessionRecord, call: Call, turn: Turn) -> VoiceResponse:
    """Silence while waiting: another quiet round with a reminder, then the same question again."""
    voice = renderer(call)
    rounds = wait_rounds()
    if call.waiting >= rounds:
        call.waiting = 0
        return voice.question(turn, [voice.text("more_time_over")], can_text=can_text(record))
    call.waiting += 1
    texts = [voice.text(wait_text("more_time_reminder", turn))]
    if call.waiting == rounds:
        texts.append(voice.text("hint_more_time_again"))  # the last round: the caller may ask for more
    return voice.wait(texts, WAIT_ROUND_SECONDS)


def by_sms(record: SessionRecord, call: Call, turn: Turn) -> VoiceResponse:
    """Key 8: text the step the call is on and end the call; the SMS conversation goes on from there.

    The SMS is an outbox row of this turn (one per call and step: a replayed key 8 sends
    nothing new), sent right after the commit and retried. What can be known now is
    checked first, and then nothing is lost (a hidden number, a landline, no database):
    the caller hears why, and the same step again. A message Twilio gives up on later is
    audited as sms_handover_failed; the SMS conversation waits for the carer's reply.
    """
    voice = renderer(call)
    reason = ("hidden_number" if not record.caller else "no_database" if not online(record)
              else None if takes_sms(record.caller) else "no_sms_number")
    if reason is not None:
        record.add_event(EventKind.SMS_HANDOVER_FAILED, {"reason": reason, "step": step_id(turn)},
                         call.state.checklist)
        said = {"hidden_number": "sms_hidden_number", "no_sms_number": "sms_no_mobile"}.get(reason, "sms_not_sent")
        return present(record, call, turn, [voice.text(said)])
    context = turn_context()
    outbox.send(record, Outgoing(
        kind="sms_handover", key=f"{record.id}:sms_handover:{step_id(turn)}", target=str(record.caller),
        text=SmsRenderer(context.line, call.state.lang).step(turn), sender=call.line_number,
        audit={"failed": EventKind.SMS_HANDOVER_FAILED.value, "system": call.state.checklist,
               "data": {"reason": "send_failed", "step": step_id(turn)}}))
    continue_by_sms(record, call.state, call.line_number)
    call.by_sms = True
    record.add_event(EventKind.CONTINUED_BY_SMS, {"step": step_id(turn)}, call.state.checklist)
    return voice.goodbye("sms_sent")
