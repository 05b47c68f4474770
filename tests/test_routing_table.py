"""The routing table of the seed, row by row: system x moment x facts -> outcome.

The expected outcomes below are written from the seed
(`/work/shared/seed/checklista-felsokning.txt`), not read back from the YAML,
so this table checks the checklist files against the seed.

The time dimension is a real moment of the week (a Wednesday morning and
evening, a Saturday, julafton, Kristi himmelsfärd on a Thursday); whether it is
office hours comes from the shipped `config/office_hours.yaml` through the
calendar, and only the Wednesday morning is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from flows.calendar import Calendar, load_office_hours
from flows.checklists import load_library
from flows.model import Action, Checklist, Outcome
from flows.routing import Context, Decision, all_steps_answered, facts_from, route

LIBRARY = load_library(Path(__file__).resolve().parents[1] / "checklists")

CALENDAR = Calendar(load_office_hours(Path(__file__).resolve().parents[1] / "config" / "office_hours.yaml"))
MOMENT_TIMES: tuple[tuple[str, str], ...] = (
    ("office", "2026-11-25T10:00"),  # Wednesday
    ("evening", "2026-11-25T22:00"),
    ("weekend", "2026-11-28T11:00"),  # Saturday
    ("julafton", "2026-12-24T10:00"),  # a Thursday
    ("holiday_weekday", "2026-05-14T10:00"),  # Kristi himmelsfärds dag, a Thursday
)
MOMENTS: tuple[tuple[str, bool], ...] = tuple(
    (name, CALENDAR.is_office_hours(datetime.fromisoformat(at).replace(tzinfo=ZoneInfo("Europe/Stockholm"))))
    for name, at in MOMENT_TIMES
)


def test_only_the_weekday_morning_is_office_hours() -> None:
    assert MOMENTS == (
        ("office", True), ("evening", False), ("weekend", False), ("julafton", False), ("holiday_weekday", False)
    )
AFTER_HOURS_MOMENTS = tuple(name for name, office in MOMENTS if not office)


@dataclass(frozen=True)
class Want:
    """An expected decision. `say_sv` is a word the system's extra Swedish words
    must contain, for seed points that live only in a rule's `say`."""

    outcome: Outcome
    target: str | None = None  # the contact or supplier id
    say_sv: str | None = None


IT_SUPPORT = Want(Outcome.IT_SUPPORT)
ON_CALL = Want(Outcome.ON_CALL_MANAGER)
WAIT = Want(Outcome.WAIT_FOR_OFFICE_HOURS)

# The facts each system's checklist asks, in the seed's order of its points.
SEED_FACTS: dict[str, tuple[str, ...]] = {
    "viva": ("multiple_users", "network_ok"),
    "viva_omsorg": ("multiple_users", "network_ok"),
    "time_care": ("multiple_users", "network_ok", "login_ok"),
    "npo": ("multiple_users", "network_ok", "supplier_outage", "nobody_can_browse"),
    "pascal": ("multiple_users", "network_ok", "supplier_outage", "nobody_can_browse"),
    # Cosmic Link checks Inera's status before the network.
    "cosmic_link": ("multiple_users", "supplier_outage", "network_ok", "nobody_can_browse"),
    # Swedlock's seed asks no fact; its last answer is recorded so Chef i beredskap hears the key failed.
    "swedlock": ("key_works",),
    "trygghetslarm": ("supplier_outage", "login_ok", "multiple_users"),
    "alfa_ecare": (
        "network_ok", "multiple_users", "supplier_outage", "nobody_can_browse", "login_ok",
    ),
}

# Every question is asked the positive way, so "yes" records the fact as true,
# except "Kan någon av er öppna en webbsida?": yes there means someone can browse.
ASKED_THE_OTHER_WAY = {"nobody_can_browse"}

# Seed points that try a fix ("starta om", "testa en annan telefon", ...): a yes ends
# the call as solved.
SEED_FIX_ATTEMPTS: dict[str, int] = {
    "viva": 1,  # hemkatalog W / restart
    "viva_omsorg": 2,  # restart the phone, another phone
    "time_care": 1,  # restart the computer
    "npo": 1,
    "pascal": 1,
    "cosmic_link": 1,
    "swedlock": 2,  # the station's instructions, the säkerhetsdosa
    "trygghetslarm": 1,  # the workplace's alarm checklist
    "alfa_ecare": 3,  # close apps, restart the phone, another phone
}

# The supplier whose status page the seed names, per system.
SUPPLIERS: dict[str, str] = {
    "npo": "inera",
    "pascal": "inera",
    "cosmic_link": "inera",
    "trygghetslarm": "everon",
    "alfa_ecare": "alfa_ecare",
}



