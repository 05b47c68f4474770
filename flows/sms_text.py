"""Every text the SMS line sends, built from the checklists and config/messages.yaml."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from flows.engine import Expect, State, Turn
from flows.line import Line
from flows.model import Outcome
from flows.phone import national
from flows.routing import Decision


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
        items = ", ".join(f"{c.key} {c.name[self.lang]}" for c in self.line.library.checklists)
        return self.text("menu", items=items)

    def step(self, turn: Turn) -> str:
        """One step as one message: system, counter, instruction, question, reply hint."""
        assert turn.step is not None and turn.checklist is not None
        step, total = turn.position
        text = f"{turn.step.say[self.lang]} {turn.step.ask[self.lang]}"
        return self.text("step", system=turn.checklist.name[self.lang], step=step, total=total, text=text)

    def it_support_number(self) -> str:
        """IT support's number as staff dial it: 0141-22 50 47."""
        number = self.line.settings.it_support.number
        return national(number) if number else ""

    def outcome(self, decision: Decision, moment: datetime, on_call_by: str) -> list[str]:
        """The closing message(s) for a decision; each is one SMS."""
        settings = self.line.settings
        extra = [decision.say[self.lang]] if decision.say else []
        kind = decision.outcome
        portal = settings.it_portal_url
        if kind is Outcome.RESOLVED:
            return extra + [self.text("resolved")]
        if kind is Outcome.DEFLECTED:
            return extra + [self.text("deflected")]
        if kind is Outcome.IT_SUPPORT:
            return extra + [self.text("it_support", it_support=self.it_support_number(), portal=portal)]
        if kind is Outcome.IT_PORTAL:
            return extra + [self.text("it_portal", portal=portal)]
        if kind is Outcome.LOCAL_CONTACT:
            contact = settings.contacts[str(decision.contact)]
            if contact.number:
                return extra + [self.text("local_contact_number", contact=contact.name[self.lang],
                                          contact_number=national(contact.number))]
            return extra + [self.text("local_contact", contact=contact.name[self.lang])]
        if kind is Outcome.SUPPLIER_OUTAGE:
            supplier = settings.suppliers[str(decision.supplier)]
            return extra + [self.text("supplier_outage", supplier=supplier.name[self.lang])]
        if kind is Outcome.ON_CALL_MANAGER:
            if on_call_by == "text_number":
                number = self.line.roster.chain_at(moment)[0].number
                return extra + [self.text("on_call_number", number=national(number))]
            return extra + [self.text("on_call_offer")]
        opening = self.line.calendar.describe_next_opening(moment, self.lang)
        return extra + [
            self.text("wait_for_office_hours", opening=opening, it_support=self.it_support_number(), portal=portal)
        ]


def every_text(line: Line, moment: datetime) -> Iterator[tuple[str, str]]:
    """(where, text) for every SMS the line can send, for the cost check and `ivr check`."""
    for lang in line.settings.languages:
        sms = SmsRenderer(line, lang)
        yield f"{lang}: menu", sms.menu()
        for name in line.messages.texts["sms"]:
            # menu and step are checked as built below; a notice carries IT's own text, checked when posted.
            if name not in ("menu", "step", "notice"):
                # Placeholders filled with the longest values they can take.
                yield f"{lang}: config/messages.yaml sms.{name}", sms.text(
                    name, it_support=sms.it_support_number(), portal=line.settings.it_portal_url,
                    contact=max((c.name[lang] for c in line.settings.contacts.values()), key=len),
                    contact_number="0141-22 50 47", number=national(line.roster.chain_at(moment)[0].number),
                    supplier=max((s.name[lang] for s in line.settings.suppliers.values()), key=len),
                    opening=line.calendar.describe_next_opening(moment, lang),
                    system=max((c.name[lang] for c in line.library.checklists), key=len),
                )
        for checklist in line.library.checklists:
            for index, step in enumerate(checklist.steps):
                turn = Turn(State(lang, checklist.id, index), Expect.YES_NO, checklist, step)
                yield f"{lang}: {checklist.source} steps[{index}]", sms.step(turn)
                if step.solved_say:
                    decision = Decision(Outcome.RESOLVED, checklist.id, {}, say=step.solved_say)
                    for text in sms.outcome(decision, moment, "callback"):
                        yield f"{lang}: {checklist.source} steps[{index}].solved_say", text
            for index, rule in enumerate(checklist.rules):
                decision = Decision(rule.outcome, checklist.id, {}, rule.contact, rule.supplier, rule.say)
                for mode in ("callback", "text_number"):
                    for text in sms.outcome(decision, moment, mode):
                        yield f"{lang}: {checklist.source} rules[{index}]", text
