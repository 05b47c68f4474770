"""Which key hints a voice step says after its question: the new keys once, then only what the step needs.

The names are voice messages in config/messages.yaml. One function, so that a
further key is added here and nowhere else.

- The first question of a call's checklist names every key once, in full
  sentences: 1 and 2, then 5 (more time) and 8 (continue by SMS). Later steps
  say only 1 and 2, the short way ("Ja 1, nej 2."; and 3
  where the step takes "vet inte", since that key works only there): three
  hints on every step would add about a minute to Alfa e-Care's path.
- A step that needs the phone the carer is calling from (restart it, close its
  apps) cannot be done during the call: it offers SMS first, before 1 and 2.
- A step that takes long or needs another person names key 5 again.
- A caller the line cannot text (hidden number, no database) is never offered 8.
"""

from __future__ import annotations

from flows.model import Step

YES_NO = "yes_no"
YES_NO_UNKNOWN = "yes_no_unknown"  # "... 3 om du inte vet": only on steps that take "vet inte"
MORE_TIME = "hint_more_time"
MORE_TIME_OR_SMS = "hint_more_time_or_sms"  # 5 and 8 in one sentence, at the first step
PHONE_SMS_FIRST = "hint_phone_sms"
# After the first step the keys are said the way the menu says systems ("Viva 1"): "Ja 1, nej 2."
# The caller has heard the whole sentence once; each later step still names its keys, in a second
# instead of two and a half (espeak-ng), which is what keeps an eight-step checklist near 75 s.
YES_NO_SHORT = "yes_no_short"
YES_NO_UNKNOWN_SHORT = "yes_no_unknown_short"
MORE_TIME_SHORT = "hint_more_time_short"


def step_hints(step: Step, all_keys: bool, can_text: bool) -> list[str]:
    """The voice messages, in order, that follow a step's question."""
    hints: list[str] = []
    phone_first = can_text and "phone" in step.needs
    if phone_first:
        hints.append(PHONE_SMS_FIRST)
    if all_keys:
        hints.append(YES_NO_UNKNOWN if step.allows_unknown else YES_NO)
        hints.append(MORE_TIME_OR_SMS if can_text and not phone_first else MORE_TIME)
        return hints
    hints.append(YES_NO_UNKNOWN_SHORT if step.allows_unknown else YES_NO_SHORT)
    if step.needs & {"long", "other_person"}:
        hints.append(MORE_TIME_SHORT)
    return hints