@dataclass(frozen=True)
class Case:
    """One combination of facts the seed distinguishes, with the expected outcome
    in office hours and after hours."""

    system: str
    label: str
    facts: Mapping[str, bool]
    office: Want
    after: Want


def _browse_cases(system: str) -> list[Case]:
    # NPÖ, Pascal, Cosmic Link, point 5: "Kan ingen personal surfa till någon sida på
    # internet, kontakta chef i beredskap." Several users alone is not enough.
    return [
        Case(system, "someone_can_browse",
             {"multiple_users": False, "network_ok": True, "nobody_can_browse": False},
             IT_SUPPORT, WAIT),
        Case(system, "multiple_users_someone_can_browse",
             {"multiple_users": True, "network_ok": False, "nobody_can_browse": False},
             IT_SUPPORT, WAIT),
        Case(system, "nobody_can_browse",
             {"multiple_users": True, "network_ok": False, "nobody_can_browse": True},
             IT_SUPPORT, ON_CALL),
        Case(system, "nobody_can_browse_one_caller",
             {"multiple_users": False, "network_ok": False, "nobody_can_browse": True},
             IT_SUPPORT, ON_CALL),
    ]


VIVA_SUPPORT = Want(Outcome.LOCAL_CONTACT, "viva_support")
# Time Care point 5: network and login work -> a ticket, handled the next weekday
# by the IT unit and the system administrator; the seed gives it no hours.
TIME_CARE_TICKET = Want(Outcome.IT_PORTAL, say_sv="systemförvaltaren")
SUPERANVANDARE = Want(Outcome.LOCAL_CONTACT, "superanvandare")
ALFA_WAIT = Want(Outcome.WAIT_FOR_OFFICE_HOURS, say_sv="superanvändare")
# Trygghetslarm: after hours without on-call, remind staff of the alarm routine.
ALARM_WAIT = Want(Outcome.WAIT_FOR_OFFICE_HOURS, say_sv="rutinen för trygghetslarm")

CASES: list[Case] = [
    # Viva, point 4: viva-support in office hours; after hours Chef i beredskap once
    # the checklist is done, whatever the facts.
    Case("viva", "one_user", {"multiple_users": False, "network_ok": True},
         VIVA_SUPPORT, ON_CALL),
    Case("viva", "multiple_users_no_network", {"multiple_users": True, "network_ok": False},
         VIVA_SUPPORT, ON_CALL),
    # Viva omsorg, point 5: Chef i beredskap only when several users have the problem.
    Case("viva_omsorg", "one_user", {"multiple_users": False, "network_ok": True},
         IT_SUPPORT, WAIT),
    Case("viva_omsorg", "one_user_no_network", {"multiple_users": False, "network_ok": False},
         IT_SUPPORT, WAIT),
    Case("viva_omsorg", "multiple_users", {"multiple_users": True, "network_ok": True},
         IT_SUPPORT, ON_CALL),
    Case("viva_omsorg", "multiple_users_no_network",
         {"multiple_users": True, "network_ok": False}, IT_SUPPORT, ON_CALL),
    # Time Care, point 4: network or login broken -> Chef i beredskap (one user is
    # enough); point 5: both fine -> ticket in the IT portal.
    Case("time_care", "network_and_login_ok",
         {"multiple_users": False, "network_ok": True, "login_ok": True},
         TIME_CARE_TICKET, TIME_CARE_TICKET),
    Case("time_care", "multiple_users_network_and_login_ok",
         {"multiple_users": True, "network_ok": True, "login_ok": True},
         TIME_CARE_TICKET, TIME_CARE_TICKET),
    Case("time_care", "no_network",
         {"multiple_users": False, "network_ok": False, "login_ok": True},
         IT_SUPPORT, ON_CALL),
    Case("time_care", "no_login",
         {"multiple_users": False, "network_ok": True, "login_ok": False},
         IT_SUPPORT, ON_CALL),
    Case("time_care", "no_network_no_login",
         {"multiple_users": True, "network_ok": False, "login_ok": False},
         IT_SUPPORT, ON_CALL),
    *_browse_cases("npo"),
    *_browse_cases("pascal"),
    *_browse_cases("cosmic_link"),
    # Swedlock, points 3-4: the message to välfärdsteknikgruppen is a step of its own (message_group, sent by the
    # line or confirmed sent: tests/test_step_message.py), so the endings need no words about it; after hours
    # Chef i beredskap once the checklist is done.
    Case("swedlock", "checklist_done", {"key_works": False},
         Want(Outcome.LOCAL_CONTACT, "valfardsteknik"), ON_CALL),
    # Trygghetslarm, point 4: several users cannot log in to the app.
    Case("trygghetslarm", "multiple_users_cannot_log_in",
         {"login_ok": False, "multiple_users": True}, IT_SUPPORT, ON_CALL),
    Case("trygghetslarm", "one_user_cannot_log_in",
         {"login_ok": False, "multiple_users": False}, IT_SUPPORT, ALARM_WAIT),
    Case("trygghetslarm", "multiple_users_can_log_in",
         {"login_ok": True, "multiple_users": True}, IT_SUPPORT, ALARM_WAIT),
    Case("trygghetslarm", "one_user_can_log_in",
         {"login_ok": True, "multiple_users": False}, IT_SUPPORT, ALARM_WAIT),
    # Alfa e-Care, point 5: superanvändare / systemförvaltare; points 7 and 8:
    # nobody can browse, or several users cannot log in -> Chef i beredskap.
    Case("alfa_ecare", "one_user",
         {"network_ok": True, "multiple_users": False, "nobody_can_browse": False,
          "login_ok": True},
         SUPERANVANDARE, ALFA_WAIT),
    Case("alfa_ecare", "one_user_cannot_log_in",
         {"network_ok": True, "multiple_users": False, "nobody_can_browse": False,
          "login_ok": False},
         SUPERANVANDARE, ALFA_WAIT),
    Case("alfa_ecare", "multiple_users_can_log_in",
         {"network_ok": True, "multiple_users": True, "nobody_can_browse": False,
          "login_ok": True},
         SUPERANVANDARE, ALFA_WAIT),
    Case("alfa_ecare", "multiple_users_cannot_log_in",
         {"network_ok": True, "multiple_users": True, "nobody_can_browse": False,
          "login_ok": False},
         SUPERANVANDARE, ON_CALL),
    Case("alfa_ecare", "nobody_can_browse",
         {"network_ok": False, "multiple_users": True, "nobody_can_browse": True,
          "login_ok": True},
         SUPERANVANDARE, ON_CALL),
    Case("alfa_ecare", "nobody_can_browse_one_user",
         {"network_ok": False, "multiple_users": False, "nobody_can_browse": True,
          "login_ok": True},
         SUPERANVANDARE, ON_CALL),
    Case("alfa_ecare", "nobody_can_browse_cannot_log_in",
         {"network_ok": False, "multiple_users": True, "nobody_can_browse": True,
          "login_ok": False},
         SUPERANVANDARE, ON_CALL),
]


