"""One dispatcher: the same answers by keys on a call and by words in texts reach the same decisions.

Every checklist, answered in several patterns by day and by night, once as a
call (signed /voice webhooks, keys) and once as an SMS conversation (signed /sms
webhooks, words): the outcome, its reason and every recorded answer are the
same. The channels only read input and render; a decision made in one channel's
code would show up here as a difference.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from ivr.conversation.session import SMS, VOICE, Session
from tests.conftest import LINE_NUMBER, FrozenClock, Twilio, sms_session

MAX_TURNS = 30

Pattern = Callable[[int], bool]  # step index -> yes?
PATTERNS: dict[str, Pattern] = {
    "all_yes": lambda step: True,
    "all_no": lambda step: False,
    "yes_then_no": lambda step: step == 0,
    "no_then_yes": lambda step: step != 0,
    "alternating": lambda step: step % 2 == 1,
}
MOMENTS = {"office": "2026-11-25T10:00", "night": "2026-11-25T22:00"}


def stored(app: Flask, session_id: str, channel: str) -> Session | None:
    """The conversation as the store holds it."""
    record = app.extensions["ivr.store"].get(session_id)
    return Session.from_data(channel, record.data) if record is not None and record.data else None


def decisions(app: Flask, session_id: str) -> list[tuple[str, object, str | None]]:
    """What the conversation decided, in order: the system chosen, each answer, the outcome."""
    return [(event["kind"], event["data"], event["system"]) for event in app.extensions["ivr.store"].events(session_id)
            if event["kind"] in ("system_chosen", "answer", "outcome")]


def by_call(app: Flask, twilio: Twilio, sid: str, number: str, key: int, pattern: Pattern) -> Session:
    """Key the system, then 1 or 2 at each step, until the call has its outcome."""
    twilio.post("/voice", CallSid=sid, From=number, To=LINE_NUMBER)
    twilio.post("/voice/input", CallSid=sid, From=number, To=LINE_NUMBER, Digits=str(key))
    for _ in range(MAX_TURNS):
        session = stored(app, f"voice:{sid}", VOICE)
        assert session is not None
        if session.decision is not None:
            return session
        twilio.post("/voice/input", CallSid=sid, From=number, To=LINE_NUMBER,
                    Digits="1" if pattern(session.state.step) else "2")
    raise AssertionError("the call never reached an outcome")


def by_text(app: Flask, twilio: Twilio, number: str, key: int, pattern: Pattern) -> Session:
    """Text the system's number, then "ja" or "nej" at each step, until the conversation has its outcome."""
    sent = iter(range(1, 10_000))

    def send(body: str) -> None:
        twilio.post("/sms", From=number, To=LINE_NUMBER, Body=body, MessageSid=f"SM{key}{next(sent):031d}")

    send(str(key))
    for _ in range(MAX_TURNS):
        session = stored(app, sms_session(app, number), SMS)
        assert session is not None
        if session.decision is not None:
            return session
        send("ja" if pattern(session.state.step) else "nej")
    raise AssertionError("the SMS conversation never reached an outcome")


@pytest.mark.parametrize("moment", sorted(MOMENTS))
@pytest.mark.parametrize("pattern", sorted(PATTERNS))
def test_keys_and_words_reach_the_same_decisions(app: Flask, twilio: Twilio, clock: FrozenClock,
                                                 pattern: str, moment: str) -> None:
    clock.set(MOMENTS[moment])
    outcomes = set()
    for checklist in app.extensions["ivr.line"].library.checklists:
        number = f"+467017406{checklist.key:02d}"  # a staff phone of its own for each checklist
        sid = f"CA{checklist.key:032d}"
        call = by_call(app, twilio, sid, number, checklist.key, PATTERNS[pattern])
        text = by_text(app, twilio, number, checklist.key, PATTERNS[pattern])
        assert call.decision is not None
        assert call.decision == text.decision, checklist.id
        assert call.state.answers == text.state.answers, checklist.id
        assert decisions(app, f"voice:{sid}") == decisions(app, sms_session(app, number)), checklist.id
        outcomes.add(call.decision.outcome)
    assert len(outcomes) > 1  # the patterns reach different endings: a channel deciding alone would show
