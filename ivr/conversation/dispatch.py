"""handle(): every decision of a conversation's turn, whatever channel the caller uses.

A channel reads its request into an `Intent` and renders the parts this returns;
it decides nothing. What only one channel can do still lives here, named by the
session's channel: a call can wait quietly (key 5), go on by SMS (key 8), be
transferred and offered a dropped call's step; a text conversation can be
stopped, asked for help and for a call-back (RING).
"""

from __future__ import annotations

from dataclasses import replace

from flows import engine
from flows.endings import OFFERED_IT_SUPPORT, offers_it_support
from flows.engine import Expect, Turn
from flows.events import EventKind
from flows.model import UNKNOWN, Answer, Checklist, Outcome
from flows.routing import Decision
from ivr.conversation import steps
from ivr.conversation.call_back import call_back
from ivr.conversation.group_message import send_step_message
from ivr.conversation.hand_over import hand_over
from ivr.conversation.incidents import known_incident, told_texts
from ivr.conversation.intent import Act, Intent
from ivr.conversation.line_notice import line_wide_notice
from ivr.conversation.receipt import send_receipt, without_ticket
from ivr.conversation.reply import (
    BadAnswer,
    BadSystem,
    Ended,
    Finished,
    Goodbye,
    Menu,
    Notice,
    Part,
    PinPrompt,
    PinRetry,
    Question,
    ResumeOffer,
    Say,
    Sentence,
    Text,
    Transfer,
    Wait,
    WhichSystem,
)
from ivr.conversation.resume import can_resume, resumable
from ivr.conversation.session import SMS, VOICE, DialState, PinState, Session
from ivr.conversation.steps import durable
from ivr.store import SessionRecord
from ivr.tickets import filing as tickets
from ivr.web.turn_context import turn_context

# Texts that answer no question after an outcome: "Tack!", "ok", "ja", "nej", "vet inte".
CLOSING = frozenset({Act.THANKS, Act.ACK, Act.YES, Act.NO, Act.DONT_KNOW})
# After-hours endings that reach nobody: a call's ending leads with "Jag ringer inte chef i beredskap nu."
NOT_CALLING = frozenset({Outcome.WAIT_FOR_OFFICE_HOURS, Outcome.SUPPLIER_OUTAGE, Outcome.IT_PORTAL})
# While a caller has time (key 5), a short reminder this often says the line is still there.
WAIT_ROUND_SECONDS = 30


def handle(record: SessionRecord, session: Session, intent: Intent, fresh: bool = False) -> list[Part]:
    """The answer to one turn; updates the session and queues its events and messages on the record.

    fresh: a new or restarted text conversation, where any text that names no system gets the menu.
    """
    parts = answer_turn(record, session, intent, fresh)
    return [phone_note_once(session, part) for part in parts] if session.channel == VOICE else parts


def phone_note_once(session: Session, part: Part) -> Part:
    """A call's first phone step says its note (8, or call again) in full, whatever steps came before: a call
    resumed after a phone step has not heard it yet (the renderer alone would give it the short form)."""
    if not isinstance(part, Question) or part.turn.step is None or "phone" not in part.turn.step.needs:
        return part
    if session.phone_noted:
        return part
    session.phone_noted = True
    return replace(part, phone_full=True)


def answer_turn(record: SessionRecord, session: Session, intent: Intent, fresh: bool) -> list[Part]:
    """handle()'s decisions, before what a call says once."""
    if session.channel == SMS:
        command = text_command(record, session, intent)
        if command is not None:
            return command
    turn = current(session)
    if intent.act is Act.HELP:
        return [Say((Text("help"),)), present(record, session, turn)]
    if session.pin.asking:  # before step 1 (staff_first) or after the last
        return pin_entered(record, session, turn, intent)
    if turn.expect is Expect.NOTHING:
        return after_outcome(record, session, turn, intent)
    if intent.act is Act.UNCLEAR:  # speech counts as its key; unclear speech is asked again, by keys
        session.misses = 0
        return [present(record, session, turn, (Text("speech_unsure"),))]
    if intent.act is Act.SILENCE:
        if session.waiting and turn.expect is Expect.YES_NO:
            return [still_waiting(record, session, turn)]
        if waits_on_silence(session, turn):
            session.misses = 1  # the wait counts as the first silence: after it, two more end the call
            return [more_time(record, session, turn, after_silence=True)]
        return [no_input(record, session, turn)]
    session.misses = 0
    session.waiting = 0  # any key ends a wait (key 5 starts a new one)
    if session.offer is not None and turn.expect is Expect.SYSTEM:
        return [resume_answered(record, session, intent)]
    if turn.expect is Expect.SYSTEM:
        return at_menu(record, session, intent, first=fresh)
    return step_answered(record, session, turn, intent)