def walk(checklist: Checklist, facts: Mapping[str, bool], outage: bool = False) -> dict[str, bool]:
    """Answer the checklist the way a caller with these facts would.

    A step with a fact is answered so that it records the fact's value (the
    supplier status step records `outage`). A step without a fact is a fix
    attempt: it is answered the way that says "still broken" and goes on.
    The walk ends where the checklist ends or a step stops it.
    """
    answers: dict[str, bool] = {}
    index = 0
    while index < len(checklist.steps):
        step = checklist.steps[index]
        where = f"{checklist.id}.{step.id}"
        if step.fact == "supplier_outage":
            answer = outage if step.yes_means else not outage
        elif step.fact is not None:
            assert step.fact in facts, f"{where} asks {step.fact}, which the seed does not"
            answer = facts[step.fact] if step.yes_means else not facts[step.fact]
        else:
            going_on = [a for a in (False, True) if step.action(a) in (Action.NEXT, Action.GOTO)]
            assert going_on, f"{where}: no answer goes on to the next step"
            answer = going_on[0]
        answers[step.id] = answer
        action = step.action(answer)
        assert action is not Action.SOLVED, f"{where}: answering {answer} ends the call as solved"
        if action is Action.STOP:
            break
        if action is Action.GOTO:
            target = step.goto_yes if answer else step.goto_no
            index = checklist.step_index(str(target))
        else:
            index += 1
    return answers


def check(decision: Decision, want: Want) -> None:
    assert decision.outcome is want.outcome
    if want.outcome is Outcome.LOCAL_CONTACT:
        assert decision.contact == want.target
    elif want.outcome is Outcome.SUPPLIER_OUTAGE:
        assert decision.supplier == want.target
    else:
        assert decision.contact is None and decision.supplier is None
    if want.say_sv is not None:
        assert decision.say is not None, "the rule has no extra words for this system"
        assert want.say_sv in decision.say["sv"]
        assert decision.say["en"]


def _rows() -> list[Any]:
    rows = []
    for case in CASES:
        for moment, office in MOMENTS:
            want = case.office if office else case.after
            rows.append(pytest.param(
                case, office, want, id=f"{case.system}-{moment}-{case.label}"
            ))
    return rows


