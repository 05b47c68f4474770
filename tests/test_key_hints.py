"""Key hints on a voice step: every key once at the first step, later only what the step needs."""

from __future__ import annotations

from flows.key_hints import MORE_TIME, PHONE_SMS_FIRST, SMS, YES_NO, YES_NO_UNKNOWN, step_hints
from flows.line import load_line
from flows.model import Step

LIBRARY = load_line().library


def step(checklist: str, step_id: str) -> Step:
    found = LIBRARY.by_id(checklist)
    return found.steps[found.step_index(step_id)]


def test_first_step_names_every_key_once() -> None:
    assert step_hints(step("viva", "home_drive"), all_keys=True, can_text=True) == [YES_NO, MORE_TIME, SMS]


def test_later_plain_step_says_only_yes_and_no() -> None:
    assert step_hints(step("viva", "network"), all_keys=False, can_text=True) == [YES_NO]


def test_long_and_other_person_steps_mention_more_time() -> None:
    assert step_hints(step("npo", "restart_computer"), all_keys=False, can_text=True) == [YES_NO, MORE_TIME]
    # A colleague question also takes "vet inte": its hint names key 3.
    assert step_hints(step("viva", "multiple_users"), all_keys=False, can_text=True) == [YES_NO_UNKNOWN, MORE_TIME]


def test_key_3_is_named_only_where_the_step_takes_vet_inte() -> None:
    assert step_hints(step("viva_omsorg", "multiple_users"), all_keys=True, can_text=True) == [
        YES_NO_UNKNOWN, MORE_TIME, SMS]
    assert step_hints(step("viva_omsorg", "phone_network"), all_keys=False, can_text=True) == [YES_NO]


def test_phone_step_offers_sms_before_yes_and_no() -> None:
    assert step_hints(step("viva_omsorg", "restart_phone"), all_keys=False, can_text=True) == [
        PHONE_SMS_FIRST, YES_NO]
    # At the first step too, key 8 is said once, first.
    assert step_hints(step("alfa_ecare", "close_apps"), all_keys=True, can_text=True) == [
        PHONE_SMS_FIRST, YES_NO, MORE_TIME]


def test_a_caller_who_cannot_be_texted_is_never_offered_sms() -> None:
    assert step_hints(step("viva_omsorg", "restart_phone"), all_keys=True, can_text=False) == [YES_NO, MORE_TIME]
    assert step_hints(step("viva", "home_drive"), all_keys=True, can_text=False) == [YES_NO, MORE_TIME]