def current(session: Session) -> Turn:
    """What the conversation waits on."""
    return engine.current(turn_context().line.library, session.state)


# --- a call's first turn ------------------------------------------------------------------------------


def welcome(record: SessionRecord, session: Session) -> Part:
    """A call's first turn: the menu (or the offer to go on after a dropped call); a retried webhook: the same."""
    if session.turn > 0:
        return present(record, session, current(session))
    dropped = resumable(record)
    if dropped is not None and dropped[1].lang != session.state.lang:
        # She chose that language in the dropped call: the offer (and the menu, should she start over) use it.
        session.state = engine.set_language(session.state, dropped[1].lang)
    notice: tuple[Sentence, ...] = (
        tuple(line_wide_notice(record, VOICE, session.state.lang)))
    if dropped is None:
        return Menu(notice, welcome=True)
    session_id, state = dropped
    session.offer = state
    # No system on the event: a caller who starts over is counted under the system chosen then.
    record.add_event(EventKind.RESUME_OFFERED, {"call": session_id.removeprefix("voice:"),
                                                "checklist": state.checklist, "step": state.step})
    return ResumeOffer(engine.current(turn_context().line.library, state), notice, welcome=True)


def resume_answered(record: SessionRecord, session: Session, intent: Intent) -> Part:
    """At the offer: 1 (or the offered system's own menu key) goes on at the dropped call's step with its
    answers; 0 starts over. Any other key asks again: a caller who presses her system's menu key by habit
    (2 for Viva omsorg) must never lose her place, so 2 no longer means "start over"."""
    assert session.offer is not None
    offered = session.offer
    if intent.act is Act.YES or (intent.system is not None and intent.system.id == offered.checklist):
        session.offer = None
        session.state = offered
        turn = engine.current(turn_context().line.library, offered)
        record.add_event(EventKind.RESUMED, {"step": step_id(turn)}, offered.checklist)
        # A new call: the system's name and every key once more (and the staff code first, as at the start).
        return staff_first(record, session, turn)
    if intent.act is Act.MENU:
        session.offer = None
        record.add_event(EventKind.RESUME_DECLINED, {"checklist": offered.checklist})
        return Menu()
    return present(record, session, current(session))


# --- texts that mean the same wherever the conversation is --------------------------------------------


def text_command(record: SessionRecord, session: Session, intent: Intent) -> list[Part] | None:
    """STOPP, MENY and a language, wherever a text conversation is; None for anything else."""
    line = turn_context().line
    if intent.act is Act.STOP:
        if session.state.checklist and session.state.decision is None:
            record.add_event(EventKind.ABANDONED, {"reason": "stopped"}, session.state.checklist)
        record.delete = True  # nothing of the conversation is kept beyond the audit events
        return [Say((Text("stopped"),))]
    if intent.act is Act.MENU:
        if session.state.decision is not None:
            record.add_event(EventKind.SMS_STARTED, {"after": "menu"})  # a new conversation for the report
        session.state = engine.menu(session.state).state
        session.ring_call, session.pin = None, PinState()  # a new checklist may need a new call-back
        return [Menu()]
    if intent.act is Act.LANGUAGE and intent.lang in line.settings.languages:
        session.state = engine.set_language(session.state, intent.lang)
        record.add_event(EventKind.LANGUAGE, {"lang": session.state.lang})
        turn = current(session)
        if turn.decision is not None:  # nothing is waiting: the outcome again in the new language
            return [Finished(turn.decision, declinable=tickets.declinable(session.channel, turn.decision))]
        return [present(record, session, turn)]
    return None


# --- the menu ----------------------------------------------------------------------------------------


def at_menu(record: SessionRecord, session: Session, intent: Intent, first: bool) -> list[Part]:
    """A key or text at the system menu."""
    languages = turn_context().line.settings.languages
    if session.channel == VOICE and intent.act is Act.LANGUAGE and len(languages) > 1:
        new_lang = languages[(languages.index(session.state.lang) + 1) % len(languages)]
        session.state = engine.set_language(session.state, new_lang)
        record.add_event(EventKind.LANGUAGE, {"lang": new_lang})
        return [Menu()]
    if intent.act in (Act.REPEAT, Act.MENU):
        return [Menu()]
    return choose(record, session, intent, first)


