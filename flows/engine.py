"""The checklist engine: pure functions from a small JSON state and an answer to the next turn.

A conversation is: choose a system, answer each step yes/no (or "vet inte" where the
step allows it), end with a Decision.
The state is a plain value; channels store it between requests and never
interpret it. Nothing here does I/O.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from flows.events import Event, EventKind
from flows.model import LANGUAGES, Action, Answer, Checklist, Library, Outcome, Step, is_answer, is_unknown
from flows.routing import Context, Decision, resolved, route
from flows.routing import needs_pin as routing_needs_pin

STATE_VERSION = 1


class StateError(ValueError):
    """A stored state that cannot be continued (corrupt, or from an older version)."""


class Expect(StrEnum):
    """What the channel should ask the caller for next."""

    SYSTEM = "system"  # a menu key or system name
    GO_ON = "go_on"  # yes/no: go through the checklist despite the announced outage?
    YES_NO = "yes_no"  # an answer to the current step
    NOTHING = "nothing"  # the conversation has its outcome


@dataclass(frozen=True)
class State:
    """Where one conversation is. Round-trips through JSON."""

    lang: str = "sv"
    checklist: str | None = None
    step: int = 0
    answers: dict[str, Answer] = field(default_factory=dict)  # step id -> True, False or UNKNOWN
    decision: Decision | None = None
    notice: bool = False  # waiting for "go on?" after an outage announcement

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready value for the session store (kept as is inside the session's data)."""
        return {"v": STATE_VERSION, "lang": self.lang, "checklist": self.checklist, "step": self.step,
                "answers": self.answers,
                "decision": self.decision.to_dict() if self.decision is not None else None, "notice": self.notice}

    def to_json(self) -> str:
        """Serialise on its own."""
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> State:
        """Parse a serialised state; anything unexpected is a StateError, never a crash later."""
        try:
            data = json.loads(text)
        except (TypeError, ValueError) as exc:
            raise StateError(f"stored state is not JSON: {exc}") from None
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: object) -> State:
        """Check a stored state's fields; anything unexpected is a StateError."""
        if not isinstance(data, Mapping) or data.get("v") != STATE_VERSION:
            raise StateError("stored state has an unknown version")
        lang, checklist, step = data.get("lang"), data.get("checklist"), data.get("step")
        answers, decision = data.get("answers"), data.get("decision")
        # An older state may hold "known": facts taken from other callers' reports. It is dropped unread:
        # only this caller's own answers route her call.
        notice = data.get("notice", False)
        if (
            lang not in LANGUAGES
            or not (checklist is None or isinstance(checklist, str))
            or not isinstance(step, int) or step < 0
            or not isinstance(answers, dict)
            or not all(isinstance(k, str) and is_answer(v) for k, v in answers.items())
            or not (decision is None or isinstance(decision, dict))
            or not isinstance(notice, bool)
        ):
            raise StateError("stored state has a field of the wrong type")
        # A copy: the stored dict belongs to the session data it came from.
        return cls(lang, checklist, step, dict(answers), None if decision is None else stored_decision(decision),
                   notice)


def stored_decision(data: Mapping[str, object]) -> Decision:
    """A stored decision; one that cannot be read is a StateError (the conversation starts over)."""
    try:
        return Decision.from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise StateError(f"stored decision cannot be read: {exc}") from None


@dataclass(frozen=True)
class Turn:
    """The engine's answer: the new state and what to present."""

    state: State
    expect: Expect
    checklist: Checklist | None = None
    step: Step | None = None  # the question to ask when expect is YES_NO
    decision: Decision | None = None
    events: tuple[Event, ...] = ()  # what this turn adds to the audit log (the channel stores them)

    @property
    def position(self) -> tuple[int, int]:
        """(step number from 1, number of steps), for "Steg 2 av 5"."""
        total = len(self.checklist.steps) if self.checklist else 0
        return (self.state.step + 1, total)


def start(lang: str = "sv") -> Turn:
    """A new conversation at the system menu."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    return Turn(State(lang=lang), Expect.SYSTEM)


def set_language(state: State, lang: str) -> State:
    """Switch the conversation's language, keeping its place."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    return replace(state, lang=lang)


def menu(state: State) -> Turn:
    """Back to the system menu, forgetting any checklist in progress."""
    return Turn(State(lang=state.lang), Expect.SYSTEM)


def choose(library: Library, state: State, checklist_id: str, *, notice: bool = False,
           incident: bool = False) -> Turn:
    """Start a system's checklist: at an announcement (notice) or at its first step.

    incident: the caller was told of other callers' recent reports about this system (audit only).
    Those reports answer no step: every step is the caller's own.
    """
    checklist = library.by_id(checklist_id)
    new_state = State(lang=state.lang, checklist=checklist.id, notice=notice)
    chosen = Event(EventKind.SYSTEM_CHOSEN, {"key": checklist.key, "incident": incident}, checklist.id)
    if notice:
        return Turn(new_state, Expect.GO_ON, checklist, events=(chosen,))
    return replace(_advance(new_state, checklist, 0, {}), events=(chosen,))


