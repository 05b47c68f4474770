"""What a conversation's decisions do to the store: a system chosen, an answer, the staff code, the outcome.

The dispatcher (dispatch.py) calls these for every channel. The audit events
are written here, once for all channels: the engine's own (system chosen,
answers) and the conversation's (staff code, outcome).
"""

from __future__ import annotations

import hmac
import logging
import os
from datetime import timedelta
from enum import Enum

from flows import engine
from flows.engine import Turn
from flows.events import EventKind
from flows.model import Answer, Checklist
from flows.routing import Context, Decision
from ivr.conversation.incidents import Intake, checklist_finished, settle, system_chosen
from ivr.conversation.session import PinState
from ivr.store import SessionRecord
from ivr.tickets import filing as tickets
from ivr.web.turn_context import turn_context

log = logging.getLogger(__name__)

MAX_PIN_TRIES = 3  # wrong codes in one call or SMS conversation before the decision without it stands
# Across calls and texts: a number with this many wrong codes in the window is not asked for the code again
# until the window has passed (hanging up and calling again gives no new guesses). Every hidden number
# counts as one caller. Without the database only MAX_PIN_TRIES per conversation holds.
PIN_GUESS_LIMIT = 5
PIN_GUESS_WINDOW = timedelta(hours=1)


def durable() -> bool:
    """True when what this turn writes is kept: the database answered (ivr/store/null.py, when not)."""
    return turn_context().store.durable


class PinResult(Enum):
    """What one answer to the staff-code question did."""

    ACCEPTED = "accepted"  # the right code: route again as staff
    RETRY = "retry"  # a wrong code: ask again
    GIVE_UP = "give_up"  # skipped, or too many wrong: the decision without the code stands


def record_turn(record: SessionRecord, turn: Turn) -> None:
    """Queue the events an engine turn produced."""
    for event in turn.events:
        record.add_event(event.kind, event.data, event.system)


def routing(record: SessionRecord, pin: PinState) -> Context:
    """Routing context for this turn: the hour, and whether this phone (or a code keyed in) may escalate."""
    context = turn_context()
    may_escalate = context.line.settings.is_staff(record.caller) or pin.passed
    return Context(office_hours=context.office_hours, may_escalate=may_escalate)


def choose(record: SessionRecord, state: engine.State, checklist: Checklist) -> tuple[Turn, Intake]:
    """Start a system's checklist, with its announcement and other callers' reports (only with the database)."""
    if not durable():
        log.warning("no database: announcements and incident counts skipped for %s", checklist.id)
    intake = system_chosen(record, checklist.id)  # the null store has none to tell
    turn = engine.choose(turn_context().line.library, state, checklist.id, notice=intake.notice,
                         incident=intake.incident or intake.known is not None)
    record_turn(record, turn)
    return turn, intake


def answer(record: SessionRecord, state: engine.State, pin: PinState, yes: Answer) -> Turn:
    """An answer to the step (or to "go on?"); when it decides and only the staff code is missing, ask for it
    (unless it was offered before step 1: dispatch.staff_first; then her answer then stands).

    The caller then sees pin.asking; otherwise a turn with a decision is finished with finish().
    """
    context = routing(record, pin)
    turn = engine.answer(turn_context().line.library, state, yes, context)
    record_turn(record, turn)
    if turn.decision is not None and not pin.asked and offers_pin(turn, context):
        if locked_out(record):
            pin.locked = True
            record.add_event(EventKind.PIN_LOCKED, {}, turn.state.checklist)
            return turn
        pin.asking, pin.tries = True, 0
        record.add_event(EventKind.PIN_ASKED, {}, turn.state.checklist)
    return turn


def locked_out(record: SessionRecord) -> bool:
    """Has this number had PIN_GUESS_LIMIT wrong codes within the window (by any call or text)?"""
    context = turn_context()
    return context.store.wrong_pins(record, context.now - PIN_GUESS_WINDOW) >= PIN_GUESS_LIMIT


def pin_entered(record: SessionRecord, standing: Turn, pin: PinState, entered: str, skipped: bool) -> Turn | None:
    """An answer to the staff-code question after the steps: the turn that decides the conversation now, or None
    to ask again.

    The right code routes the finished checklist again as staff; a wrong one is
    asked again up to MAX_PIN_TRIES; skipping leaves the decision that stood.
    """
    result = code_answered(record, standing.state.checklist, pin, entered, skipped)
    if result is PinResult.ACCEPTED:
        return engine.reroute(turn_context().line.library, standing.state, routing(record, pin))
    if result is PinResult.RETRY:
        return None
    return standing


def code_answered(record: SessionRecord, checklist: str | None, pin: PinState, entered: str,
                  skipped: bool) -> PinResult:
    """One answer to the staff-code question, wherever it was asked: its audit events, and the wrong codes
    counted against this number (pin.locked when it has had too many lately: no more tries)."""
    result = pin_attempt(pin, entered, skipped)
    if result is PinResult.ACCEPTED:
        record.add_event(EventKind.PIN_ACCEPTED, {}, checklist)
        return result
    if not skipped:
        turn_context().store.wrong_pin(record, turn_context().now)
        if locked_out(record):
            pin.asking, pin.tries, pin.locked = False, 0, True
            record.add_event(EventKind.PIN_LOCKED, {}, checklist)
            return PinResult.GIVE_UP
    if result is PinResult.RETRY:
        record.add_event(EventKind.PIN_REFUSED, {}, checklist)
    return result


def pin_attempt(pin: PinState, entered: str, skipped: bool) -> PinResult:
    """Apply one answer to the staff-code state."""
    if pin_matches(entered):
        pin.asking, pin.tries, pin.passed = False, 0, True
        return PinResult.ACCEPTED
    pin.tries += 1
    if not skipped and pin.tries < MAX_PIN_TRIES:
        return PinResult.RETRY
    pin.asking, pin.tries = False, 0
    return PinResult.GIVE_UP


def staff_pin() -> str | None:
    """The PIN that lets a phone off the staff list escalate, if one is set in the environment."""
    name = turn_context().line.settings.staff_pin_env
    pin = os.environ.get(name, "") if name else ""
    return pin or None


def pin_matches(entered: str) -> bool:
    """Compare in constant time, so the PIN cannot be found by timing."""
    pin = staff_pin()
    return bool(pin) and hmac.compare_digest(entered.strip().encode(), str(pin).encode())


def offers_pin(turn: Turn, context: Context) -> bool:
    """True when a PIN is set and only the staff check stands between this caller and Chef i beredskap."""
    return staff_pin() is not None and engine.needs_pin(turn_context().line.library, turn.state, context)


def finish(record: SessionRecord, decision: Decision, line_number: str, answers: dict[str, Answer]) -> Decision:
    """Record the conversation's outcome, the one the channel then gives: the engine's, unless Chef i
    beredskap already knows of this system's incident (ivr/conversation/incidents.py). A finished, unresolved
    checklist is a report; one for IT support is filed as a ticket with its answers (ivr/tickets). Without the
    database the engine's decision stands as it is."""
    decision = tickets.finished(record, settle(record, decision, line_number), answers)
    record.add_event(EventKind.OUTCOME, decision.to_dict(), decision.checklist_id)
    checklist_finished(record, decision, line_number)
    return decision
