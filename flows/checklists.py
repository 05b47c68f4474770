"""Load and validate the checklist files in `checklists/`, one per IT system."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flows.model import FACTS, NEEDS, UNKNOWN, Action, Answer, Checklist, Hours, Library, Outcome, Rule, Step
from flows.names import normalise
from flows.yamlfile import DataError, Problems, display_path, join, read_yaml

MAX_STEPS = 12  # a caller listens to every step; more than this is a sign of a bad file
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
TOP_KEYS = ("id", "key", "name", "description", "steps", "rules")
TOP_OPTIONAL = ("aliases",)
STEP_KEYS = ("id", "say", "ask")
STEP_OPTIONAL = ("needs", "yes", "no", "unknown", "fact", "yes_means", "solved_say", "notify")
RULE_KEYS = ("outcome",)
RULE_OPTIONAL = ("hours", "when", "contact", "supplier", "say", "why")
# Outcomes a rule may choose; `resolved` comes from a step answered "solved", `deflected`
# from a caller who ends at an outage announcement.
RULE_OUTCOMES = tuple(o for o in Outcome if o not in (Outcome.RESOLVED, Outcome.DEFLECTED, Outcome.INCIDENT_KNOWN))


def load_library(directory: Path) -> Library:
    """Load every `*.yaml` in a folder; raise DataError listing every problem found."""
    files = sorted(directory.glob("*.yaml")) if directory.is_dir() else []
    if not files:
        raise DataError([f"{display_path(directory)}: no checklist files (*.yaml) found"])
    problems: list[str] = []
    checklists: list[Checklist] = []
    for path in files:
        try:
            checklists.append(load_checklist(path))
        except DataError as exc:
            problems.extend(exc.problems)
    seen: dict[int, str] = {}
    seen_ids: dict[str, str] = {}
    for checklist in checklists:
        if checklist.key in seen:
            problems.append(
                f"{checklist.source}: key: menu key {checklist.key} is already used by {seen[checklist.key]}"
            )
        seen.setdefault(checklist.key, checklist.source)
        if checklist.id in seen_ids:
            problems.append(f"{checklist.source}: id: '{checklist.id}' is already used by {seen_ids[checklist.id]}")
        seen_ids.setdefault(checklist.id, checklist.source)
    problems.extend(alias_clashes(checklists))
    if problems:
        raise DataError(problems)
    return Library(tuple(sorted(checklists, key=lambda c: c.key)))


def alias_clashes(checklists: list[Checklist]) -> list[str]:
    """An alias that is another system's name, id or alias would start the wrong checklist: each is named."""
    owner: dict[str, Checklist] = {}
    for checklist in checklists:
        for name in (checklist.id, *checklist.name.values()):
            owner.setdefault(normalise(name), checklist)
    problems = []
    for checklist in checklists:
        for index, alias in enumerate(checklist.aliases):
            other = owner.setdefault(normalise(alias), checklist)
            if other is not checklist:
                problems.append(f"{checklist.source}: aliases[{index}]: '{alias}' already names "
                                f"{other.name['sv']} ({other.source})")
    return problems


def load_checklist(path: Path) -> Checklist:
    """Load and validate one checklist file."""
    source = display_path(path)
    return parse_checklist(read_yaml(path), source, expected_id=path.stem)


def parse_checklist(data: Any, source: str, expected_id: str | None = None) -> Checklist:
    """Validate one checklist's parsed YAML; every problem is reported with its path."""
    problems = Problems(source)
    top = problems.mapping(data, "")
    if top is None:
        problems.raise_if_any()
        raise AssertionError("unreachable")
    problems.keys(top, "", TOP_KEYS, TOP_OPTIONAL)
    checklist_id = top.get("id")
    if not isinstance(checklist_id, str) or not ID_PATTERN.match(checklist_id):
        problems.add("id", "must be a lower-case identifier such as 'viva_omsorg'")
    elif expected_id is not None and checklist_id != expected_id:
        problems.add("id", f"'{checklist_id}' does not match the file name '{expected_id}.yaml'")
    key = top.get("key")
    if isinstance(key, bool) or not isinstance(key, int) or not 1 <= key <= 9:
        problems.add("key", "must be a menu key from 1 to 9")
    name = problems.text(top.get("name"), "name") if "name" in top else {}
    description = problems.text(top.get("description"), "description") if "description" in top else {}
    aliases = _aliases(top.get("aliases", []), problems)
    steps = _steps(top.get("steps"), problems) if "steps" in top else ()
    rules = _rules(top.get("rules"), problems, steps) if "rules" in top else ()
    problems.raise_if_any()
    return Checklist(
        id=str(checklist_id), key=int(key), name=name, description=description,  # type: ignore[arg-type]
        steps=steps, rules=rules, source=source, aliases=aliases,
    )