def _advance(state: State, checklist: Checklist, index: int, answers: dict[str, Answer]) -> Turn:
    """Go to step `index` (or to the end); a Turn without decision."""
    new_state = replace(state, step=index, answers=answers)
    if index >= len(checklist.steps):
        return Turn(new_state, Expect.NOTHING, checklist)
    return Turn(new_state, Expect.YES_NO, checklist, checklist.steps[index])


def current(library: Library, state: State) -> Turn:
    """The turn the state is waiting on, again (repeat, timeout, a reloaded session)."""
    if state.checklist is None:
        return Turn(state, Expect.SYSTEM)
    checklist = _checklist(library, state)
    if state.decision is not None:
        return Turn(state, Expect.NOTHING, checklist, decision=state.decision)
    if state.notice:
        return Turn(state, Expect.GO_ON, checklist)
    if state.step >= len(checklist.steps):
        raise StateError(f"stored step {state.step} is past the end of {checklist.id}")
    return Turn(state, Expect.YES_NO, checklist, checklist.steps[state.step])


def accepts_unknown(turn: Turn) -> bool:
    """True when the turn waits on a step that the caller may answer "vet inte" (key 3, VET INTE)."""
    return turn.expect is Expect.YES_NO and turn.step is not None and turn.step.allows_unknown


def takes_more_time(step: Step) -> bool:
    """More time (key 5, MER TID) works here: not on a step done on the phone the call is on, which ends
    the call; waiting on the line cannot help it."""
    return "phone" not in step.needs


def answer(library: Library, state: State, yes: Answer, context: Context) -> Turn:
    """Record an answer to the current step (or to "go on?") and move on or decide.

    yes: True, False, or UNKNOWN ("vet inte"), which only a step that allows it takes.
    """
    turn = current(library, state)
    if is_unknown(yes) and not accepts_unknown(turn):
        raise StateError("this question has no 'vet inte' answer")
    if turn.expect is Expect.GO_ON and turn.checklist is not None:
        event = Event(EventKind.NOTICE_ANSWER, {"go_on": yes}, turn.checklist.id)
        if not yes:
            decided = _finish(state, turn.checklist, {}, Decision(Outcome.DEFLECTED, turn.checklist.id, {}))
        else:
            decided = _continue(library, replace(state, notice=False), turn.checklist, 0, {}, context)
        return replace(decided, events=(event,))
    if turn.expect is not Expect.YES_NO or turn.step is None or turn.checklist is None:
        raise StateError("no question is waiting for an answer")
    return replace(_answer_step(library, state, turn.checklist, turn.step, yes, context),
                   events=(Event(EventKind.ANSWER, answer_data(turn.step.id, yes), turn.checklist.id),))


def answer_data(step_id: str, yes: Answer) -> dict[str, object]:
    """The audit event's data: {"yes": true/false}, or for "vet inte" {"yes": null, "answer": "unknown"}.

    "yes" stays a boolean or null so that no reader takes the truthy word "unknown" for a yes.
    """
    if is_unknown(yes):
        return {"step": step_id, "yes": None, "answer": yes}
    return {"step": step_id, "yes": yes}


def _answer_step(library: Library, state: State, checklist: Checklist, step: Step, yes: Answer,
                 context: Context) -> Turn:
    """The turn after an answer to a checklist step."""
    answers = {**state.answers, step.id: yes}
    action = step.action(yes)
    if action is Action.SOLVED:
        return _finish(state, checklist, answers, resolved(checklist, answers, step.id))
    if action is Action.STOP:
        return _finish(state, checklist, answers, route(checklist, answers, context))
    if action is Action.GOTO:
        target = step.goto(yes)
        next_index = checklist.step_index(str(target))
    else:
        next_index = state.step + 1
    return _continue(library, state, checklist, next_index, answers, context)


def _continue(
    library: Library, state: State, checklist: Checklist, index: int, answers: dict[str, Answer], context: Context
) -> Turn:
    """The next open step, or the routing decision when none is left."""
    turn = _advance(state, checklist, index, answers)
    if turn.expect is Expect.NOTHING:
        return _finish(state, checklist, turn.state.answers, route(checklist, turn.state.answers, context))
    return turn


def needs_pin(library: Library, state: State, context: Context) -> bool:
    """True when only the staff check stands between this finished checklist and Chef i beredskap."""
    checklist = _checklist(library, state)
    return routing_needs_pin(checklist, state.answers, context)


def reroute(library: Library, state: State, context: Context) -> Turn:
    """Decide a finished checklist again in a new context (the caller keyed in the staff code)."""
    checklist = _checklist(library, state)
    return _finish(state, checklist, state.answers, route(checklist, state.answers, context))


def _finish(state: State, checklist: Checklist, answers: dict[str, Answer], decision: Decision) -> Turn:
    new_state = replace(state, answers=answers, decision=decision)
    return Turn(new_state, Expect.NOTHING, checklist, decision=decision)


def _checklist(library: Library, state: State) -> Checklist:
    try:
        return library.by_id(str(state.checklist))
    except KeyError:
        raise StateError(f"stored checklist {state.checklist!r} no longer exists") from None