def choose(record: SessionRecord, session: Session, intent: Intent, first: bool,
           after_outcome: bool = False) -> list[Part]:
    """Start the system the intent names (only what was recognised is stored).

    after_outcome: a text naming a new problem after a finished one starts over with it.
    """
    checklist = intent.system
    if checklist is None:
        if intent.candidates:
            return [WhichSystem(intent.candidates)]  # "viv": Viva or Viva omsorg?
        return [BadSystem(first=first or not intent.text.strip())]
    if after_outcome:
        session.state = engine.start(session.state.lang).state
        session.ring_call = None
        record.add_event(EventKind.SMS_STARTED, {"after": "outcome"})
    turn, found = steps.choose(record, session.state, checklist)
    session.state = turn.state
    told = Text("incident", {"count": found.reports, "system": checklist.name[session.state.lang]})
    preface: tuple[Sentence, ...] = (told,) if found.incident and found.known is None else ()
    if turn.expect is Expect.GO_ON:  # the staff code or notice follows the announcement, before step 1
        if found.known is not None:
            return [Notice(turn, preface, told=tuple(told_texts(found.known, session.state.lang)))]
        return [Notice(turn, preface, announcement=str(found.announcement))]
    return [staff_first(record, session, turn, preface)]


def off_staff_list(record: SessionRecord, session: Session, checklist: Checklist | None) -> bool:
    """After hours, a caller whose number (or code) cannot reach Chef i beredskap, on a checklist that could."""
    context = turn_context()
    if checklist is None or context.office_hours or steps.routing(record, session.pin).may_escalate:
        return False
    return any(rule.outcome is Outcome.ON_CALL_MANAGER for rule in checklist.rules)


def staff_first(record: SessionRecord, session: Session, turn: Turn, preface: tuple[Sentence, ...] = ()) -> Part:
    """Step 1 (or a resumed call's step), after what a caller off the staff list must know first: not after
    every step, where it came before (her work phone may be the broken thing).

    With a staff code configured she is asked for it now, once per checklist: the right code makes her staff
    for this conversation, and whatever she answers it is not asked again at the end (steps.answer). Without
    one, or with too many wrong codes from her number lately, she hears that the line cannot put her through.
    """
    question = Question(turn, preface, first=True, can_text=can_text(record, session))
    if not off_staff_list(record, session, turn.checklist):
        return question
    if steps.staff_pin() is None or session.pin.asked:
        return replace(question, preface=preface + (Text("staff_first"),))
    session.pin.asked = True
    if steps.locked_out(record):  # the lock-out of steps.py: this number gets no new guesses yet
        record.add_event(EventKind.PIN_LOCKED, {}, session.state.checklist)
        return replace(question, preface=preface + (Text("pin_locked"), Text("staff_first")))
    session.pin.asking, session.pin.tries = True, 0
    record.add_event(EventKind.PIN_ASKED, {}, session.state.checklist)
    return PinPrompt(preface, first=True)


# --- a step --------------------------------------------------------------------------------------------


def step_answered(record: SessionRecord, session: Session, turn: Turn, intent: Intent) -> list[Part]:
    """A key or text in answer to a step (or to "go through it anyway?")."""
    if intent.act is Act.REPEAT:
        return [present(record, session, turn, all_keys=True)]  # asked again: every key
    if intent.act is Act.MORE_TIME and turn.expect is Expect.YES_NO and turn.step and engine.takes_more_time(turn.step):
        return [more_time(record, session, turn)]  # on a phone step 5 is no answer: the step is asked again
    if intent.act is Act.BY_SMS and turn.expect is Expect.YES_NO:
        return [by_sms(record, session, turn)]
    if intent.act is Act.MENU:
        record.add_event(EventKind.BACK_TO_MENU, {"step": step_id(turn)}, session.state.checklist)
        session.state = engine.menu(session.state).state
        return [Menu()]
    answer = step_answer(turn, intent)
    if answer is None:
        again = present(record, session, turn)
        assert isinstance(again, Question | Notice)
        return [BadAnswer(again, acknowledged=intent.act in (Act.ACK, Act.THANKS))]
    new_turn = steps.answer(record, session.state, session.pin, answer)
    session.state = new_turn.state
    # A step's message for her (Swedlock's point 3): sent in this turn, before anything that follows it.
    told: tuple[Sentence, ...] = ((send_step_message(record, session, turn),)
                                  if turn.step is not None and turn.step.notifies(answer) else ())
    if new_turn.decision is None:
        if turn.expect is Expect.GO_ON:  # past the announcement: step 1, after the staff code or notice
            return [staff_first(record, session, new_turn, told)]
        return [Question(new_turn, told, can_text=can_text(record, session))]
    if session.pin.asking:
        return [PinPrompt(told)]
    return [finish(record, session, new_turn.decision, told)]


