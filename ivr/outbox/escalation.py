"""A manager SMS that is not delivered goes to the next person in the on-call chain, as an unanswered dial does.

The SMS after an unanswered on-call dial (ivr/channels/voice/turns.py) keeps the call's
chain (roster person ids, fixed when the dial began) and its target's place in it.
When Twilio reports it undelivered or failed, the sender gives it up, or it is not
delivered within voice_line.manager_sms_delivery_minutes (a delivery receipt may
never come), the same text goes to the next person, keyed
f"{session}:manager_sms_next:{position}": however many callbacks, replays and
workers, each person is texted once. After the last one: an error in the log, an
event, and ivr_messages_total{kind="manager_sms",state="chain_end"}.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flows.events import EventKind
from flows.roster import Person
from ivr.store.outbox import FollowUp, Outgoing, Transition

log = logging.getLogger(__name__)

KIND = "manager_sms"
CHAIN_END = "chain_end"  # the metrics' state for a chain with nobody left to text


def manager_chain(chain: tuple[str, ...], position: int) -> dict[str, Any]:
    """The "next" a manager SMS keeps: the call's chain and where in it this SMS's target is."""
    return {"chain": list(chain), "position": position}


@dataclass
class ManagerChain:
    """The outbox store's escalation (ivr/store/outbox.Escalation) for the manager SMS."""

    people: Callable[[], dict[str, Person]]  # the roster's people now (`ivr reload` may change them)
    send: Callable[[list[int]], None]  # the first try of a new row (the sender's send_now)
    observe: Callable[[Transition], None] | None = None

    def follow_up(self, body: dict[str, Any], session_id: str | None, reason: str) -> FollowUp | None:
        """The same text to the next person in the chain who is still on the roster; None: not a chain's SMS."""
        follow = body.get("next") or {}
        if isinstance(follow.get("then"), dict):
            return self.then(follow["then"], body, session_id, reason)
        chain = [str(person) for person in follow.get("chain") or []]
        position = follow.get("position")
        if not isinstance(position, int) or session_id is None:
            return None
        audit = body.get("audit") or {}
        system = audit.get("system")
        people = self.people()
        # A person taken off the roster since the call is skipped: there is no number for them.
        after = next((index for index in range(position + 1, len(chain)) if chain[index] in people), None)
        if after is None:
            return FollowUp(None, EventKind.ON_CALL_SMS_UNREACHED.value,
                            {"reason": reason, "position": position}, system)
        message = Outgoing(
            kind=KIND, key=f"{session_id}:manager_sms_next:{after}", target=people[chain[after]].number,
            text=str(body.get("text", "")), sender=str(body.get("from", "")),
            audit={"sent": EventKind.ON_CALL_SMS.value, "failed": EventKind.ON_CALL_SMS_FAILED.value,
                   "system": system, "data": {"position": after}},
            follow=manager_chain(tuple(chain), after))
        return FollowUp(message, EventKind.ON_CALL_SMS_NEXT.value,
                        {"reason": reason, "position": after}, system)

    def then(self, then: dict[str, Any], body: dict[str, Any], session_id: str | None,
             reason: str) -> FollowUp | None:
        """A message given up that must not fail silently (a call-back after RING): the text that says so."""
        if session_id is None or reason == "late":
            return None
        audit = body.get("audit") or {}
        message = Outgoing(kind=str(then["kind"]), key=f"{session_id}:{then['kind']}:{then.get('n', 0)}",
                           target=str(then["target"]), text=str(then["text"]), sender=str(body.get("from", "")),
                           audit={"failed": EventKind.CALLBACK_FAILED_SMS_FAILED.value,
                                  "system": audit.get("system"), "data": {}})
        return FollowUp(message, EventKind.CALLBACK_FAILED_TEXTED.value, {"reason": reason}, audit.get("system"))

    def followed(self, done: list[tuple[FollowUp, int | None]]) -> None:
        """After the commit: send each new row now; say loudly that a chain ran out."""
        for follow, row_id in done:
            if follow.message is None:
                log.error("manager SMS not delivered (%s) and nobody left in the on-call chain to text",
                          follow.data.get("reason"))
                if self.observe is not None:
                    self.observe(Transition(0, KIND, str(follow.data.get("reason")), CHAIN_END))
            elif row_id is not None:
                self.send([row_id])
