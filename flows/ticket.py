"""The ticket IT support reads: a finished conversation in words, as plain text plus structured fields.

The line files it for the caller (ivr/tickets/filing.py) so IT support does not have to ask again
what she already answered. Everything comes from the conversation itself: the system, each step
as it was asked (the checklist's own question) and as she answered it (ja / nej / vet inte, never
an id), the outcome with the reason she heard (flows/why.py), the time, the receipt code, the
channel, and her number where config/line.yaml allows it. Pure: no Flask, no Twilio, no database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from flows.line import Line
from flows.model import Answer, is_unknown
from flows.phone import written_number
from flows.routing import Decision
from flows.why import reason

LANG = "sv"  # IT support's language: the ticket is in Swedish whatever the caller spoke
BRIEF_MAX = 80  # TOPdesk's briefDescription holds 80 characters; the e-mail subject uses the same line
ANSWER_WORDS: dict[str, str] = {"yes": "Ja", "no": "Nej", "unknown": "Vet inte"}
CHANNEL_WORDS = {"voice": "telefon", "sms": "sms"}
# Why the line files a ticket, as IT support reads it. "on_call_unreached": the outcome was Chef i
# beredskap, and nobody in the chain answered the dial (the manager has an SMS).
OUTCOME_WORDS = {
    "it_support": "Kopplad till IT-supporten (kontorstid).",
    "it_portal": "Ärende till IT-portalen: hanteras nästa vardag.",
    "wait_for_office_hours": "Efter kontorstid: väntar på IT-supporten.",
    "on_call_unreached": "Chef i beredskap svarade inte (har fått sms). IT-supporten tar vid.",
    "test": "TEST från `ivr ticket test`: gäller ingen medarbetare. Stäng ärendet.",  # the IT unit's own check
}


@dataclass(frozen=True)
class TicketStep:
    """One step as asked and as answered."""

    number: int
    question: str
    answer: str  # Ja, Nej, Vet inte, or "(inte besvarad)"


@dataclass(frozen=True)
class Ticket:
    """What a backend sends: `text` for any ITSM, the rest for backends with fields of their own."""

    system_id: str
    system: str
    outcome: str  # an OUTCOME_WORDS key
    outcome_text: str
    reason: str | None
    at: str  # local time, "2026-11-25 22.04"
    code: str
    channel: str  # voice or sms
    caller: str | None  # written as people write it, or None (hidden, or not allowed by line.yaml)
    steps: tuple[TicketStep, ...]
    brief: str  # at most BRIEF_MAX characters: the subject line, TOPdesk's briefDescription
    text: str
    callers: int | None = None  # with an incident: callers and workplaces so far
    workplaces: int | None = None
    incident: int | None = None  # the incident record (ivr/store/incidents.py) this caller is part of
    extra: dict[str, Any] = field(default_factory=dict)

    def fields(self) -> dict[str, Any]:
        """JSON-ready structured fields (the webhook's body, the backends' property lists)."""
        return {
            "system": self.system_id, "system_name": self.system, "outcome": self.outcome,
            "outcome_text": self.outcome_text, "reason": self.reason, "time": self.at, "code": self.code,
            "channel": self.channel, "caller": self.caller, "brief": self.brief,
            "steps": [{"number": step.number, "question": step.question, "answer": step.answer}
                      for step in self.steps],
            "callers": self.callers, "workplaces": self.workplaces, "incident": self.incident,
        }


def answer_word(value: object) -> str:
    """Ja, Nej or Vet inte for a stored answer."""
    if is_unknown(value):
        return ANSWER_WORDS["unknown"]
    return ANSWER_WORDS["yes" if value is True else "no"]


def asked_steps(line: Line, checklist_id: str, answers: Mapping[str, Answer]) -> tuple[TicketStep, ...]:
    """Every step of the checklist in its order, with her answer (a step she never reached says so)."""
    checklist = line.library.by_id(checklist_id)
    return tuple(TicketStep(index + 1, step.ask[LANG],
                            answer_word(answers[step.id]) if step.id in answers else "(inte besvarad)")
                 for index, step in enumerate(checklist.steps))


def brief_line(system: str, outcome: str, code: str, incident: int | None = None) -> str:
    """"Felsökningslinjen: Viva, väntar på IT-supporten (K7QX2M)", cut to BRIEF_MAX characters.

    An incident's ticket has one line for all its callers (an e-mail reply keeps the subject)."""
    if incident is not None:
        return f"Felsökningslinjen: {system}, flera har samma fel (störning {incident})"[:BRIEF_MAX]
    short = {"it_support": "kopplad till IT-supporten", "it_portal": "ärende till IT-portalen",
             "wait_for_office_hours": "väntar på IT-supporten",
             "on_call_unreached": "chef i beredskap nåddes inte", "test": "TEST, stäng ärendet"}[outcome]
    text = f"Felsökningslinjen: {system}, {short} ({code})"
    if len(text) <= BRIEF_MAX:
        return text
    keep = BRIEF_MAX - len(f" ({code})") - 1
    return f"{text[:keep].rstrip()}… ({code})"