def step_answer(turn: Turn, intent: Intent) -> Answer | None:
    """Yes, no, or "vet inte" where the step takes it; None for anything else."""
    if intent.act is Act.DONT_KNOW and engine.accepts_unknown(turn):
        return UNKNOWN
    return {Act.YES: True, Act.NO: False}.get(intent.act)


def present(record: SessionRecord, session: Session, turn: Turn, preface: tuple[Sentence, ...] = (),
            all_keys: bool = False) -> Part:
    """Whatever the conversation waits on, again."""
    if session.pin.asking:
        return PinPrompt(preface, first=turn.decision is None)
    if turn.expect is Expect.SYSTEM and session.offer is not None:
        return ResumeOffer(engine.current(turn_context().line.library, session.offer), preface)
    if turn.expect is Expect.SYSTEM:
        return Menu(preface)
    if turn.expect is Expect.YES_NO:
        return Question(turn, preface, can_text=can_text(record, session), all_keys=all_keys)
    if turn.expect is Expect.GO_ON and record.channel != VOICE:
        # A text thread keeps the notice above the question, so it is only asked again: no reads for it.
        return Notice(turn, preface, again=True)
    if turn.expect is Expect.GO_ON:
        # A listener cannot scroll back: the call hears what was told again, read in this turn.
        text = announcement(record, session.state.checklist)
        known = (known_incident(record, session.state.checklist)
                 if text is None and session.state.checklist else None)
        told = tuple(told_texts(known, session.state.lang)) if known else ()
        return Notice(turn, preface, told=told, announcement=text, again=True)
    return Ended()


def announcement(record: SessionRecord, system: str | None) -> str | None:
    """IT's announcement in force for a system, read in the turn's own transaction (none without it)."""
    if system is None:
        return None
    context = turn_context()
    found = context.store.announcements(context.now, via=record).get(system)
    return str(found["text"]) if found else None


def can_text(record: SessionRecord, session: Session) -> bool:
    """True when key 8 can hand a call over to SMS: a number that takes SMS, and the database to keep it in."""
    return (record.channel == VOICE and bool(record.caller) and session.caller_takes_sms(str(record.caller))
            and durable())


def step_id(turn: Turn) -> str | None:
    """The id of the step a turn waits on."""
    return turn.step.id if turn.step else None


# --- silence, and more time (key 5) -----------------------------------------------------------------


def no_input(record: SessionRecord, session: Session, turn: Turn) -> Part:
    """Silence: ask again, up to max_repeats, then end the call saying what to do next.

    At a step the goodbye blames nobody and says that calling again within the resume window goes on at
    this step (ivr/conversation/resume.py); in office hours it names IT support too.
    """
    session.misses += 1
    context = turn_context()
    if session.misses >= context.line.settings.max_repeats:
        record.add_event(EventKind.ABANDONED, {"reason": "no_input", "step": step_id(turn)}, session.state.checklist)
        if turn.expect is Expect.YES_NO and can_resume(record):
            names = ("give_up_step", "give_up_step_office" if context.office_hours else "goodbye")
            return Goodbye(names, it_support=True, values={"minutes": context.line.settings.resume_minutes})
        return Goodbye(("no_input", "give_up_office" if context.office_hours else "give_up_after"), it_support=True)
    return present(record, session, turn, (Text("no_input"),))


def waits_on_silence(session: Session, turn: Turn) -> bool:
    """A call's first silence on a step marked `long` (a computer restarting): wait as key 5 does."""
    return (session.channel == VOICE and turn.expect is Expect.YES_NO and turn.step is not None
            and "long" in turn.step.needs and engine.takes_more_time(turn.step) and session.misses == 0)


