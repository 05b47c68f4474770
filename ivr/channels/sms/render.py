"""Every text the SMS line sends, built from the checklists and config/messages.yaml."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import assert_never

from flows.endings import offers_it_support
from flows.engine import Expect, State, Turn
from flows.facts import caller_words, group_sms, manager_sms_with
from flows.line import Line
from flows.model import UNKNOWN, Answer, Checklist, Outcome
from flows.phone import national
from flows.receipt import DIALLED, TICKETED, it_support_written, receipt_text
from flows.refcode import ALPHABET, LENGTH
from flows.routing import Blocked, Decision
from flows.why import reason
from ivr.channels.sms.cost import fits_one_segment
from ivr.conversation.system_names import MAX_CANDIDATES


@dataclass(frozen=True)
class SmsRenderer:
    """Texts in one language."""

    line: Line
    lang: str

    def text(self, name: str, /, **values: object) -> str:
        """An SMS message in this language."""
        return self.line.messages.get("sms", name, self.lang, **values)

    def menu(self) -> str:
        """"Svara med siffran för systemet: 1 Viva, 2 Viva omsorg, ..."."""
        return self.text("menu", items=self.items(self.line.library.checklists))

    def items(self, checklists: tuple[Checklist, ...]) -> str:
        """"1 Viva, 2 Viva omsorg": systems with their menu numbers."""
        return ", ".join(f"{c.key} {c.name[self.lang]}" for c in checklists)

    def step(self, turn: Turn) -> str:
        """One step as one message: system, counter, instruction, question, reply hint (VET INTE where allowed)."""
        assert turn.step is not None and turn.checklist is not None
        step, total = turn.position
        text = f"{turn.step.say[self.lang]} {turn.step.ask[self.lang]}"
        template = "step_unknown" if turn.step.allows_unknown else "step"
        return self.text(template, system=turn.checklist.name[self.lang], step=step, total=total, text=text)

    def pin_retry(self) -> str:
        """A wrong staff code: "Fel kod." and the question again, in one SMS."""
        return self.text("pin_wrong") + " " + self.text("pin_prompt")

    def it_support_number(self) -> str:
        """IT support's number as staff dial it: 0141-22 50 47."""
        return self._it_support

    @functools.cached_property
    def _it_support(self) -> str:
        # Written once a renderer: `ivr check` asked for it ~580 times at each start, each a phonenumbers parse.
        return it_support_written(self.line)

    def outcome(self, decision: Decision, moment: datetime, on_call_by: str, declinable: bool = False) -> list[str]:
        """The closing message(s) for a decision; each is one SMS. No dead ends: an office-hours ending with
        no number to call gets IT support's (flows/endings.py). declinable: the line filed a ticket she may
        decline (INGET ÄRENDE), said right after "Jag har skapat ett ärende åt dig."."""
        pieces = self.pieces(decision, moment, on_call_by, declinable)
        if offers_it_support(self.line, decision, moment):
            offer = "it_support_offer_contact" if decision.outcome is Outcome.LOCAL_CONTACT else "it_support_offer"
            pieces.append(self.text(offer, it_support=self.it_support_number()))
        return pack(pieces)

    def pieces(self, decision: Decision, moment: datetime, on_call_by: str, declinable: bool = False) -> list[str]:
        """The texts of an outcome before packing: why, the system's words, what to do; each fits one SMS."""
        settings = self.line.settings
        filed = self.text("ticket_filed") if decision.ticket else None  # the line filed her ticket
        decline = self.text("ticket_decline_offer") if decision.ticket and declinable else None
        extra = [text for text in (reason(self.line.messages, decision, "sms", self.lang),
                                   decision.say[self.lang] if decision.say else None, filed, decline) if text]
        ticket = "_ticket" if decision.ticket else ""  # no "create a ticket" when the line has created it
        portal = settings.it_portal_url
        # Exhaustive: a new outcome must get its own text (mypy flags the missing case), not another's.
        match decision.outcome:
            case Outcome.RESOLVED:
                return extra + [self.text("resolved")]
            case Outcome.DEFLECTED:
                return extra + [self.text("deflected")]
            case Outcome.INCIDENT_KNOWN:
                return extra + [self.text("incident_known")]
            case Outcome.IT_SUPPORT:
                return extra + [self.text(f"it_support{ticket}", it_support=self.it_support_number(), portal=portal)]
            case Outcome.IT_PORTAL:
                return extra + [self.text(f"it_portal{ticket}", portal=portal)]
            case Outcome.LOCAL_CONTACT:
                contact = settings.contacts[str(decision.contact)]
                if contact.number:
                    return extra + [self.text("local_contact_number", contact=contact.name[self.lang],
                                              contact_number=national(contact.number))]
                return extra + [self.text("local_contact", contact=contact.name[self.lang])]
            case Outcome.SUPPLIER_OUTAGE:
                supplier = settings.suppliers[str(decision.supplier)]
                return extra + [self.text("supplier_outage", supplier=supplier.name[self.lang])]
            case Outcome.ON_CALL_MANAGER:
                if on_call_by == "text_number":
                    number = self.line.roster.chain_at(moment)[0].number
                    return extra + [self.text("on_call_number", number=national(number))]
                return extra + [self.text("on_call_offer")]
            case Outcome.WAIT_FOR_OFFICE_HOURS:
                opening = self.line.calendar.describe_next_opening(moment, self.lang)
                return extra + [self.text(f"wait_for_office_hours{ticket}", opening=opening,
                                          it_support=self.it_support_number(), portal=portal)]
            case _:
                assert_never(decision.outcome)


