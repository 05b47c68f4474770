"""The engine: walking checklists, the JSON state, and the on-call guarantee."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows import engine
from flows.engine import Expect, State, StateError
from flows.line import load_line
from flows.model import UNKNOWN, Answer, Outcome, is_unknown
from flows.routing import Context, all_steps_answered

LINE = load_line()
LIBRARY = LINE.library
AFTER_HOURS = Context(office_hours=False)
OFFICE = Context(office_hours=True)


def roundtrip(state: State) -> State:
    """Save and reload the state the way the session store does."""
    reloaded = State.from_json(state.to_json())
    assert reloaded == state
    return reloaded


def walk(checklist_id: str, answers: list[bool], context: Context) -> engine.Turn:
    turn = engine.choose(LIBRARY, engine.start("sv").state, checklist_id)
    for value in answers:
        if turn.expect is not Expect.YES_NO:
            break
        turn = engine.answer(LIBRARY, roundtrip(turn.state), value, context)
    return turn


@settings(max_examples=600, deadline=None)
@given(
    checklist_id=st.sampled_from([c.id for c in LIBRARY.checklists]),
    # "vet inte" too: a step that does not allow it must refuse it and stay where it is.
    answers=st.lists(st.sampled_from([True, False, UNKNOWN]), max_size=14),
    office_hours=st.booleans(),
    may_escalate=st.booleans(),
    lang=st.sampled_from(["sv", "en"]),
)
def test_on_call_only_after_every_step_is_answered(
    checklist_id: str, answers: list[Answer], office_hours: bool, may_escalate: bool, lang: str
) -> None:
    checklist = LIBRARY.by_id(checklist_id)
    context = Context(office_hours=office_hours, may_escalate=may_escalate)
    turn = engine.choose(LIBRARY, engine.start(lang).state, checklist_id)
    for value in answers:
        if turn.expect is not Expect.YES_NO:
            break
        state = roundtrip(turn.state)
        if is_unknown(value) and not engine.accepts_unknown(turn):
            with pytest.raises(StateError):
                engine.answer(LIBRARY, state, value, context)
            continue  # the caller hears the bad-key prompt and the same step again
        turn = engine.answer(LIBRARY, state, value, context)
        assert turn.state.lang == lang
    roundtrip(turn.state)
    stored = turn.state.answers
    # "vet inte" is only ever stored on a step that allows it.
    assert all(step.allows_unknown for step in checklist.steps if is_unknown(stored.get(step.id)))
    if turn.decision is not None and turn.decision.outcome is Outcome.ON_CALL_MANAGER:
        assert set(stored) == {step.id for step in checklist.steps}
        assert all_steps_answered(checklist, stored)
        assert not office_hours and may_escalate
    if turn.expect is Expect.YES_NO:
        assert turn.decision is None and turn.step is not None


@pytest.mark.parametrize("checklist", LIBRARY.checklists, ids=lambda c: c.id)
def test_answering_no_everywhere_reaches_a_decision(checklist: object) -> None:
    turn = walk(checklist.id, [False] * 20, AFTER_HOURS)  # type: ignore[attr-defined]
    assert turn.expect is Expect.NOTHING and turn.decision is not None
    assert turn.decision.outcome is not Outcome.RESOLVED


def test_viva_first_step_yes_is_solved() -> None:
    turn = walk("viva", [True], AFTER_HOURS)
    assert turn.decision is not None
    assert turn.decision.outcome is Outcome.RESOLVED
    assert turn.decision.solved_step == "home_drive"


def test_viva_after_hours_all_steps_goes_to_on_call() -> None:
    turn = walk("viva", [False, True, True], AFTER_HOURS)
    assert turn.decision is not None and turn.decision.outcome is Outcome.ON_CALL_MANAGER
    assert turn.decision.facts == {"multiple_users": True, "network_ok": True}


def test_viva_in_office_hours_goes_to_viva_support() -> None:
    turn = walk("viva", [False, False, True], OFFICE)
    assert turn.decision is not None and turn.decision.outcome is Outcome.LOCAL_CONTACT
    assert turn.decision.contact == "viva_support"


def test_position_counts_steps_from_one() -> None:
    turn = engine.choose(LIBRARY, engine.start().state, "viva")
    assert turn.position == (1, 3)
    turn = engine.answer(LIBRARY, turn.state, False, OFFICE)
    assert turn.position == (2, 3)


def test_current_repeats_the_waiting_question() -> None:
    turn = engine.answer(LIBRARY, engine.choose(LIBRARY, State(), "viva").state, False, OFFICE)
    again = engine.current(LIBRARY, State.from_json(turn.state.to_json()))
    assert again.step == turn.step and again.expect is Expect.YES_NO


def test_menu_forgets_the_checklist_but_keeps_the_language() -> None:
    turn = engine.choose(LIBRARY, engine.start("en").state, "npo")
    back = engine.menu(turn.state)
    assert back.expect is Expect.SYSTEM and back.state == State(lang="en")


def test_answer_without_a_question_is_refused() -> None:
    with pytest.raises(StateError):
        engine.answer(LIBRARY, State(), True, OFFICE)


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"v": 99}',
        '{"v": 1, "lang": "de", "checklist": null, "step": 0, "answers": {}, "decision": null}',
        '{"v": 1, "lang": "sv", "checklist": null, "step": -1, "answers": {}, "decision": null}',
        '{"v": 1, "lang": "sv", "checklist": null, "step": 0, "answers": {"a": 1}, "decision": null}',
    ],
)
def test_corrupt_state_is_a_state_error(text: str) -> None:
    with pytest.raises(StateError):
        State.from_json(text)


def test_stored_state_reads_back_and_refuses_what_is_not_a_state() -> None:
    state = walk("viva", [True], AFTER_HOURS).state
    assert State.from_dict(state.to_dict()) == state
    with pytest.raises(StateError):
        State.from_dict(None)  # a session without a state
    with pytest.raises(StateError):
        State.from_dict({"v": 1, "lang": "sv", "step": 0, "answers": [], "decision": None})


def test_state_of_a_removed_checklist_is_a_state_error() -> None:
    state = State(checklist="gone")
    with pytest.raises(StateError, match="no longer exists"):
        engine.current(LIBRARY, state)
