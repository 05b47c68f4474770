"""Routing: from a checklist's answers and the moment's context to one outcome."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from flows.model import UNKNOWN, Answer, Checklist, Outcome, Rule, Step, Text, is_unknown


@dataclass(frozen=True)
class Context:
    """What routing needs to know besides the answers."""

    office_hours: bool
    # False for callers who may not escalate (not on the staff list, no PIN).
    may_escalate: bool = True
    # Facts known without asking, e.g. multiple_users from several recent reports.
    known_facts: Mapping[str, bool] = field(default_factory=dict)


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

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready form for the session and the audit log."""
        return {
            "outcome": self.outcome.value, "checklist": self.checklist_id, "facts": dict(self.facts),
            "contact": self.contact, "supplier": self.supplier, "say": self.say,
            "solved_step": self.solved_step,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Decision:
        """Rebuild a decision stored by to_dict."""
        facts = data.get("facts") or {}
        say = data.get("say")
        return cls(
            outcome=Outcome(str(data["outcome"])), checklist_id=str(data["checklist"]),
            facts={str(k): _fact_value(v) for k, v in dict(facts).items()},  # type: ignore[call-overload]
            contact=_opt_str(data.get("contact")), supplier=_opt_str(data.get("supplier")),
            say={str(k): str(v) for k, v in dict(say).items()} if say else None,  # type: ignore[call-overload]
            solved_step=_opt_str(data.get("solved_step")),
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
    facts = {**facts_from(checklist, answers), **context.known_facts}
    may_call_manager = context.may_escalate and all_steps_answered(checklist, answers)
    for rule in checklist.rules:
        if not rule.applies(context.office_hours, facts):
            continue
        if rule.outcome is Outcome.ON_CALL_MANAGER and not may_call_manager:
            continue
        return _decide(rule, checklist, facts)
    # The validator requires a default rule for both office and after hours, so
    # this is reached only if the on-call default was skipped.
    fallback = Outcome.IT_SUPPORT if context.office_hours else Outcome.WAIT_FOR_OFFICE_HOURS
    return Decision(fallback, checklist.id, facts)


def needs_pin(checklist: Checklist, answers: Mapping[str, Answer], context: Context) -> bool:
    """True when the caller may not escalate but would reach Chef i beredskap if they could."""
    if context.may_escalate:
        return False
    allowed = Context(context.office_hours, True, context.known_facts)
    return route(checklist, answers, allowed).outcome is Outcome.ON_CALL_MANAGER


def resolved(checklist: Checklist, answers: Mapping[str, Answer], step_id: str) -> Decision:
    """The decision for a checklist that a step solved."""
    step = checklist.steps[checklist.step_index(step_id)]
    return Decision(
        Outcome.RESOLVED, checklist.id, facts_from(checklist, answers), say=step.solved_say,
        solved_step=step_id,
    )


def _decide(rule: Rule, checklist: Checklist, facts: dict[str, Answer]) -> Decision:
    return Decision(rule.outcome, checklist.id, facts, rule.contact, rule.supplier, rule.say)