def pack(texts: list[str]) -> list[str]:
    """Join consecutive texts while together they still fit one SMS: a reason and what to do, one message."""
    packed: list[str] = []
    for text in texts:
        if packed and fits_one_segment(f"{packed[-1]} {text}"):
            packed[-1] = f"{packed[-1]} {text}"
        else:
            packed.append(text)
    return packed


# The longest values a placeholder can take where the configuration does not bound them.
LONGEST_CALLER = "+" + "9" * 15  # E.164 allows 15 digits; the manager's SMS shows the number as Twilio gives it
LONGEST_COUNT = 999  # reporters in one incident window: more than the staff could call in half an hour
LONGEST_TIME = "23.59"
LONGEST_MOMENT = datetime(2026, 1, 1, 23, 59, tzinfo=UTC)  # any moment's time is five characters, "23.59"
# Texts rendered with a step's or the menu's own values (checked as built, in checklist_texts and below);
# a notice carries IT's own text, checked when posted (notice_room).
BUILT_TEXTS = ("menu", "step", "step_unknown", "notice", "notice_all", "answer_hint", "bad_answer",
               "answer_hint_unknown", "bad_answer_unknown", "which_system")


def every_text(line: Line, moment: datetime, timeless: bool = True) -> Iterator[tuple[str, str]]:
    """(where, text) for every SMS the line can send, for the cost check and `ivr check`.

    timeless=False leaves out the texts that take no moment (the menu, the steps, the manager's SMS at
    LONGEST_MOMENT): the same at every moment, a second moment of the check need not build them again.
    """
    for lang in line.settings.languages:
        sms = SmsRenderer(line, lang)
        if timeless:
            yield f"{lang}: menu", sms.menu()
        yield from sms_section_texts(sms, moment)
        for checklist in line.library.checklists:
            yield from checklist_texts(sms, checklist, moment, timeless)
            if timeless:
                yield from manager_sms_texts(line, checklist, lang)
        if timeless:
            yield f"{lang}: config/messages.yaml whisper.incident_sms", line.messages.get(
                "whisper", "incident_sms", lang, count=LONGEST_COUNT, system=longest_system(line, lang),
                time=LONGEST_TIME)
    yield from longest_receipts(line, moment)


def longest_system(line: Line, lang: str) -> str:
    """The longest system name in a language."""
    return max((c.name[lang] for c in line.library.checklists), key=len)


