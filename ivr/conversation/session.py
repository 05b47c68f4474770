"""A conversation's state, for every channel, and the one codec that reads and writes its JSON.

Nothing outside this module reads a session's stored data or a carried token's
payload: the store keeps `Session.to_data()`, a call's action URLs carry
`Session.carried()` (everything but phone numbers), and both come back through
`Session.from_data()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flows.engine import State, StateError
from flows.phone import takes_sms
from flows.routing import Decision

VOICE, SMS = "voice", "sms"


@dataclass
class PinState:
    """The staff-code question: being asked (with the wrong tries so far), passed, or neither."""

    asking: bool = False
    tries: int = 0
    passed: bool = False
    # Offered before step 1 (dispatch.staff_first): whatever she answered then, it is not asked again at the end.
    asked: bool = False
    # This turn only (never stored): the code was not asked, or no more, because this number has had too
    # many wrong codes lately. The channel says so before the decision that stands.
    locked: bool = field(default=False, compare=False)

    def to_data(self) -> dict[str, Any]:
        """JSON-ready, for the store and the carried state."""
        return {"asking": self.asking, "tries": self.tries, "passed": self.passed, "asked": self.asked}

    @classmethod
    def from_data(cls, data: object) -> PinState:
        """Rebuild; anything that is not a stored PinState is a state with no code asked."""
        if not isinstance(data, dict):
            return cls()
        return cls(bool(data.get("asking", False)), int(data.get("tries", 0)), bool(data.get("passed", False)),
                   bool(data.get("asked", False)))


@dataclass
class DialState:
    """The on-call dial of a call: which number of its chain, and whether that manager accepted."""

    attempt: int = 0
    accepted: bool = False
    chain: tuple[str, ...] = ()  # roster person ids, fixed when the dial began (no number rides in a URL)

    def to_data(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"attempt": self.attempt, "accepted": self.accepted, "chain": list(self.chain)}

    @classmethod
    def from_data(cls, data: object) -> DialState:
        """Rebuild; anything else is no dial."""
        if not isinstance(data, dict):
            return cls()
        return cls(int(data.get("attempt", 0)), bool(data.get("accepted", False)),
                   tuple(str(person) for person in data.get("chain", ())))


@dataclass
class Session:
    """One conversation: the engine's state, the staff code, and what its channel keeps between turns."""

    channel: str  # VOICE or SMS: the record's channel, never stored in the data
    state: State
    line_number: str = ""  # the line's own number: the sender of any SMS (never carried in URLs)
    pin: PinState = field(default_factory=PinState)
    # A call's (voice):
    misses: int = 0  # consecutive prompts without a key
    dial: DialState = field(default_factory=DialState)
    turn: int = 0  # turns taken: of the stored and the carried state, the one with more turns is newer
    ended: bool = False  # the status callback saw the call end: its number is never stored again
    callback: bool = False  # a call the line placed (RING by SMS): the carer is To, the line is From
    waiting: int = 0  # key 5: rounds of quiet waiting so far on the current step (0: not waiting)
    by_sms: bool = False  # key 8: the conversation went on by SMS (not abandoned, never resumed by voice)
    offer: State | None = None  # a dropped call's engine state, offered before the menu
    phone_noted: bool = False  # this call has said a phone step's note in full (dispatch.phone_note_once)
    # Whether the caller's number takes SMS (key 8), decided once per call from the number its first turn
    # read (None: not yet). Why: measured (bench/README.md, December 2026), phonenumbers' parse and number
    # type on every step turn were 6 % of the turn, for an answer that cannot change during the call.
    sms_number: bool | None = None
    # An SMS conversation's:
    last_replies: list[str] = field(default_factory=list)  # resent if Twilio retries a message
    ring_call: str | None = None  # the call placed after RING, so a second RING places none

    def caller_takes_sms(self, caller: str) -> bool:
        """Whether the caller's number takes SMS: phonenumbers asked once per call, then carried."""
        if self.sms_number is None:
            self.sms_number = takes_sms(caller)
        return self.sms_number

    @property
    def decision(self) -> Decision | None:
        """The conversation's outcome, once it has one."""
        return self.state.decision

    def to_data(self) -> dict[str, Any]:
        """JSON-ready, for the store."""
        if self.channel == SMS:
            return {"state": self.state.to_dict(), "line_number": self.line_number,
                    "last_replies": self.last_replies, "callback": self.ring_call, "pin": self.pin.to_data()}
        return {**self.carried(), "line_number": self.line_number}

    def carried(self) -> dict[str, Any]:
        """What rides in a call's action URLs: everything but phone numbers."""
        return {"state": self.state.to_dict(), "misses": self.misses, "dial": self.dial.to_data(),
                "pin": self.pin.to_data(), "turn": self.turn, "ended": self.ended, "callback": self.callback,
                "waiting": self.waiting, "by_sms": self.by_sms,
                "offer": self.offer.to_dict() if self.offer is not None else None, "phone_noted": self.phone_noted,
                **({"sms_number": self.sms_number} if self.sms_number is not None else {})}

    @classmethod
    def from_data(cls, channel: str, data: dict[str, Any]) -> Session:
        """Rebuild from the store or a carried token; StateError when it cannot be continued."""
        state = State.from_dict(data.get("state"))
        pin = PinState.from_data(data.get("pin"))
        line_number = str(data.get("line_number", ""))
        if channel == SMS:
            ring_call = data.get("callback")
            return cls(SMS, state, line_number, pin, last_replies=[str(r) for r in data.get("last_replies", [])],
                       ring_call=str(ring_call) if ring_call else None)
        offer, sms_number = data.get("offer"), data.get("sms_number")
        return cls(VOICE, state, line_number, pin, int(data.get("misses", 0)), DialState.from_data(data.get("dial")),
                   int(data.get("turn", 0)), bool(data.get("ended", False)), bool(data.get("callback", False)),
                   int(data.get("waiting", 0)), bool(data.get("by_sms", False)),
                   None if offer is None else State.from_dict(offer), bool(data.get("phone_noted", False)),
                   sms_number=None if sms_number is None else bool(sms_number))

    @classmethod
    def stored_state(cls, channel: str, data: dict[str, Any] | None) -> State | None:
        """Only the engine state of stored data (None when there is none that can be continued)."""
        try:
            return cls.from_data(channel, data or {}).state
        except (StateError, TypeError, ValueError):
            return None
