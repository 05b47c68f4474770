"""The facts of a decision as one line of text, for the on-call whisper and its SMS."""

from __future__ import annotations

from flows.line import Line
from flows.model import FACTS, UNKNOWN, Answer, same_value
from flows.routing import Decision

# The groups in the order they are said: what was answered yes, no, and "vet inte".
GROUPS: tuple[tuple[Answer, str], ...] = ((True, "fact_yes"), (False, "fact_no"), (UNKNOWN, "fact_unknown"))


def facts_text(line: Line, decision: Decision, lang: str) -> str:
    """"Ja: flera berörs. Nej: nätet fungerar. Vet ej: kan logga in": the answers grouped, so they fit one SMS.

    A fact answered "vet inte" is named as unknown, never left out or counted as no.
    """
    # In the order the steps asked them (the stored decision's keys are sorted).
    order = [s.fact for s in line.library.by_id(decision.checklist_id).steps if s.fact]
    names = sorted(decision.facts, key=lambda name: order.index(name) if name in order else len(order))
    groups = []
    for answer, template in GROUPS:
        labels = [FACTS[name][lang] for name in names if same_value(decision.facts[name], answer)]
        if labels:
            groups.append(line.messages.get("whisper", template, lang, text=", ".join(labels)))
    return ". ".join(groups)


def manager_sms(line: Line, decision: Decision, caller: str | None) -> str:
    """The SMS to the first on-call number when nobody accepted (caller None: a hidden number)."""
    lang = line.settings.default_language
    shown = caller or line.messages.get("whisper", "unknown_caller", lang)
    return line.messages.get("whisper", "sms", lang, caller=shown,
                             system=line.library.by_id(decision.checklist_id).name[lang],
                             facts=facts_text(line, decision, lang) or "-")