def sms_section_texts(sms: SmsRenderer, moment: datetime) -> Iterator[tuple[str, str]]:
    """The sms section of config/messages.yaml, placeholders filled with the longest values they can take."""
    line, lang = sms.line, sms.lang
    numbers = [person.number for person in line.roster.people.values()] + [
        contact.number for contact in line.settings.contacts.values() if contact.number
    ]
    values = {
        "it_support": sms.it_support_number(), "portal": line.settings.it_portal_url,
        "contact": max((c.name[lang] for c in line.settings.contacts.values()), key=len),
        "contact_number": max((national(n) for n in numbers), key=len),
        "number": max((national(n) for n in numbers), key=len),
        "supplier": max((s.name[lang] for s in line.settings.suppliers.values()), key=len),
        "opening": line.calendar.budget_opening(moment, lang),
        "system": longest_system(line, lang),
        "time": LONGEST_TIME,
        "count": LONGEST_COUNT,
        # The manager's "which system?": every system with a known fault at once.
        "items": ", ".join(checklist.name[lang] for checklist in line.library.checklists),
    }
    for name in line.messages.texts["sms"]:
        if name not in BUILT_TEXTS:
            yield f"{lang}: config/messages.yaml sms.{name}", sms.text(name, **values)
    yield f"{lang}: config/messages.yaml sms.pin_wrong + sms.pin_prompt", sms.pin_retry()
    # "Which system do you mean?" names at most MAX_CANDIDATES systems: the longest names are the worst case.
    longest = tuple(sorted(line.library.checklists, key=lambda c: -len(c.name[lang]))[:MAX_CANDIDATES])
    yield f"{lang}: config/messages.yaml sms.which_system", sms.text("which_system", items=sms.items(longest))


def checklist_texts(sms: SmsRenderer, checklist: Checklist, moment: datetime,
                    timeless: bool = True) -> Iterator[tuple[str, str]]:
    """Each step of a checklist (timeless: see every_text), and each outcome its steps and rules can end in."""
    lang = sms.lang
    for index, step in enumerate(checklist.steps):
        if timeless:
            turn = Turn(State(lang, checklist.id, index), Expect.YES_NO, checklist, step)
            yield f"{lang}: {checklist.source} steps[{index}]", sms.step(turn)
            hints = (("answer_hint_unknown", "bad_answer_unknown") if step.allows_unknown
                     else ("answer_hint", "bad_answer"))
            for hint in hints:
                # The question again, after "ok" or a text not understood: reported as the step's (its `ask`),
                # so a step too long for one SMS is one problem, the longest of its texts.
                yield f"{lang}: {checklist.source} steps[{index}]", sms.text(hint, text=step.ask[lang])
        if step.solved_say:
            decision = Decision(Outcome.RESOLVED, checklist.id, {}, say=step.solved_say)
            for text in sms.outcome(decision, moment, "callback"):
                yield f"{lang}: {checklist.source} steps[{index}].solved_say", text
    for index, rule in enumerate(checklist.rules):
        # Unpacked: each text must fit one SMS on its own, whatever it is packed with.
        decisions = [Decision(rule.outcome, checklist.id, {}, rule.contact, rule.supplier, rule.say, why=rule.why)]
        if rule.outcome is Outcome.WAIT_FOR_OFFICE_HOURS:
            decisions += [Decision(rule.outcome, checklist.id, {}, say=rule.say, blocked=blocked)
                          for blocked in Blocked]
        for decision in decisions:
            # How the SMS line reaches Chef i beredskap changes only that outcome's texts: the others once.
            modes = ("callback", "text_number") if decision.outcome is Outcome.ON_CALL_MANAGER else ("callback",)
            for mode in modes:
                for text in sms.pieces(decision, moment, mode):
                    yield f"{lang}: {checklist.source} rules[{index}]", text


