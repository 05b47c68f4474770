"""The checklist data model: what a loaded and validated checklist file holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final, Literal, TypeGuard

LANGUAGES = ("sv", "en")


class Outcome(StrEnum):
    """Where a finished conversation sends the caller (ARCHITECTURE.md, Outcomes)."""

    RESOLVED = "resolved"
    IT_SUPPORT = "it_support"
    IT_PORTAL = "it_portal"
    LOCAL_CONTACT = "local_contact"
    SUPPLIER_OUTAGE = "supplier_outage"
    ON_CALL_MANAGER = "on_call_manager"
    WAIT_FOR_OFFICE_HOURS = "wait_for_office_hours"
    # The caller heard IT's announcement of a known outage and ended there.
    DEFLECTED = "deflected"
    # Chef i beredskap already knows of this system's outage (an acknowledged incident): she is not rung
    # again; the caller gets an SMS when it is fixed.
    INCIDENT_KNOWN = "incident_known"


class Hours(StrEnum):
    """When a routing rule applies."""

    ANY = "any"
    OFFICE = "office"
    AFTER = "after_hours"


class Action(StrEnum):
    """What one answer to a step does."""

    NEXT = "next"  # go on to the next step
    SOLVED = "solved"  # the problem is gone: end as resolved
    STOP = "stop"  # stop asking and route now on the facts so far (never to on-call)
    GOTO = "goto"  # jump forward to a named step; skipped steps rule out on-call


# The facts a step may record, with how the on-call whisper and reports name them.
# A checklist that names any other fact is refused at load.
FACTS: dict[str, dict[str, str]] = {
    # Short on purpose: the manager's SMS lists every fact of a checklist, the time and a 15-digit number
    # in one message (160 characters with Alfa e-Care's five facts). The whisper says flows/facts.py's statements.
    "multiple_users": {"sv": "flera berörs", "en": "several users"},
    "network_ok": {"sv": "nätet ok", "en": "network ok"},
    "login_ok": {"sv": "kan logga in", "en": "can log in"},
    "supplier_outage": {"sv": "driftstörning", "en": "supplier outage"},
    "nobody_can_browse": {"sv": "ingen online", "en": "nobody online"},
    "key_works": {"sv": "nyckeln ok", "en": "key ok"},
}

# What a step needs besides the call itself; the voice line offers keys to match (ivr/channels/voice/key_hints.py).
NEEDS: dict[str, str] = {
    # The phone the carer is calling from (restart it, close its apps): impossible during the call.
    "phone": "the phone the caller is calling from",
    "screen": "the phone's or the computer's screen",
    "other_person": "another phone or another person (a colleague, the alarm coordinator)",
    "long": "longer than the gather timeout (a computer restart)",
}

Text = dict[str, str]  # language code -> text

# "Vet inte": the third answer, where a step allows it. It is stored as this word
# next to the yes/no booleans (so states saved before it keep loading), and the
# fact it records is unknown: unknown is NOT no.
UNKNOWN: Final = "unknown"
Answer = bool | Literal["unknown"]  # an answer to a step, and the value of the fact it records


def is_unknown(value: object) -> TypeGuard[Literal["unknown"]]:
    """True for the "vet inte" answer (never for a boolean: "unknown" is truthy, so never test it with if)."""
    return isinstance(value, str) and value == UNKNOWN


def is_answer(value: object) -> TypeGuard[Answer]:
    """True for a stored answer or fact value: yes, no, or unknown."""
    return isinstance(value, bool) or is_unknown(value)


def same_value(have: object, want: Answer) -> bool:
    """A fact's value matches a rule's: True is not 1, and unknown matches only unknown."""
    return have is want if isinstance(want, bool) else is_unknown(have)


@dataclass(frozen=True)
class Step:
    """One instruction with one yes/no question ("vet inte" too, where on_unknown is set)."""

    id: str
    say: Text
    ask: Text
    on_yes: Action
    on_no: Action
    goto_yes: str | None = None  # target step id when on_yes is GOTO
    goto_no: str | None = None
    needs: frozenset[str] = frozenset()  # what the step needs besides the call: names from NEEDS
    fact: str | None = None
    # Usually "yes" records the fact as true; some questions read better the other
    # way round ("Kan någon surfa?" records nobody_can_browse = false on yes).
    yes_means: bool = True
    solved_say: Text | None = None  # said when this step ends the call as solved
    # What "vet inte" does; None: this step has only yes and no (key 3 is a wrong key there).
    on_unknown: Action | None = None
    goto_unknown: str | None = None
    # A message the line sends for the caller when she gives this answer (`notify:`), e.g. Swedlock's point 3
    # to välfärdsteknikgruppen: a contact id of config/line.yaml with an `sms` number.
    notify: str | None = None
    notify_on: bool = False

    def notifies(self, answer: Answer) -> bool:
        """True when this answer makes the line send the step's message."""
        return self.notify is not None and isinstance(answer, bool) and answer is self.notify_on

    @property
    def allows_unknown(self) -> bool:
        """True when the checklist lets a caller answer this step "vet inte"."""
        return self.on_unknown is not None

    def action(self, answer: Answer) -> Action:
        """The action an answer triggers."""
        if is_unknown(answer):
            if self.on_unknown is None:
                raise ValueError(f"step {self.id!r} has no 'vet inte' answer")
            return self.on_unknown
        return self.on_yes if answer else self.on_no

    def goto(self, answer: Answer) -> str | None:
        """The step an answer jumps to, when its action is GOTO."""
        if is_unknown(answer):
            return self.goto_unknown
        return self.goto_yes if answer else self.goto_no

    def fact_value(self, answer: Answer) -> Answer:
        """The value the answer records for this step's fact (unknown stays unknown, whichever way it is asked)."""
        if is_unknown(answer):
            return UNKNOWN
        return answer if self.yes_means else not answer


