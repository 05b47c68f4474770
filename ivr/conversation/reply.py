"""What the conversation answers, before a channel renders it as TwiML or as texts.

`dispatch.handle()` returns a list of parts; a call renders its one part as
TwiML (ivr/channels/voice/reply.py), a text conversation every part as SMS texts
(ivr/channels/sms/reply.py). A sentence is either already worded (a str: IT's
announcement, what Chef i beredskap knows) or a `Text` the channel words from
its own message table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from flows.engine import Turn
from flows.model import Checklist
from flows.routing import Decision


@dataclass(frozen=True)
class Text:
    """A message by name, worded by the channel; it_support: add IT support's number as the channel says it."""

    name: str
    values: dict[str, Any] = field(default_factory=dict)
    it_support: bool = False


Sentence = str | Text


class Wording(Protocol):
    """What a channel's renderer offers to word a Text: its message table and IT support's number."""

    def text(self, name: str, /, **values: object) -> str: ...

    def it_support_number(self) -> str: ...


def words(renderer: Wording, sentences: tuple[Sentence, ...]) -> list[str]:
    """The sentences in the channel's words: a str as it is, a Text from the channel's message table (with
    IT support's number as that channel gives it where the text asks for it)."""
    worded: list[str] = []
    for sentence in sentences:
        if isinstance(sentence, str):
            worded.append(sentence)
            continue
        values = dict(sentence.values)
        if sentence.it_support:
            values["it_support"] = renderer.it_support_number()
        worded.append(renderer.text(sentence.name, **values))
    return worded


@dataclass(frozen=True)
class Menu:
    """The system menu (welcome: the call's first words)."""

    preface: tuple[Sentence, ...] = ()
    welcome: bool = False


@dataclass(frozen=True)
class BadSystem:
    """A key or text that names no system; first: a new conversation, where the menu is the answer."""

    first: bool = False


@dataclass(frozen=True)
class WhichSystem:
    """A text that could name several systems: which one?"""

    candidates: tuple[Checklist, ...]


@dataclass(frozen=True)
class ResumeOffer:
    """A dropped call's step: go on there, or start over."""

    turn: Turn
    preface: tuple[Sentence, ...] = ()
    welcome: bool = False


@dataclass(frozen=True)
class Question:
    """The current step; first: the checklist's first question in this conversation."""

    turn: Turn
    preface: tuple[Sentence, ...] = ()
    first: bool = False
    can_text: bool = False  # key 8 may be offered
    all_keys: bool | None = None
    phone_full: bool = False  # a call's phone step: its note in full (the first this call says)


@dataclass(frozen=True)
class Notice:
    """What the caller should know of the system (IT's announcement, or that Chef i beredskap knows): go on?

    again: asked again (a text then only asks the question).
    """

    turn: Turn
    preface: tuple[Sentence, ...] = ()
    told: tuple[str, ...] = ()
    announcement: str | None = None
    again: bool = False


@dataclass(frozen=True)
class BadAnswer:
    """An answer the question does not take: the question again, with a hint (acknowledged: "ok", "tack")."""

    again: Question | Notice
    acknowledged: bool = False


@dataclass(frozen=True)
class PinPrompt:
    """The staff-code question (first: before step 1, saying what the code is for)."""

    preface: tuple[Sentence, ...] = ()
    first: bool = False


@dataclass(frozen=True)
class PinRetry:
    """A wrong staff code: once more."""


@dataclass(frozen=True)
class Finished:
    """The outcome; for a call, whom it dials (on_call: the first on-call number, call: the call's id)."""

    decision: Decision
    preface: tuple[Sentence, ...] = ()
    on_call: str = ""
    call: str = ""
    declinable: bool = False  # the line filed a ticket she may decline: key 9, INGET ÄRENDE
    sms_follows: bool = False  # a call's receipt SMS is on its way: the ending says so instead of the number


@dataclass(frozen=True)
class Transfer:
    """Connect the caller to IT support (key 1 after an ending that offered it)."""


@dataclass(frozen=True)
class Wait:
    """Key 5: a short reminder, then quiet."""

    texts: tuple[Sentence, ...]


@dataclass(frozen=True)
class Goodbye:
    """Say these and end the call (it_support: the texts name IT support's number)."""

    names: tuple[str, ...]
    it_support: bool = False
    values: dict[str, Any] = field(default_factory=dict)  # e.g. the resume window's minutes


@dataclass(frozen=True)
class Ended:
    """Nothing waits any more: a call says goodbye, a text conversation sends nothing."""


@dataclass(frozen=True)
class Say:
    """Sentences on their own (a text conversation's texts)."""

    sentences: tuple[Sentence, ...]


@dataclass(frozen=True)
class HangUp:
    """The call is done (a dial was answered): end it without a word."""


@dataclass(frozen=True)
class DialNext:
    """Nobody took the call: the next on-call number of the call's chain (call: the call's id)."""

    attempt: int
    number: str
    call: str


@dataclass(frozen=True)
class CallBack:
    """The carer answered the line's call-back (RING): why she is called, then the first on-call number."""

    system: str
    number: str
    call: str


Part = (Menu | BadSystem | WhichSystem | ResumeOffer | Question | Notice | BadAnswer | PinPrompt | PinRetry
        | Finished | Transfer | Wait | Goodbye | Ended | Say | HangUp | DialNext | CallBack)