def _aliases(value: Any, problems: Problems) -> tuple[str, ...]:
    """Other words for the system, as texters write them. That none is a reply word ("ja", "ring") is the
    channels' check (ivr/channels/sms/check.py): what a reply means is theirs."""
    if not isinstance(value, list):
        problems.add("aliases", "must be a list of words, e.g. [larm, trygghetslarmet]")
        return ()
    aliases: list[str] = []
    for index, alias in enumerate(value):
        path = f"aliases[{index}]"
        if not isinstance(alias, str) or not normalise(alias):
            problems.add(path, "must be a word with letters or digits")
        elif normalise(alias).isdigit():
            problems.add(path, f"'{alias}' is a number; texters choose systems by number from the menu")
        elif normalise(alias) in {normalise(a) for a in aliases}:
            problems.add(path, f"'{alias}' is listed twice")
        else:
            aliases.append(" ".join(alias.split()))
    return tuple(aliases)


def _steps(value: Any, problems: Problems) -> tuple[Step, ...]:
    if not isinstance(value, list) or not value:
        problems.add("steps", "must be a non-empty list of steps")
        return ()
    if len(value) > MAX_STEPS:
        problems.add("steps", f"has {len(value)} steps; at most {MAX_STEPS} are allowed")
    ids = [item.get("id") for item in value if isinstance(item, Mapping)]
    steps: list[Step] = []
    for index, item in enumerate(value):
        path = f"steps[{index}]"
        data = problems.mapping(item, path)
        if data is None:
            continue
        problems.keys(data, path, STEP_KEYS, STEP_OPTIONAL)
        step_id = data.get("id")
        if not isinstance(step_id, str) or not ID_PATTERN.match(step_id):
            problems.add(join(path, "id"), "must be a lower-case identifier such as 'network'")
            step_id = f"step{index}"
        elif ids.count(step_id) > 1:
            problems.add(join(path, "id"), f"'{step_id}' is used by more than one step")
        on_yes, goto_yes = _action(data.get("yes", "next"), join(path, "yes"), problems, ids, index)
        on_no, goto_no = _action(data.get("no", "next"), join(path, "no"), problems, ids, index)
        on_unknown, goto_unknown = _unknown_action(data, path, problems, ids, index)
        fact = data.get("fact")
        if fact is not None and fact not in FACTS:
            problems.add(join(path, "fact"), f"unknown fact '{fact}' (known: {', '.join(FACTS)})")
        if Action.STOP in (on_yes, on_no, on_unknown) and fact is None:
            problems.add(path, "a step that stops the checklist must record a fact to route on")
        yes_means = data.get("yes_means", True)
        if not isinstance(yes_means, bool):
            problems.add(join(path, "yes_means"), "must be true or false")
            yes_means = True
        elif "yes_means" in data and fact is None:
            problems.add(join(path, "yes_means"), "only means something together with 'fact'")
        solved_say = problems.text(data["solved_say"], join(path, "solved_say")) if "solved_say" in data else None
        if solved_say is not None and Action.SOLVED not in (on_yes, on_no):
            problems.add(join(path, "solved_say"), "is never said: no answer to this step is 'solved'")
        notify, notify_on = _notify(data, path, problems, on_unknown)
        steps.append(
            Step(
                id=step_id, needs=_needs(data.get("needs", []), join(path, "needs"), problems),
                say=problems.text(data.get("say"), join(path, "say")),
                ask=problems.text(data.get("ask"), join(path, "ask")),
                on_yes=on_yes, on_no=on_no, goto_yes=goto_yes, goto_no=goto_no,
                fact=fact if isinstance(fact, str) else None, yes_means=yes_means, solved_say=solved_say,
                on_unknown=on_unknown, goto_unknown=goto_unknown, notify=notify, notify_on=notify_on,
            )
        )
        raw_needs = data.get("needs", [])
        if isinstance(raw_needs, list) and all(name in NEEDS for name in raw_needs):  # else its own error stands
            _phone_marked(steps[-1], path, problems)
    return tuple(steps)