def _on_call_rows() -> list[Any]:
    return [
        pytest.param(case, id=f"{case.system}-{moment}-{case.label}")
        for case in CASES
        if case.after.outcome is Outcome.ON_CALL_MANAGER
        for moment in AFTER_HOURS_MOMENTS
    ]


def test_the_table_covers_every_system_once_per_key() -> None:
    assert [c.id for c in LIBRARY.checklists] == list(SEED_FACTS)
    assert {case.system for case in CASES} == set(SEED_FACTS)


@pytest.mark.parametrize("checklist", LIBRARY.checklists, ids=lambda c: c.id)
def test_checklist_asks_the_seeds_facts_in_the_seeds_order(checklist: Checklist) -> None:
    assert tuple(s.fact for s in checklist.steps if s.fact) == SEED_FACTS[checklist.id]
    for step in checklist.steps:
        if step.fact is not None:
            assert step.yes_means is (step.fact not in ASKED_THE_OTHER_WAY), step.id
    fixes = [s for s in checklist.steps if Action.SOLVED in (s.on_yes, s.on_no)]
    assert len(fixes) == SEED_FIX_ATTEMPTS[checklist.id]
    # Only Swedlock's last attempt records its answer, so that Chef i beredskap hears the key still fails.
    assert all(s.fact in (None, "key_works") for s in fixes), "a fix attempt should not also record a fact"


@pytest.mark.parametrize(("case", "office_hours", "want"), _rows())
def test_routing_table(case: Case, office_hours: bool, want: Want) -> None:
    checklist = LIBRARY.by_id(case.system)
    answers = walk(checklist, case.facts)
    assert all_steps_answered(checklist, answers)
    recorded = dict(case.facts)
    if case.system in SUPPLIERS:
        recorded["supplier_outage"] = False
    assert facts_from(checklist, answers) == recorded
    check(route(checklist, answers, Context(office_hours=office_hours)), want)


@pytest.mark.parametrize("case", _on_call_rows())
def test_on_call_never_with_a_step_unanswered(case: Case) -> None:
    checklist = LIBRARY.by_id(case.system)
    answers = walk(checklist, case.facts)
    context = Context(office_hours=False)
    assert route(checklist, answers, context).outcome is Outcome.ON_CALL_MANAGER
    last = checklist.steps[-1].id
    without_last = {k: v for k, v in answers.items() if k != last}
    assert route(checklist, without_last, context).outcome is Outcome.WAIT_FOR_OFFICE_HOURS
    for step in checklist.steps:
        partial = {k: v for k, v in answers.items() if k != step.id}
        decision = route(checklist, partial, context)
        assert decision.outcome is not Outcome.ON_CALL_MANAGER, f"{step.id} unanswered"


@pytest.mark.parametrize("case", _on_call_rows())
def test_on_call_never_for_a_caller_who_may_not_escalate(case: Case) -> None:
    checklist = LIBRARY.by_id(case.system)
    answers = walk(checklist, case.facts)
    decision = route(checklist, answers, Context(office_hours=False, may_escalate=False))
    assert decision.outcome is Outcome.WAIT_FOR_OFFICE_HOURS


def _supplier_rows() -> list[Any]:
    rows = []
    for system, supplier in SUPPLIERS.items():
        # The facts of the system's strongest on-call case: an outage still wins.
        facts = next(c.facts for c in CASES if c.system == system and c.after == ON_CALL)
        for moment, office in MOMENTS:
            rows.append(pytest.param(
                system, facts, office, supplier, id=f"{system}-{moment}-supplier_outage"
            ))
    return rows


@pytest.mark.parametrize(("system", "facts", "office_hours", "supplier"), _supplier_rows())
def test_supplier_outage_at_every_hour(
    system: str, facts: Mapping[str, bool], office_hours: bool, supplier: str
) -> None:
    checklist = LIBRARY.by_id(system)
    answers = walk(checklist, facts, outage=True)
    status = next(i for i, s in enumerate(checklist.steps) if s.fact == "supplier_outage")
    # The municipality's IT cannot fix a supplier's outage: the checklist stops at
    # the status step, with answers up to and including it only.
    assert list(answers) == [s.id for s in checklist.steps[: status + 1]]
    decision = route(checklist, answers, Context(office_hours=office_hours))
    say = "handlingsplanen" if system == "trygghetslarm" else None  # Trygghetslarm point 3
    check(decision, Want(Outcome.SUPPLIER_OUTAGE, supplier, say))
    assert decision.facts["supplier_outage"] is True
