"""Why a conversation ended where it did, in the caller's terms: the reason said before the outcome.

A decision carries either the applied rule's own `why` (checklists/*.yaml) or,
when a rule that would reach Chef i beredskap was passed over, which check
stopped it (routing.Blocked): that reason is the line's, so its words live in
config/messages.yaml (`why_not_staff`, `why_steps_missing`) for each channel.
"""

from __future__ import annotations

from flows.messages import Messages
from flows.routing import Decision


def reason(messages: Messages, decision: Decision, section: str, lang: str) -> str | None:
    """The reason sentence for a decision in a channel's section ("voice" or "sms"); None when it has none."""
    if decision.blocked is not None:
        return messages.get(section, f"why_{decision.blocked.value}", lang)
    return decision.why[lang] if decision.why else None