# Instructions that can only be done on the phone the carer may be calling from: such a step must be marked
# `needs: [phone]`, or the line would offer key 5 and ask its question before she can answer it.
PHONE_WORDS = re.compile(r"starta om telefonen|appar(na)? som är öppna|öppna appar"
                         r"|(logga|loggar) (in|ut).*(app|e-care)", re.IGNORECASE)


def _phone_marked(step: Step, path: str, problems: Problems) -> None:
    """Refuse a step whose Swedish instruction is done on the caller's phone without the phone marking."""
    said = step.say.get("sv", "")
    if "phone" not in step.needs and PHONE_WORDS.search(said):
        problems.add(join(path, "needs"), f"'{said}' is done on the caller's phone: mark it needs: [phone]")


def _notify(data: Mapping[str, Any], path: str, problems: Problems, on_unknown: Action | None
            ) -> tuple[str | None, bool]:
    """`notify: {to: <contact id>, answer: yes|no}`: the answer on which the line sends the contact a message.

    The contact is checked against config/line.yaml when the line loads (flows/line.py).
    """
    if "notify" not in data:
        return None, False
    where = join(path, "notify")
    value = problems.mapping(data["notify"], where)
    if value is None:
        return None, False
    problems.keys(value, where, ("to", "answer"), ())
    to, answer = value.get("to"), value.get("answer")
    if not isinstance(to, str) or not ID_PATTERN.match(to):
        problems.add(join(where, "to"), "must be a contact id from config/line.yaml, such as 'valfardsteknik'")
        to = None
    answer = {"yes": True, "no": False, True: True, False: False}.get(answer)  # the file's yes/no are words
    if answer is None:
        problems.add(join(where, "answer"), "must be yes or no: the answer on which the line sends the message")
        answer = False
    if on_unknown is not None:
        # "Vet inte" would leave the point neither done by her nor by the line.
        problems.add(where, "a step that sends a message takes only yes and no (remove 'unknown:')")
    return to, answer


def _needs(value: Any, path: str, problems: Problems) -> frozenset[str]:
    """What a step needs besides the call: a list of names from NEEDS, each once."""
    if not isinstance(value, list):
        problems.add(path, f"must be a list such as [phone] (known: {', '.join(NEEDS)})")
        return frozenset()
    needs: set[str] = set()
    for index, name in enumerate(value):
        if not isinstance(name, str) or name not in NEEDS:
            problems.add(f"{path}[{index}]", f"unknown need '{name}' (known: {', '.join(NEEDS)})")
        elif name in needs:
            problems.add(f"{path}[{index}]", f"'{name}' is listed twice")
        else:
            needs.add(str(name))
    return frozenset(needs)


def _action(value: Any, path: str, problems: Problems, ids: list[Any], index: int) -> tuple[Action, str | None]:
    if isinstance(value, Mapping) and set(value) == {"goto"}:
        target = value["goto"]
        if target not in ids:
            problems.add(path, f"goto: step '{target}' does not exist")
        elif ids.index(target) <= index:
            problems.add(path, f"goto: step '{target}' is not after this step (only forward jumps)")
        return Action.GOTO, str(target)
    if isinstance(value, str) and value in (Action.NEXT, Action.SOLVED, Action.STOP):
        return Action(value), None
    problems.add(path, "must be next, solved, stop or {goto: <step id>}")
    return Action.NEXT, None