def wait_rounds() -> int:
    """How many reminders a wait for more time lasts (config: voice_line.more_time_minutes)."""
    return max(1, turn_context().line.settings.more_time_minutes * 60 // WAIT_ROUND_SECONDS)


def more_time(record: SessionRecord, session: Session, turn: Turn, after_silence: bool = False) -> Part:
    """Key 5 (or silence on a long step): wait quietly on this step; it stays unanswered, and the wait's
    silence is not a missed prompt."""
    record.add_event(EventKind.MORE_TIME, {"step": step_id(turn)}, session.state.checklist)
    session.waiting = 1
    return Wait((Text(wait_text("more_time_silence" if after_silence else "more_time", turn)),))


def wait_text(name: str, turn: Turn) -> str:
    """A wait's words: on a step that takes "vet inte" they name key 3 too."""
    return f"{name}_unknown" if engine.accepts_unknown(turn) else name


def still_waiting(record: SessionRecord, session: Session, turn: Turn) -> Part:
    """Silence while waiting: another quiet round with a reminder, then the same question again."""
    rounds = wait_rounds()
    if session.waiting >= rounds:
        session.waiting = 0
        return Question(turn, (Text("more_time_over"),), can_text=can_text(record, session))
    session.waiting += 1
    texts: tuple[Sentence, ...] = (Text(wait_text("more_time_reminder", turn)),)
    if session.waiting == rounds:
        texts += (Text("hint_more_time_again"),)  # the last round: the caller may ask for more
    return Wait(texts)


def by_sms(record: SessionRecord, session: Session, turn: Turn) -> Part:
    """Key 8: text the step the call is on and end the call; the SMS conversation goes on from there."""
    reason = ("hidden_number" if not record.caller else "no_database" if not durable()
              else None if session.caller_takes_sms(record.caller) else "no_sms_number")
    if reason is not None:
        record.add_event(EventKind.SMS_HANDOVER_FAILED, {"reason": reason, "step": step_id(turn)},
                         session.state.checklist)
        said = {"hidden_number": "sms_hidden_number", "no_sms_number": "sms_no_mobile"}.get(reason, "sms_not_sent")
        return present(record, session, turn, (Text(said),))
    hand_over(record, session, turn)
    session.by_sms = True
    record.add_event(EventKind.CONTINUED_BY_SMS, {"step": step_id(turn)}, session.state.checklist)
    return Goodbye(("sms_sent",))


# --- the staff code and the outcome -------------------------------------------------------------------


def pin_entered(record: SessionRecord, session: Session, turn: Turn, intent: Intent) -> list[Part]:
    """A staff code (or none): right -> route again as staff; else the decision without it stands.

    Asked before step 1, the right code makes her staff for the steps to come; a skip (# or NEJ), or the
    last wrong one, leaves her as the notice without a code says.
    """
    code = intent.code
    if turn.decision is None:
        result = steps.code_answered(record, session.state.checklist, session.pin, code or "", code is None)
        if result is steps.PinResult.RETRY:
            return [PinRetry()]
        said: tuple[Sentence, ...] = (Text("pin_accepted"),)
        if result is not steps.PinResult.ACCEPTED:
            said = (Text("pin_locked" if session.pin.locked else "pin_wrong"),) if code is not None else ()
            said += (Text("staff_first"),)
        return [Question(turn, said, first=True, can_text=can_text(record, session))]
    decided = steps.pin_entered(record, turn, session.pin, code or "", skipped=code is None)
    if decided is None:
        return [PinRetry()]
    session.state = decided.state
    assert decided.decision is not None
    return [finish(record, session, decided.decision)]


def finish(record: SessionRecord, session: Session, decision: Decision, told: tuple[Sentence, ...] = ()) -> Part:
    """Record the outcome (a call's receipt with it, and its on-call chain), and say it."""
    decision = steps.finish(record, decision, session.line_number, session.state.answers)
    session.state = replace(session.state, decision=decision)  # the one given (a known incident)
    numbers: list[str] = []
    sms_follows = False
    if session.channel == VOICE:  # a text conversation is its own record: no receipt
        sms_follows = send_receipt(record, decision, session.state.lang, session.line_number,
                                   code_passed=session.pin.passed)
        if decision.outcome is Outcome.ON_CALL_MANAGER:
            numbers = start_on_call(session)
    locked: tuple[Sentence, ...] = (Text("pin_locked"),) if session.pin.locked else ()  # why no code is asked
    return Finished(decision, told + not_calling(session, decision) + locked, numbers[0] if numbers else "",
                    record.id.removeprefix("voice:"),
                    declinable=tickets.declinable(session.channel, decision), sms_follows=sms_follows)


def not_calling(session: Session, decision: Decision) -> tuple[Sentence, ...]:
    """After hours a call's ending that does not reach Chef i beredskap leads with that decision ("Jag ringer
    inte chef i beredskap nu."), before its one reason: a caller who waited through every step hears first what
    happens to her call. A text's endings give the reason with its consequence in one SMS ("..., så du kopplas
    inte till chef i beredskap"), so they get no sentence (and no SMS) of their own."""
    if session.channel != VOICE or turn_context().office_hours or decision.outcome not in NOT_CALLING:
        return ()
    return (Text("not_calling_on_call"),)


def start_on_call(session: Session) -> list[str]:
    """Fix the on-call chain for this call now, so a handover mid-call cannot reorder it; its numbers."""
    context = turn_context()
    people = context.line.roster.chain_at(context.now)
    session.dial = DialState(chain=tuple(person.id for person in people))
    return [person.number for person in people]


# --- after the outcome --------------------------------------------------------------------------------


def after_outcome(record: SessionRecord, session: Session, turn: Turn, intent: Intent) -> list[Part]:
    """After the outcome: RING (or yes to its offer), yes to an offer of IT support, thanks, a new problem.

    A text conversation's outcome stays until a new system is chosen or MENY is sent, so RING works
    after any other reply; a call ends on anything but an offer taken.
    """
    context = turn_context()
    decision = turn.decision
    if intent.act is Act.NO_TICKET and decision is not None and tickets.declinable(session.channel, decision):
        return decline_ticket(record, session, decision)
    if decision is not None and (intent.act is Act.CALL or (intent.act is Act.YES and not intent.number
                                                            and ring_open(session, decision))):
        return call_back(record, session, decision)
    if session.channel == VOICE:
        if intent.act is Act.YES and decision is not None and offers_it_support(context.line, decision, context.now):
            record.add_event(EventKind.IT_SUPPORT_OFFER_TAKEN, {}, session.state.checklist)
            return [Transfer()]
        if decision is not None and tickets.declinable(VOICE, decision) and decision.outcome not in OFFERED_IT_SUPPORT:
            return [Goodbye(())]  # the outcome (wait for IT support) has said goodbye; the offer of key 9 ended
        return [Goodbye(("goodbye",))]
    if intent.act is Act.NO_TICKET and decision is not None:
        return [Say((Text("ticket_none"),))]  # nothing to decline (none filed, declined already, or not hers to)
    if intent.act in CLOSING and not intent.number:
        # A thank-you needs no answer (and costs an SMS); only an open RING offer is worth a reminder.
        if ring_open(session, decision) and intent.act is not Act.NO:
            return [Say((Text("ring_reminder"),))]
        return []
    return choose(record, session, intent, first=True, after_outcome=True)


def decline_ticket(record: SessionRecord, session: Session, decision: Decision) -> list[Part]:
    """Key 9 or INGET ÄRENDE after an outcome that filed a ticket: cancel it if it has not left yet.

    Declined in time, the outcome no longer carries the ticket (a receipt not sent yet loses its
    sentence about it); too late, she is told whom to call to have it closed.
    """
    if not tickets.decline(record, decision):
        if session.channel == VOICE:
            return [Goodbye(("ticket_decline_late",), it_support=True)]
        return [Say((Text("ticket_decline_late", it_support=True),))]
    undone = replace(decision, ticket=False)
    session.state = replace(session.state, decision=undone)
    if session.channel == VOICE:
        without_ticket(record, undone, session.state.lang)
        return [Goodbye(("ticket_declined",))]
    return [Say((Text("ticket_declined"),))]


def ring_open(session: Session, decision: Decision | None) -> bool:
    """True while a text conversation's "Svara RING" stands and no call-back was placed for it."""
    settings = turn_context().line.settings
    return (session.channel == SMS and decision is not None and decision.outcome is Outcome.ON_CALL_MANAGER
            and settings.sms_on_call_by == "callback" and not session.ring_call)

