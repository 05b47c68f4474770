"""Which key hints a voice step says after its question: the new keys once, then only what the step needs.

The names are voice messages in config/messages.yaml. One function, so that a
further key is added here and nowhere else.

- The first question of a call's checklist names every key once: 1 and 2, then
  5 (more time) and 8 (continue by SMS). Later steps only say 1 and 2 (and 3
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
SMS = "hint_sms"
PHONE_SMS_FIRST = "hint_phone_sms"


def step_hints(step: Step, all_keys: bool, can_text: bool) -> list[str]:
    """The voice messages, in order, that follow a step's question."""
    hints: list[str] = []
    if can_text and "phone" in step.needs:
        hints.append(PHONE_SMS_FIRST)
    hints.append(YES_NO_UNKNOWN if step.allows_unknown else YES_NO)
    if all_keys or step.needs & {"long", "other_person"}:
        hints.append(MORE_TIME)
    if all_keys and can_text and PHONE_SMS_FIRST not in hints:
        hints.append(SMS)
    return hints