def _unknown_action(
    data: Mapping[str, Any], path: str, problems: Problems, ids: list[Any], index: int
) -> tuple[Action | None, str | None]:
    """A step's `unknown:` ("vet inte"): absent means the step takes only yes and no."""
    if "unknown" not in data:
        return None, None
    action, target = _action(data["unknown"], join(path, "unknown"), problems, ids, index)
    if action is Action.SOLVED:
        # Not knowing never fixes anything: "solved" would end the call as resolved on a shrug.
        problems.add(join(path, "unknown"), "must be next, stop or {goto: <step id>}: 'vet inte' cannot solve")
    return action, target


def _rules(value: Any, problems: Problems, steps: tuple[Step, ...]) -> tuple[Rule, ...]:
    if not isinstance(value, list) or not value:
        problems.add("rules", "must be a non-empty list of routing rules")
        return ()
    asked = {step.fact for step in steps if step.fact}
    may_be_unknown = {step.fact for step in steps if step.fact and step.allows_unknown}
    rules: list[Rule] = []
    for index, item in enumerate(value):
        path = f"rules[{index}]"
        data = problems.mapping(item, path)
        if data is None:
            continue
        problems.keys(data, path, RULE_KEYS, RULE_OPTIONAL)
        outcome = data.get("outcome")
        if outcome not in RULE_OUTCOMES:
            problems.add(join(path, "outcome"), f"must be one of: {', '.join(RULE_OUTCOMES)}")
            continue
        hours = data.get("hours", "any")
        if hours not in tuple(Hours):
            problems.add(join(path, "hours"), f"must be one of: {', '.join(Hours)}")
            continue
        when = _when(data.get("when", {}), join(path, "when"), problems, asked, may_be_unknown)
        contact, supplier = data.get("contact"), data.get("supplier")
        if (outcome == Outcome.LOCAL_CONTACT) != (contact is not None):
            problems.add(path, "'contact' is required for local_contact and only for it")
        if (outcome == Outcome.SUPPLIER_OUTAGE) != (supplier is not None):
            problems.add(path, "'supplier' is required for supplier_outage and only for it")
        if outcome == Outcome.ON_CALL_MANAGER and Hours(hours) is not Hours.AFTER:
            problems.add(join(path, "hours"), "on_call_manager rules must say 'hours: after_hours'")
        say = problems.text(data["say"], join(path, "say")) if "say" in data else None
        why = problems.text(data["why"], join(path, "why")) if "why" in data else None
        rules.append(Rule(Outcome(outcome), Hours(hours), when, contact, supplier, say, why))
    for hours in (Hours.OFFICE, Hours.AFTER):
        applicable = [r for r in rules if r.hours in (Hours.ANY, hours)]
        if not applicable or applicable[-1].when or applicable[-1].outcome == Outcome.ON_CALL_MANAGER:
            problems.add(
                "rules",
                f"the last rule that applies {'in office hours' if hours is Hours.OFFICE else 'after hours'} "
                "must have no 'when' and must not be on_call_manager (it is the default)",
            )
    return tuple(rules)


def _when(
    value: Any, path: str, problems: Problems, asked: set[str], may_be_unknown: set[str]
) -> dict[str, Answer]:
    data = problems.mapping(value, path)
    if data is None:
        return {}
    when: dict[str, Answer] = {}
    for name, wanted in data.items():
        if name not in FACTS:
            problems.add(join(path, str(name)), f"unknown fact '{name}' (known: {', '.join(FACTS)})")
        elif name not in asked:
            problems.add(join(path, str(name)), f"fact '{name}' is never asked by any step")
        elif wanted == UNKNOWN:
            if name in may_be_unknown:
                when[name] = UNKNOWN
            else:
                problems.add(join(path, str(name)), f"fact '{name}' is never unknown: no step asking it has "
                                                    "'unknown:' (vet inte)")
        elif not isinstance(wanted, bool):
            problems.add(join(path, str(name)), "must be true, false or unknown")
        else:
            when[name] = wanted
    return when
