""""Vet inte": the third answer, where a checklist allows it. Unknown is not no.

The expected outcomes are written from the seed's routing for each system
(`/work/shared/seed/checklista-felsokning.txt`) as read in each checklist's
header comment: an unknown fact never establishes a condition the seed puts on
Chef i beredskap, and it never stands in for "no" either.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from flows import engine
from flows.engine import Expect, State, StateError, Turn
from flows.facts import facts_text, manager_sms
from flows.line import load_line
from flows.model import UNKNOWN, Action, Answer, Outcome, is_unknown
from flows.routing import Context, Decision, all_steps_answered, facts_from, route
from ivr.channels.voice import carried_state
from ivr.conversation.replies import Intent, parse, yes_no

LINE = load_line()
LIBRARY = LINE.library
OFFICE = Context(office_hours=True)
AFTER = Context(office_hours=False)
U = UNKNOWN


@dataclass(frozen=True)
class Want:
    outcome: Outcome
    target: str | None = None  # contact or supplier
    say_sv: tuple[str, ...] = ()  # words the rule's own Swedish sentence must hold
    no_say: str | None = None  # words it must NOT hold (a "call again" that does not apply)


IT = Want(Outcome.IT_SUPPORT)
ON_CALL = Want(Outcome.ON_CALL_MANAGER)
WAIT = Want(Outcome.WAIT_FOR_OFFICE_HOURS)
CALL_AGAIN = "ring igen"
VIVA_SUPPORT = Want(Outcome.LOCAL_CONTACT, "viva_support")
SUPERANVANDARE = Want(Outcome.LOCAL_CONTACT, "superanvandare")
TICKET = Want(Outcome.IT_PORTAL, say_sv=("systemförvaltaren",))


def browse_cases(system: str) -> list[tuple[str, str, dict[str, Answer], Want, Want]]:
    # Point 5: "Kan ingen personal surfa ..., kontakta chef i beredskap".
    return [
        (system, "unknown_status_and_users_nobody_browses",
         {"multiple_users": U, "network_ok": False, "supplier_outage": U, "nobody_can_browse": True}, IT, ON_CALL),
        (system, "caller_offline_does_not_know_about_others",
         {"multiple_users": False, "network_ok": False, "supplier_outage": False, "nobody_can_browse": U},
         IT, Want(Outcome.WAIT_FOR_OFFICE_HOURS, say_sv=(CALL_AGAIN, "internet"))),
        # The caller is online, so someone can browse: no "call again" about it.
        (system, "caller_online_does_not_know_about_others",
         {"multiple_users": U, "network_ok": True, "supplier_outage": U, "nobody_can_browse": U},
         IT, Want(Outcome.WAIT_FOR_OFFICE_HOURS, no_say=CALL_AGAIN)),
    ]


CASES: list[tuple[str, str, dict[str, Answer], Want, Want]] = [
    # Viva: the seed routes nothing on "several users": on-call once every step is answered.
    ("viva", "users_unknown", {"multiple_users": U, "network_ok": True}, VIVA_SUPPORT, ON_CALL),
    # Viva omsorg point 5: only "om flera användare har problem": unknown is not established.
    ("viva_omsorg", "users_unknown", {"multiple_users": U, "network_ok": True},
     IT, Want(Outcome.WAIT_FOR_OFFICE_HOURS, say_sv=(CALL_AGAIN, "samma fel"))),
    ("viva_omsorg", "users_unknown_no_network", {"multiple_users": U, "network_ok": False},
     IT, Want(Outcome.WAIT_FOR_OFFICE_HOURS, say_sv=(CALL_AGAIN,))),
    # Time Care: routes on network and login only.
    ("time_care", "users_unknown_no_network", {"multiple_users": U, "network_ok": False, "login_ok": True},
     IT, ON_CALL),
    ("time_care", "users_unknown_all_works", {"multiple_users": U, "network_ok": True, "login_ok": True},
     TICKET, TICKET),
    *browse_cases("npo"),
    *browse_cases("pascal"),
    *browse_cases("cosmic_link"),
    # Trygghetslarm point 4: several users cannot log in. Everon's status unknown goes on.
    ("trygghetslarm", "status_unknown_several_cannot_log_in",
     {"supplier_outage": U, "login_ok": False, "multiple_users": True}, IT, ON_CALL),
    ("trygghetslarm", "cannot_log_in_users_unknown",
     {"supplier_outage": False, "login_ok": False, "multiple_users": U},
     IT, Want(Outcome.WAIT_FOR_OFFICE_HOURS, say_sv=("rutinen för trygghetslarm", CALL_AGAIN))),
    ("trygghetslarm", "can_log_in_users_unknown",
     {"supplier_outage": U, "login_ok": True, "multiple_users": U},
     IT, Want(Outcome.WAIT_FOR_OFFICE_HOURS, say_sv=("rutinen för trygghetslarm",), no_say=CALL_AGAIN)),
    # Alfa e-Care points 7 and 8.
    ("alfa_ecare", "nobody_browses_rest_unknown",
     {"network_ok": True, "multiple_users": U, "supplier_outage": U, "nobody_can_browse": True, "login_ok": False},
     SUPERANVANDARE, ON_CALL),
    ("alfa_ecare", "cannot_log_in_users_unknown",
     {"network_ok": True, "multiple_users": U, "supplier_outage": False, "nobody_can_browse": False,
      "login_ok": False},
     SUPERANVANDARE, Want(Outcome.WAIT_FOR_OFFICE_HOURS, say_sv=("superanvändare", "logga in", CALL_AGAIN))),
    ("alfa_ecare", "offline_browsing_unknown",
     {"network_ok": False, "multiple_users": True, "supplier_outage": False, "nobody_can_browse": U,
      "login_ok": True},
     SUPERANVANDARE, Want(Outcome.WAIT_FOR_OFFICE_HOURS, say_sv=("superanvändare", "internet", CALL_AGAIN))),
    # Established conditions still win over an unknown one.
    ("alfa_ecare", "several_cannot_log_in_browsing_unknown",
     {"network_ok": False, "multiple_users": True, "supplier_outage": U, "nobody_can_browse": U,
      "login_ok": False},
     SUPERANVANDARE, ON_CALL),
]

ASKS_ABOUT_COLLEAGUES = ("viva", "viva_omsorg", "time_care", "npo", "pascal", "cosmic_link", "trygghetslarm",
                         "alfa_ecare")


def answer_for(turn: Turn, facts: Mapping[str, Answer]) -> Answer:
    """How a caller with these facts answers the waiting step (a fix attempt: "still broken")."""
    step = turn.step
    assert step is not None
    if step.fact is None:
        return next(a for a in (False, True) if step.action(a) is Action.NEXT)
    value = facts[step.fact]
    if is_unknown(value):
        return UNKNOWN
    return value if step.yes_means else not value


def talk(system: str, facts: Mapping[str, Answer], context: Context) -> Turn:
    """Through the engine, a JSON round trip before every answer, as the session store does."""
    turn = engine.choose(LIBRARY, engine.start("sv").state, system)
    while turn.expect is Expect.YES_NO:
        state = State.from_json(turn.state.to_json())
        turn = engine.answer(LIBRARY, state, answer_for(turn, facts), context)
    assert turn.decision is not None
    return turn


def check(decision: Decision, want: Want) -> None:
    assert decision.outcome is want.outcome
    assert want.target in (None, decision.contact, decision.supplier)
    said = (decision.say or {}).get("sv", "")
    assert all(words in said for words in want.say_sv), said
    if want.no_say:
        assert want.no_say not in said
    if decision.say:
        assert decision.say["en"]


@pytest.mark.parametrize(
    ("system", "facts", "office_hours", "want"),
    [pytest.param(system, facts, office, office_want if office else after_want,
                  id=f"{system}-{'office' if office else 'after'}-{label}")
     for system, label, facts, office_want, after_want in CASES for office in (True, False)],
)
def test_unknown_routes_as_the_seed_reads(system: str, facts: dict[str, Answer], office_hours: bool,
                                          want: Want) -> None:
    turn = talk(system, facts, OFFICE if office_hours else AFTER)
    checklist = LIBRARY.by_id(system)
    assert all_steps_answered(checklist, turn.state.answers)
    recorded = facts_from(checklist, turn.state.answers)
    assert recorded == facts  # unknown is recorded as unknown, never as no
    check(turn.decision, want)  # type: ignore[arg-type]


def test_every_system_that_asks_about_colleagues_takes_vet_inte_there() -> None:
    for checklist in LIBRARY.checklists:
        colleagues = [s for s in checklist.steps if s.fact in ("multiple_users", "nobody_can_browse")]
        assert bool(colleagues) is (checklist.id in ASKS_ABOUT_COLLEAGUES), checklist.id
        assert all(s.allows_unknown and s.on_unknown is Action.NEXT for s in colleagues), checklist.id
        # A fix attempt is done or not: no "vet inte" there.
        assert not any(s.allows_unknown for s in checklist.steps if Action.SOLVED in (s.on_yes, s.on_no))
        for step in checklist.steps:
            assert "svara nej" not in step.say["sv"].casefold(), step.id
        assert {c[0] for c in CASES} == set(ASKS_ABOUT_COLLEAGUES)


def test_vet_inte_where_the_step_does_not_allow_it_is_refused() -> None:
    turn = engine.choose(LIBRARY, engine.start("sv").state, "viva")  # home folder W: a fix attempt
    assert not engine.accepts_unknown(turn)
    with pytest.raises(StateError, match="vet inte"):
        engine.answer(LIBRARY, turn.state, UNKNOWN, AFTER)
    notice = engine.choose(LIBRARY, engine.start("sv").state, "viva", notice=True)
    assert not engine.accepts_unknown(notice)
    with pytest.raises(StateError):
        engine.answer(LIBRARY, notice.state, UNKNOWN, AFTER)


def test_a_forged_unknown_on_a_step_that_does_not_allow_it_never_counts_as_answered() -> None:
    checklist = LIBRARY.by_id("viva")
    answers: dict[str, Answer] = {"home_drive": UNKNOWN, "multiple_users": True, "network": True}
    assert not all_steps_answered(checklist, answers)
    assert route(checklist, answers, AFTER).outcome is Outcome.WAIT_FOR_OFFICE_HOURS
    answers["home_drive"] = False
    assert route(checklist, answers, AFTER).outcome is Outcome.ON_CALL_MANAGER


def test_other_callers_reports_never_turn_an_unknown_answer_into_yes() -> None:
    # Told of an incident at the choice, the caller still answers "vet inte": her answer routes her.
    turn = engine.choose(LIBRARY, engine.start("sv").state, "viva_omsorg", incident=True)
    assert turn.step is not None and turn.step.id == "multiple_users"  # asked, not answered for her
    for value in (UNKNOWN, True, False, False):
        turn = engine.answer(LIBRARY, turn.state, value, AFTER)
    assert turn.decision is not None
    assert turn.decision.facts["multiple_users"] == UNKNOWN
    assert turn.decision.outcome is Outcome.WAIT_FOR_OFFICE_HOURS


def test_unknown_answers_survive_the_store_the_token_and_the_decision() -> None:
    turn = engine.choose(LIBRARY, engine.start("sv").state, "viva_omsorg")
    turn = engine.answer(LIBRARY, turn.state, UNKNOWN, AFTER)
    assert turn.events[0].data == {"step": "multiple_users", "yes": None, "answer": "unknown"}
    state = State.from_json(turn.state.to_json())
    assert state.answers == {"multiple_users": "unknown"}
    token = carried_state.encode({"state": state.to_dict()}, "CA1", b"k" * 32)
    assert State.from_dict(carried_state.decode(token, "CA1", b"k" * 32)["state"]) == state
    for value in (False, False, False):
        turn = engine.answer(LIBRARY, turn.state, value, AFTER)
    assert turn.decision is not None
    assert turn.decision.facts == {"multiple_users": "unknown", "network_ok": False}
    assert Decision.from_dict(turn.decision.to_dict()) == turn.decision  # not bool("unknown") == True


def test_a_state_saved_before_vet_inte_still_loads_and_a_strange_answer_does_not() -> None:
    old = '{"v": 1, "lang": "sv", "checklist": "viva", "step": 1, "answers": {"home_drive": false}, "decision": null}'
    assert State.from_json(old).answers == {"home_drive": False}
    with pytest.raises(StateError):
        State.from_json(old.replace("false", '"maybe"'))
    with pytest.raises(StateError):
        State.from_json(old.replace("false", "null"))


def test_whisper_and_manager_sms_name_unknown_facts_as_unknown() -> None:
    decision = Decision(Outcome.ON_CALL_MANAGER, "viva", {"multiple_users": UNKNOWN, "network_ok": False})
    assert facts_text(LINE, decision, "sv") == "Nej: nätet ok. Okänt: flera berörs"
    assert facts_text(LINE, decision, "en") == "No: network ok. Unknown: several users"
    assert manager_sms(LINE, decision, "+46701740699", datetime(2026, 11, 25, 21, 4, tzinfo=UTC)) == (
        "Felsökningslinjen 22.04: Viva, alla steg gjorda. Nej: nätet ok. Okänt: flera berörs. Ring 070-174 06 99")
    assert manager_sms(LINE, decision, None, datetime(2026, 11, 25, 21, 4, tzinfo=UTC)).endswith(
        "Okänt: flera berörs. Dolt nummer.")


@pytest.mark.parametrize("text", ["vet inte", "Vet inte.", "VET EJ", "vetej", "Ingen aning!", "3", "vet  inte"])
def test_dont_know_words(text: str) -> None:
    assert parse(text).intent is Intent.DONT_KNOW
    assert yes_no(text) is None  # never read as yes or no


@pytest.mark.parametrize("text", ["vet", "inte", "nej", "ja", "33", "vet du inte"])
def test_not_dont_know(text: str) -> None:
    assert parse(text).intent is not Intent.DONT_KNOW
