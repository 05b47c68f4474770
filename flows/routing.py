"""Routing: from a checklist's answers and the moment's context to one outcome."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from flows.model import UNKNOWN, Answer, Checklist, Outcome, Rule, Step, Text, is_unknown


@dataclass(frozen=True)
class Context:
    """What routing needs to know besides the answers."""

    office_hours: bool
    # False for callers who may not escalate (not on the staff list, no PIN).
    may_escalate: bool = True
    # Nothing else: other callers' reports never stand in for this caller's answers.


class Blocked(StrEnum):
    """Why a rule that would reach Chef i beredskap was passed over (the caller hears it)."""

    NOT_STAFF = "not_staff"  # the phone is not on the staff list and no staff code was keyed in
    STEPS_MISSING = "steps_missing"  # the checklist ended before every step had an answer


@dataclass(frozen=True)
class Decision:
    """The outcome of a checklist, with what the channels need to act on it."""

    outcome: Outcome
    checklist_id: str
    facts: dict[str, Answer]  # a fact answered "vet inte" is UNKNOWN here, not False
    contact: str | None = None
    supplier: str | None = None
    say: Text | None = None
    solved_step: str | None = None
    why: Text | None = None  # the applied rule's reason, in the caller's terms
    blocked: Blocked | None = None  # an on-call rule matched but could not be used: this is why
    ticket: bool = False  # the line filed the caller's ticket in the IT portal (ivr/tickets/filing.py)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready form for the session and the audit log."""
        return {
            "outcome": self.outcome.value, "checklist": self.checklist_id, "facts": dict(self.facts),
            "contact": self.contact, "supplier": self.supplier, "say": self.say,
            "solved_step": self.solved_step, "why": self.why,
            "blocked": None if self.blocked is None else self.blocked.value,
            **({"ticket": True} if self.ticket else {}),  # only when filed: older states and goldens read the same
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Decision:
        """Rebuild a decision stored by to_dict."""
        facts = data.get("facts") or {}
        say, why, blocked = data.get("say"), data.get("why"), data.get("blocked")
        return cls(
            outcome=Outcome(str(data["outcome"])), checklist_id=str(data["checklist"]),
            facts={str(k): _fact_value(v) for k, v in dict(facts).items()},  # type: ignore[call-overload]
            contact=_opt_str(data.get("contact")), supplier=_opt_str(data.get("supplier")),
            say={str(k): str(v) for k, v in dict(say).items()} if say else None,  # type: ignore[call-overload]
            solved_step=_opt_str(data.get("solved_step")),
            why={str(k): str(v) for k, v in dict(why).items()} if why else None,  # type: ignore[call-overload]
            blocked=Blocked(str(blocked)) if blocked in tuple(Blocked) else None,
            ticket=data.get("ticket") is True,
        )


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)


def _fact_value(value: object) -> Answer:
    """A stored fact: unknown stays unknown (bool("unknown") would read it as yes)."""
    return UNKNOWN if is_unknown(value) else bool(value)


def facts_from(checklist: Checklist, answers: Mapping[str, Answer]) -> dict[str, Answer]:
    """The facts the answers record; a fact asked twice keeps its last answer."""
    facts: dict[str, Answer] = {}
    for step in checklist.steps:
        if step.fact is not None and step.id in answers:
            facts[step.fact] = step.fact_value(answers[step.id])
    return facts


def step_answered(step: Step, answers: Mapping[str, Answer]) -> bool:
    """True when the step has an answer that counts: "vet inte" counts only where the checklist allows it."""
    if step.id not in answers:
        return False
    return step.allows_unknown or not is_unknown(answers[step.id])


def all_steps_answered(checklist: Checklist, answers: Mapping[str, Answer]) -> bool:
    """True when every step of the checklist has an answer that counts."""
    return all(step_answered(step, answers) for step in checklist.steps)


def route(checklist: Checklist, answers: Mapping[str, Answer], context: Context) -> Decision:
    """Choose the outcome for a checklist that ended without being solved.

    The on-call manager is chosen only when every step has an answer: that is
    computed here from the answers themselves, so no caller can skip it.
    """
    facts = facts_from(checklist, answers)
    complete = all_steps_answered(checklist, answers)
    blocked: Blocked | None = None
    for rule in checklist.rules:
        if not rule.applies(context.office_hours, facts):
            continue
        if rule.outcome is Outcome.ON_CALL_MANAGER and not (complete and context.may_escalate):
            # Remembered so the caller hears this reason, not the next rule's (e.g. "only you").
            blocked = blocked or (Blocked.STEPS_MISSING if not complete else Blocked.NOT_STAFF)
            continue
        return _decide(rule, checklist, facts, blocked)
    # The validator requires a default rule for both office and after hours, so
    # this is reached only if the on-call default was skipped.
    fallback = Outcome.IT_SUPPORT if context.office_hours else Outcome.WAIT_FOR_OFFICE_HOURS
    return Decision(fallback, checklist.id, facts, blocked=blocked)


def needs_pin(checklist: Checklist, answers: Mapping[str, Answer], context: Context) -> bool:
    """True when the caller may not escalate but would reach Chef i beredskap if they could."""
    if context.may_escalate:
        return False
    allowed = Context(context.office_hours, True)
    return route(checklist, answers, allowed).outcome is Outcome.ON_CALL_MANAGER


def resolved(checklist: Checklist, answers: Mapping[str, Answer], step_id: str) -> Decision:
    """The decision for a checklist that a step solved."""
    step = checklist.steps[checklist.step_index(step_id)]
    return Decision(
        Outcome.RESOLVED, checklist.id, facts_from(checklist, answers), say=step.solved_say,
        solved_step=step_id,
    )


def _decide(rule: Rule, checklist: Checklist, facts: dict[str, Answer], blocked: Blocked | None) -> Decision:
    # A passed-over on-call rule is the reason that counts; the rule's own `why` would mislead.
    why = None if blocked is not None else rule.why
    return Decision(rule.outcome, checklist.id, facts, rule.contact, rule.supplier, rule.say, why=why,
                    blocked=blocked)
