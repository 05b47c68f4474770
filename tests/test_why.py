"""Why the after-hours decision went as it did: the rule's reason, or the check that blocked Chef i beredskap."""

from __future__ import annotations

import itertools

import pytest

from flows.line import load_line
from flows.model import Checklist, Outcome
from flows.routing import Blocked, Context, Decision, route
from flows.why import reason
from ivr.channels.sms.render import SmsRenderer

LINE = load_line()
AFTER_HOURS = Context(office_hours=False)
OUTSIDER = Context(office_hours=False, may_escalate=False)


def checklist(system: str) -> Checklist:
    return LINE.library.by_id(system)


def every_complete_answer(item: Checklist) -> list[dict[str, bool]]:
    """Every way of answering every step yes or no (the routing rules only look at the facts)."""
    return [dict(zip([step.id for step in item.steps], values, strict=True))
            for values in itertools.product((True, False), repeat=len(item.steps))]


def test_one_user_after_hours_hears_only_you_have_the_problem() -> None:
    answers = {"multiple_users": False, "phone_network": True, "restart_phone": False, "other_phone": False}
    decision = route(checklist("viva_omsorg"), answers, AFTER_HOURS)
    assert decision.outcome is Outcome.WAIT_FOR_OFFICE_HOURS and decision.blocked is None
    assert reason(LINE.messages, decision, "voice", "sv") == "Bara du har felet, och det hjälper IT-supporten dig med."


def test_a_caller_off_the_staff_list_hears_that_not_the_rules_reason() -> None:
    answers = {"multiple_users": True, "phone_network": True, "restart_phone": False, "other_phone": False}
    decision = route(checklist("viva_omsorg"), answers, OUTSIDER)
    assert decision.outcome is Outcome.WAIT_FOR_OFFICE_HOURS
    assert decision.blocked is Blocked.NOT_STAFF and decision.why is None
    assert reason(LINE.messages, decision, "voice", "sv").startswith("Ditt nummer finns inte i personallistan")
    # The same caller with a one-user problem: the staff list changed nothing, so the rule's reason stands.
    one_user = route(checklist("viva_omsorg"), {**answers, "multiple_users": False}, OUTSIDER)
    assert one_user.blocked is None and one_user.why is not None and one_user.why["sv"].startswith("Bara du")


def test_a_skipped_step_is_the_reason_when_the_rule_would_call_the_manager() -> None:
    decision = route(checklist("viva"), {"home_drive": False}, AFTER_HOURS)
    assert decision.outcome is Outcome.WAIT_FOR_OFFICE_HOURS and decision.blocked is Blocked.STEPS_MISSING
    assert reason(LINE.messages, decision, "sms", "en") == (
        "Not every step was done, so you are not connected to the on-call manager.")


@pytest.mark.parametrize("system", [item.id for item in LINE.library.checklists])
def test_every_after_hours_wait_says_why(system: str) -> None:
    """Whatever a staff caller answered, waiting for office hours always comes with a reason."""
    item = checklist(system)
    for answers in every_complete_answer(item):
        for context in (AFTER_HOURS, OUTSIDER):
            decision = route(item, answers, context)
            if decision.outcome is Outcome.WAIT_FOR_OFFICE_HOURS:
                for lang in LINE.settings.languages:
                    assert reason(LINE.messages, decision, "voice", lang), (system, answers, context)


def test_the_decision_keeps_its_reason_through_the_store() -> None:
    decision = route(checklist("viva"), {"home_drive": False, "multiple_users": True, "network": True}, OUTSIDER)
    again = Decision.from_dict(decision.to_dict())
    assert again == decision and again.blocked is Blocked.NOT_STAFF
    # A decision stored before reasons existed still loads.
    old = {key: value for key, value in decision.to_dict().items() if key not in ("why", "blocked")}
    assert Decision.from_dict(old).blocked is None


def test_the_sms_packs_the_reason_with_what_to_do_when_both_fit() -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    answers = {"multiple_users": False, "phone_network": True, "restart_phone": False, "other_phone": False}
    decision = route(checklist("viva_omsorg"), answers, AFTER_HOURS)
    texts = SmsRenderer(LINE, "sv").outcome(decision, datetime(2026, 11, 25, 22, tzinfo=ZoneInfo("Europe/Stockholm")),
                                            "callback")
    assert texts == [
        "Bara du har felet, och det hjälper IT-supporten dig med. Följ din enhets reservrutin så länge.",
        "Ring IT-supporten i morgon klockan 08.00: 0141-22 50 47 eller skapa ett ärende: https://itportal.example.se",
    ]


def test_no_text_names_units_a_carer_never_deals_with_and_one_word_for_a_ticket() -> None:
    # Chef i beredskap's own words (her SMS replies, the call that connects her to IT-beredskapen) are hers.
    for_the_manager = ("manager_", "it_call_", "it_whisper_")
    texts = [template for section, name, _, template in LINE.messages.items()
             if section in ("voice", "sms") and not name.startswith(for_the_manager)]
    texts += [text for item in LINE.library.checklists for rule in item.rules
              for words in (rule.why, rule.say) if words for text in words.values()]
    assert not [text for text in texts if "IT-beredskap" in text or "IT on-call" in text]
    assert not [text for text in texts if "gör ett ärende" in text]


def test_the_seeds_names_for_alfa_e_care() -> None:
    supplier = LINE.settings.suppliers["alfa_ecare"]
    assert supplier.name["sv"] == "leverantören av Alfa e-Care"
    assert supplier.status["sv"] == "sidan Drift - Alfa eCare"
    assert "Alfa eCare" not in " ".join(c.name["sv"] for c in LINE.library.checklists)

