"""What a caller's key, speech or text means, before the conversation decides what to do with it.

Each channel reads its request into one `Intent` (ivr/channels/voice/input.py for a
call's keys and speech, ivr/channels/sms/routes.py for a text); dispatch.handle() decides.
An intent may say two things at once, and the conversation picks the one that
fits what it waits on: "1" is yes to a step and Viva at the menu.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flows.model import Checklist


class Act(StrEnum):
    """The caller's act."""

    YES = "yes"
    NO = "no"
    DONT_KNOW = "dont_know"  # "vet inte" (key 3), where the step takes it
    REPEAT = "repeat"  # key *: say it again, every key
    MENU = "menu"  # key 0, MENY
    LANGUAGE = "language"  # key #, ENGLISH / SVENSKA
    HELP = "help"  # HJÄLP
    STOP = "stop"  # STOPP: forget the conversation
    CALL = "call"  # RING: call me and connect me to Chef i beredskap
    ACK = "ack"  # "ok", "klar": did something, answered nothing
    THANKS = "thanks"
    MORE_TIME = "more_time"  # key 5: wait while I do the step
    BY_SMS = "by_sms"  # key 8: go on by SMS
    NO_TICKET = "no_ticket"  # key 9 after an outcome, INGET ÄRENDE: do not file my ticket
    CODE = "code"  # keys in answer to the staff-code question
    SILENCE = "silence"  # nothing keyed or said
    UNCLEAR = "unclear"  # speech heard but not understood well enough
    OTHER = "other"  # any other key or text (it may still name a system)


@dataclass(frozen=True)
class Intent:
    """One turn's input, read."""

    act: Act
    text: str = ""  # as keyed or typed: a staff code, a system's name
    system: Checklist | None = None  # the system it names (a menu key, a name)
    candidates: tuple[Checklist, ...] = ()  # several systems it could name ("viv")
    lang: str | None = None  # LANGUAGE: which one (None: the next)
    number: bool = False  # a bare number: it names a system, never answers yes after an outcome

    @property
    def code(self) -> str | None:
        """The text as a staff code; None when the caller skipped the question (silence, yes or no)."""
        if self.act in (Act.SILENCE, Act.YES, Act.NO):
            return None
        return self.text