@dataclass(frozen=True)
class Rule:
    """Routing: when these facts hold (in these hours), choose this outcome."""

    outcome: Outcome
    hours: Hours = Hours.ANY
    when: dict[str, Answer] = field(default_factory=dict)  # a fact may be asked to be unknown
    contact: str | None = None  # a contact id from config/line.yaml
    supplier: str | None = None  # a supplier id from config/line.yaml
    say: Text | None = None  # extra words for this system, spoken before the outcome
    # Why this outcome, in the caller's terms ("Bara du har problemet, ..."): said before `say`.
    why: Text | None = None

    def applies(self, office_hours: bool, facts: dict[str, Answer]) -> bool:
        """True when the rule's hours and every fact condition match."""
        if self.hours is Hours.OFFICE and not office_hours:
            return False
        if self.hours is Hours.AFTER and office_hours:
            return False
        return all(same_value(facts.get(name), value) for name, value in self.when.items())


@dataclass(frozen=True)
class Checklist:
    """One IT system's troubleshooting checklist and routing rules."""

    id: str
    key: int
    name: Text
    description: Text
    steps: tuple[Step, ...]
    rules: tuple[Rule, ...]
    source: str = ""
    # Other words texters use for the system ("larm", "ecare"), matched like its name; unique across checklists.
    aliases: tuple[str, ...] = ()

    def step_index(self, step_id: str) -> int:
        """Position of a step by id."""
        for index, step in enumerate(self.steps):
            if step.id == step_id:
                return index
        raise KeyError(step_id)


@dataclass(frozen=True)
class Library:
    """All checklists, by menu key order."""

    checklists: tuple[Checklist, ...]

    def by_id(self, checklist_id: str) -> Checklist:
        """The checklist with this id."""
        for checklist in self.checklists:
            if checklist.id == checklist_id:
                return checklist
        raise KeyError(checklist_id)

    def by_key(self, key: int) -> Checklist | None:
        """The checklist on this menu key, if any."""
        for checklist in self.checklists:
            if checklist.key == key:
                return checklist
        return None