def manager_sms_texts(line: Line, checklist: Checklist, lang: str) -> Iterator[tuple[str, str]]:
    """whisper.sms as the voice line sends it when nobody accepts: every caller form, each shape of its facts."""
    if lang != line.settings.default_language:
        return  # the manager's SMS is always in the line's first language
    # The caller's words once for all fact combinations: each was a phonenumbers parse, ~2,500 at every start.
    callers = (caller_words(line, LONGEST_CALLER), caller_words(line, None))
    for facts in fact_shapes(checklist):
        decision = Decision(Outcome.ON_CALL_MANAGER, checklist.id, facts)
        for caller in callers:
            yield (f"{lang}: config/messages.yaml whisper.sms ({checklist.source})",
                   manager_sms_with(line, decision, caller, LONGEST_MOMENT))
    if any(step.notify for step in checklist.steps):  # a step's message for the caller (`notify:`), by answer
        for facts in fact_combinations(checklist):
            yield (f"{lang}: config/messages.yaml whisper.group_sms ({checklist.source})",
                   group_sms(line, checklist.id, facts, LONGEST_CALLER, LONGEST_MOMENT))


def fact_answers(checklist: Checklist) -> tuple[list[str], list[tuple[Answer, ...]]]:
    """The checklist's facts, sorted, and the answers each can hold: yes, no, and unknown where a step asking it
    takes "vet inte"."""
    names = sorted({step.fact for step in checklist.steps if step.fact})
    may_be_unknown = {step.fact for step in checklist.steps if step.fact and step.allows_unknown}
    return names, [(True, False, UNKNOWN) if name in may_be_unknown else (True, False) for name in names]


def fact_combinations(checklist: Checklist) -> Iterator[dict[str, Answer]]:
    """Every set of facts a decision on the checklist can hold: each fact absent or one of its answers."""
    names, answers = fact_answers(checklist)
    choices: list[tuple[Answer | None, ...]] = [(None, *held) for held in answers]
    for values in itertools.product(*choices):
        yield {name: value for name, value in zip(names, values, strict=True) if value is not None}


def fact_shapes(checklist: Checklist) -> Iterator[dict[str, Answer]]:
    """Facts for the manager's SMS length check: every fact present, one set for each set of answer groups
    ("Ja: ...", "Nej: ...", "Okänt: ...") the checklist can fill.

    The SMS names each fact by its label whatever the answer (flows/facts.py, facts_text), grouped by answer.
    A fact left out only shortens it (", label" or a group less), and with every fact present the length and
    the characters depend only on which groups are filled: these sets hold the longest text and every
    character of all fact_combinations (tests/test_sms_segments.py compares them). Was every combination,
    ~2,500 texts and ~0.07 s at every start (the shipped files).
    """
    names, answers = fact_answers(checklist)
    shapes: set[frozenset[Answer]] = set()
    for values in itertools.product(*answers):
        shape = frozenset(values)
        if shape not in shapes:
            shapes.add(shape)
            yield dict(zip(names, values, strict=True))


# The widest code for the receipts' length check: every symbol counts one septet, so any code will do.
SAMPLE_CODE = ALPHABET[-1] * LENGTH


def longest_receipts(line: Line, moment: datetime) -> Iterator[tuple[str, str]]:
    """(where, text) for every receipt each checklist can end in, with the longest opening and code text."""
    opening = {lang: line.calendar.budget_opening(moment, lang) for lang in line.settings.languages}
    # Written once: each receipt wrote it again, ~1,100 phonenumbers parses at every start (`ivr check`).
    it_support = it_support_written(line)
    for lang in line.settings.languages:
        for checklist in line.library.checklists:
            decisions = [Decision(Outcome.RESOLVED, checklist.id, {}), Decision(Outcome.DEFLECTED, checklist.id, {})]
            decisions += [Decision(rule.outcome, checklist.id, {}, rule.contact, rule.supplier)
                          for rule in checklist.rules]
            # ... and with the line's ticket filed, for the outcomes that file one (ivr/tickets/filing.py).
            decisions += [replace(decision, ticket=True) for decision in decisions if decision.outcome in TICKETED]
            for decision in decisions:
                for result in DIALLED.get(decision.outcome, (None,)):
                    name = f"{decision.outcome.value}_{result}" if result else decision.outcome.value
                    for saved in (True, False):
                        text = receipt_text(line, decision, lang, SAMPLE_CODE, moment, saved, opening[lang], result,
                                            it_support)
                        ticketed = "_ticket" if decision.ticket else ""
                        yield f"{lang}: config/messages.yaml receipt.{name}{ticketed} ({checklist.source})", text