def ticket_content(line: Line, decision: Decision, answers: Mapping[str, Answer], *, outcome: str,
                   at: datetime, code: str, channel: str, caller: str | None,
                   callers: int | None = None, workplaces: int | None = None, incident: int | None = None) -> Ticket:
    """The ticket for a finished conversation; caller is the number IT support may call back (None: not told)."""
    system = line.library.by_id(decision.checklist_id).name[LANG]
    why = reason(line.messages, decision, "sms", LANG)
    said = decision.say[LANG] if decision.say else None
    reason_text = " ".join(text for text in (why, said) if text) or None
    steps = asked_steps(line, decision.checklist_id, answers)
    moment = f"{line.calendar.local(at):%Y-%m-%d %H.%M}"
    number = written_number(caller) if caller else None
    lines = [
        "Felsökningslinjen har skapat ärendet åt en medarbetare som gått igenom checklistan.",
        "",
        f"System: {system}",
        f"Utfall: {OUTCOME_WORDS[outcome]}",
        *([f"Skäl: {reason_text}"] if reason_text else []),
        f"Tid: {moment}",
        f"Kod: {code} (ivr lookup {code})",
        f"Kanal: {CHANNEL_WORDS.get(channel, channel)}",
        f"Ring tillbaka: {number}" if number else "Ring tillbaka: numret visas inte",
        *([f"Samma fel: {callers} som ringt, från {workplaces} arbetsplatser."] if callers is not None else []),
        "",
        "Stegen, som de frågades och besvarades:",
        *(f"{step.number}. {step.question} {step.answer}" for step in steps),
    ]
    return Ticket(system_id=decision.checklist_id, system=system, outcome=outcome,
                  outcome_text=OUTCOME_WORDS[outcome], reason=reason_text, at=moment, code=code, channel=channel,
                  caller=number, steps=steps, brief=brief_line(system, outcome, code, incident),
                  text="\n".join(lines) + "\n",
                  callers=callers, workplaces=workplaces, incident=incident)


def follow_up_text(ticket: Ticket) -> str:
    """The note added to an incident's ticket for one more caller (e-mail reply, Easit/TOPdesk action)."""
    count = (f"Nu {ticket.callers} som ringt, från {ticket.workplaces} arbetsplatser.\n"
             if ticket.callers is not None else "")
    return f"Ännu en medarbetare ringer om samma fel.\n{count}\n{ticket.text}"


def ticket_from_fields(data: dict[str, Any], text: str) -> Ticket:
    """A ticket rebuilt from fields() and its text (the outbox keeps both until it is filed)."""
    steps = tuple(TicketStep(int(step["number"]), str(step["question"]), str(step["answer"]))
                  for step in data.get("steps") or [])
    ticket = Ticket(system_id=str(data["system"]), system=str(data["system_name"]), outcome=str(data["outcome"]),
                    outcome_text=str(data["outcome_text"]), reason=data.get("reason"), at=str(data["time"]),
                    code=str(data["code"]), channel=str(data["channel"]), caller=data.get("caller"), steps=steps,
                    brief=str(data["brief"]), text=text)
    return replace(ticket, callers=data.get("callers"), workplaces=data.get("workplaces"),
                   incident=data.get("incident"))
