"""The facts of a decision: plain statements for the on-call whisper, grouped labels for the manager's SMS.

The manager decides in seconds: the whisper says the system and who has the fault first, then one
short statement a fact ("Ingen kommer ut på internet."), each said as it is; never "Nej: driftstörning",
which the ear has to turn around. No phone number: the call shows it. The SMS, read not heard, keeps
the grouped labels ("Ja: flera berörs. Nej: nätet fungerar"): every checklist's facts fit one SMS.
"""

from __future__ import annotations

from datetime import datetime

from flows.line import Line
from flows.model import FACTS, UNKNOWN, Answer, is_unknown, same_value
from flows.phone import written_number
from flows.routing import Decision

# One statement per fact and value, a main clause each. A fact answered "vet inte" is said as unknown,
# never left out or counted as no. tests/test_whisper.py checks every fact of flows.model.FACTS is here.
STATEMENTS: dict[str, dict[Answer, dict[str, str]]] = {
    "network_ok": {
        True: {"sv": "Nätet fungerar.", "en": "The network works."},
        False: {"sv": "Nätet fungerar inte.", "en": "The network is down."},
        UNKNOWN: {"sv": "Okänt om nätet fungerar.", "en": "Unknown whether the network works."},
    },
    "login_ok": {
        True: {"sv": "Inloggningen fungerar.", "en": "Login works."},
        False: {"sv": "Inloggningen fungerar inte.", "en": "Login fails."},
        UNKNOWN: {"sv": "Okänt om inloggningen fungerar.", "en": "Unknown whether login works."},
    },
    "supplier_outage": {
        True: {"sv": "Leverantören har en störning.", "en": "The supplier has an outage."},
        False: {"sv": "Ingen störning hos leverantören.", "en": "No outage at the supplier."},
        UNKNOWN: {"sv": "Okänt om leverantören har störning.", "en": "Supplier outage unknown."},
    },
    "nobody_can_browse": {
        True: {"sv": "Ingen kommer ut på internet.", "en": "Nobody can reach the internet."},
        False: {"sv": "Några kommer ut på internet.", "en": "Some can reach the internet."},
        UNKNOWN: {"sv": "Okänt om andra når internet.", "en": "Others online: unknown."},
    },
    "key_works": {
        True: {"sv": "Nyckeln fungerar.", "en": "The key works."},
        False: {"sv": "Nyckeln fungerar inte, inte heller med säkerhetsdosan.",
                "en": "The key does not work, not even with the security box."},
        UNKNOWN: {"sv": "Okänt om nyckeln fungerar.", "en": "Unknown whether the key works."},
    },
}
# "Several users" goes into the first sentence: "Viva fungerar inte för flera."
WHO = "multiple_users"
LEAD: dict[Answer | None, str] = {True: "lead_several", False: "lead_one", UNKNOWN: "lead_unknown", None: "lead"}


def statements(line: Line, decision: Decision, lang: str) -> list[str]:
    """'Viva fungerar inte för flera.', then one statement a fact, in the steps' order.

    The whisper says them after "Felsökningslinjen.".
    """
    checklist = line.library.by_id(decision.checklist_id)
    who = decision.facts.get(WHO)
    lead = LEAD[UNKNOWN if is_unknown(who) else who]
    # No "every step is done": the line puts nobody through before that, and the words are the manager's time.
    texts = [line.messages.get("whisper", lead, lang, system=checklist.name[lang])]
    order = [step.fact for step in checklist.steps if step.fact]
    names = sorted((name for name in decision.facts if name != WHO),
                   key=lambda name: order.index(name) if name in order else len(order))
    for name in names:
        value = decision.facts[name]
        texts.append(STATEMENTS[name][UNKNOWN if is_unknown(value) else bool(value)][lang])
    return texts


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


def manager_sms(line: Line, decision: Decision, caller: str | None, at: datetime) -> str:
    """The SMS to the first on-call number when nobody accepted: the time, the system, every step done,
    the facts, and the number to call back written as people write it (caller None: a hidden number)."""
    return manager_sms_with(line, decision, caller_words(line, caller), at)


def caller_words(line: Line, caller: str | None) -> str:
    """The manager's SMS on whom to call back: the number as people write it, or that it was hidden."""
    lang = line.settings.default_language
    return (line.messages.get("whisper", "sms_call_back", lang, number=written_number(caller)) if caller
            else line.messages.get("whisper", "sms_hidden", lang))


def manager_sms_with(line: Line, decision: Decision, back: str, at: datetime) -> str:
    """manager_sms with the caller's words (caller_words) already written."""
    lang = line.settings.default_language
    facts = facts_text(line, decision, lang)
    return line.messages.get("whisper", "sms", lang, time=f"{line.calendar.local(at):%H.%M}",
                             system=line.library.by_id(decision.checklist_id).name[lang],
                             facts=f"{facts}. " if facts else "", number=back)


def group_sms(line: Line, checklist_id: str, facts: dict[str, Answer], caller: str | None, at: datetime) -> str:
    """A step's message to a contact (`notify:`): the time, the system, the facts so far as the whisper says
    them ("Nyckeln fungerar inte, inte heller med säkerhetsdosan."), who reported it."""
    lang = line.settings.default_language
    order = [step.fact for step in line.library.by_id(checklist_id).steps if step.fact]
    said = " ".join(STATEMENTS[name][UNKNOWN if is_unknown(facts[name]) else bool(facts[name])][lang]
                    for name in order if name in facts)
    who = written_number(caller) if caller else line.messages.get("whisper", "unknown_caller", lang)
    return line.messages.get("whisper", "group_sms", lang, time=f"{line.calendar.local(at):%H.%M}",
                             system=line.library.by_id(checklist_id).name[lang], number=who,
                             facts=f" {said}" if said else "")
