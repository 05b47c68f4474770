"""Key hints on a voice step: every key once at the first step, later only what the step needs, the short way."""

from __future__ import annotations

from flows.line import load_line
from flows.model import Step
from ivr.channels.voice.key_hints import (
    MORE_TIME,
    MORE_TIME_OR_SMS,
    MORE_TIME_SHORT,
    PHONE_CALL_AGAIN,
    PHONE_SMS_FIRST,
    YES_NO,
    YES_NO_SHORT,
    YES_NO_UNKNOWN,
    YES_NO_UNKNOWN_SHORT,
    phone_note,
    step_hints,
)

LINE = load_line()
LIBRARY = LINE.library


def step(checklist: str, step_id: str) -> Step:
    found = LIBRARY.by_id(checklist)
    return found.steps[found.step_index(step_id)]


def test_first_step_names_every_key_once_in_full() -> None:
    assert step_hints(step("viva", "home_drive"), all_keys=True, can_text=True) == [YES_NO, MORE_TIME_OR_SMS]


def test_later_plain_step_says_only_yes_and_no_the_short_way() -> None:
    assert step_hints(step("viva", "network"), all_keys=False, can_text=True) == [YES_NO_SHORT]


def test_long_and_other_person_steps_mention_more_time() -> None:
    assert step_hints(step("npo", "restart_computer"), all_keys=False, can_text=True) == [
        YES_NO_SHORT, MORE_TIME_SHORT]
    # A colleague question also takes "vet inte": its hint names key 3.
    assert step_hints(step("viva", "multiple_users"), all_keys=False, can_text=True) == [
        YES_NO_UNKNOWN_SHORT, MORE_TIME_SHORT]


def test_key_3_is_named_only_where_the_step_takes_vet_inte() -> None:
    assert step_hints(step("viva_omsorg", "multiple_users"), all_keys=True, can_text=True) == [
        YES_NO_UNKNOWN, MORE_TIME_OR_SMS]
    assert step_hints(step("viva_omsorg", "phone_network"), all_keys=False, can_text=True) == [YES_NO_SHORT]


def test_phone_step_says_8_or_call_again_before_its_question_and_never_offers_5() -> None:
    restart = step("viva_omsorg", "restart_phone")
    assert phone_note(restart, can_text=True) == PHONE_SMS_FIRST
    assert phone_note(restart, can_text=False) == PHONE_CALL_AGAIN
    assert step_hints(restart, all_keys=False, can_text=True) == [YES_NO_SHORT]
    # At the first step too: 1 and 2 in full, and no 5 (waiting on the line cannot help).
    assert step_hints(step("alfa_ecare", "close_apps"), all_keys=True, can_text=True) == [YES_NO]
    assert phone_note(step("viva", "home_drive"), can_text=True) is None


def test_a_caller_who_cannot_be_texted_is_never_offered_sms() -> None:
    assert step_hints(step("viva_omsorg", "restart_phone"), all_keys=True, can_text=False) == [YES_NO]
    assert step_hints(step("viva", "home_drive"), all_keys=True, can_text=False) == [YES_NO, MORE_TIME]


def test_every_hint_names_its_keys() -> None:
    """Short or long, a hint says the digit of every key it offers."""
    digits = {YES_NO: "12", YES_NO_UNKNOWN: "123", YES_NO_SHORT: "12", YES_NO_UNKNOWN_SHORT: "123",
              MORE_TIME: "5", MORE_TIME_SHORT: "5", MORE_TIME_OR_SMS: "58", PHONE_SMS_FIRST: "8"}
    for name, keys in digits.items():
        for lang in ("sv", "en"):
            text = LINE.messages.get("voice", name, lang)
            assert all(key in text for key in keys), (name, lang, text)
