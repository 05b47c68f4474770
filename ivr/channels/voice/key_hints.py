"""Which key hints a voice step says after its question: the new keys once, then only what the step needs.

The names are voice messages in config/messages.yaml. One function, so that a
further key is added here and nowhere else.

- The first question of a call's checklist names every key once, in full
  sentences: 1 and 2, then 5 (more time) and 8 (continue by SMS). Later steps
  say only 1 and 2, the short way ("Ja 1, nej 2."; and 3
  where the step takes "vet inte", since that key works only there): three
  hints on every step would add about a minute to Alfa e-Care's path.
- A step that needs the phone the carer is calling from (restart it, close its
  apps, log in again in its app, open a status page on it) cannot be done during
  the call: before its question (which asks whether she has done it) the line
  says so and offers 8 (the step by SMS) or calling again, which goes on at this
  step (`phone_note`). Key 5 is never offered there: waiting on the line cannot
  help a step that ends the call.
- A step that takes long or needs another person names key 5 again.
- A caller the line cannot text (hidden number, no database) is never offered 8.
"""

from __future__ import annotations

from flows.engine import Turn, takes_more_time
from flows.model import Step

YES_NO = "yes_no"
YES_NO_UNKNOWN = "yes_no_unknown"  # "... 3 om du inte vet": only on steps that take "vet inte"
MORE_TIME = "hint_more_time"
MORE_TIME_OR_SMS = "hint_more_time_or_sms"  # 5 and 8 in one sentence, at the first step
PHONE_SMS_FIRST = "hint_phone_sms"  # said before a phone step's question: 8, or call again
PHONE_CALL_AGAIN = "hint_phone"  # the same for a caller the line cannot text: call again
PHONE_SMS_SHORT = "hint_phone_sms_short"  # at a later phone step of the same call
PHONE_CALL_AGAIN_SHORT = "hint_phone_short"
# After the first step the keys are said the way the menu says systems ("Viva 1"): "Ja 1, nej 2."
# The caller has heard the whole sentence once; each later step still names its keys, in a second
# instead of two and a half (espeak-ng), which is what keeps an eight-step checklist near 75 s.
YES_NO_SHORT = "yes_no_short"
YES_NO_UNKNOWN_SHORT = "yes_no_unknown_short"
MORE_TIME_SHORT = "hint_more_time_short"


def phone_note(step: Step, can_text: bool, full: bool = True) -> str | None:
    """The voice message said between a phone step's instruction and its question; None on other steps.

    full: the whole sentence (6.7 s); else its short form ("Från den telefonen: 8 för sms.", 2 s), for a
    phone step after another one in the same call: Alfa e-Care's four phone steps said it in full 27 s.
    """
    if "phone" not in step.needs:
        return None
    if not full:
        return PHONE_SMS_SHORT if can_text else PHONE_CALL_AGAIN_SHORT
    return PHONE_SMS_FIRST if can_text else PHONE_CALL_AGAIN


def phone_note_in_full(turn: Turn, first: bool, all_keys: bool) -> bool:
    """Say a phone step's note in full: at the call's first question (a resumed call too), when every key is
    asked for again, or when no earlier step of the checklist is a phone step (she has not heard it yet).

    A call resumed after a phone step hears the short form at a later phone step: the first question of
    the resumed call named 8 in full (issue 23: say it in full once per call, then short)."""
    if first or all_keys or turn.checklist is None or turn.step is None:
        return True
    here = turn.checklist.step_index(turn.step.id)
    return not any("phone" in step.needs for step in turn.checklist.steps[:here])


def step_hints(step: Step, all_keys: bool, can_text: bool) -> list[str]:
    """The voice messages, in order, that follow a step's question."""
    hints: list[str] = [YES_NO_UNKNOWN if step.allows_unknown else YES_NO] if all_keys else [
        YES_NO_UNKNOWN_SHORT if step.allows_unknown else YES_NO_SHORT]
    if not takes_more_time(step):
        return hints  # its note already named 8
    if all_keys:
        hints.append(MORE_TIME_OR_SMS if can_text else MORE_TIME)
    elif step.needs & {"long", "other_person"}:
        hints.append(MORE_TIME_SHORT)
    return hints
