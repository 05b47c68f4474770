"""The ticket's content: the steps as asked and answered, in words, with the outcome, code and number."""

from __future__ import annotations

from datetime import UTC, datetime

from flows.line import load_line
from flows.model import UNKNOWN, Outcome
from flows.routing import Decision
from flows.ticket import BRIEF_MAX, brief_line, follow_up_text, ticket_content

LINE = load_line()
AT = datetime(2026, 11, 25, 21, 4, tzinfo=UTC)  # 22.04 in Sweden


def viva_ticket(caller: str | None = "+46701740699", **extra: int) -> object:
    checklist = LINE.library.by_id("viva")
    answers = {step.id: False for step in checklist.steps}
    answers[checklist.steps[1].id] = UNKNOWN if checklist.steps[1].allows_unknown else True
    decision = Decision(Outcome.WAIT_FOR_OFFICE_HOURS, "viva", {}, why={"sv": "Bara du har felet.", "en": "x"})
    return ticket_content(LINE, decision, answers, outcome="wait_for_office_hours", at=AT, code="K7QX2M",
                          channel="voice", caller=caller, **extra)


def test_every_step_as_asked_and_answered_in_words() -> None:
    ticket = viva_ticket()
    checklist = LINE.library.by_id("viva")
    for index, step in enumerate(checklist.steps):
        assert f"{index + 1}. {step.ask['sv']} " in ticket.text  # the question as the caller heard it
        assert step.id not in ticket.text  # never an id
    assert "Nej" in ticket.text and ("Ja" in ticket.text or "Vet inte" in ticket.text)
    assert "System: Viva" in ticket.text
    assert "Tid: 2026-11-25 22.04" in ticket.text
    assert "Kod: K7QX2M" in ticket.text
    assert "Skäl: Bara du har felet." in ticket.text
    assert "Kanal: telefon" in ticket.text
    assert "Ring tillbaka: 070-174 06 99" in ticket.text
    assert ticket.fields()["steps"][0]["answer"] == "Nej"


def test_no_number_when_not_allowed_or_hidden() -> None:
    ticket = viva_ticket(caller=None)
    assert "070" not in ticket.text and ticket.caller is None
    assert "numret visas inte" in ticket.text


def test_brief_fits_topdesk_and_keeps_the_code() -> None:
    for outcome in ("it_support", "it_portal", "wait_for_office_hours", "on_call_unreached"):
        brief = brief_line("Ett mycket långt systemnamn som inte får plats " * 2, outcome, "K7QX2M")
        assert len(brief) <= BRIEF_MAX and brief.endswith("(K7QX2M)")


def test_incident_counts_in_ticket_and_follow_up() -> None:
    ticket = viva_ticket(callers=4, workplaces=2)
    assert "4 som ringt, från 2 arbetsplatser" in ticket.text
    assert follow_up_text(ticket).startswith("Ännu en medarbetare")
