"""Whatever a carer texts, in whatever order, the SMS line calls back to Chef i beredskap only after every step.

Natural replies widen what the line accepts (a plain "ja" at the RING offer, RING after other replies);
this checks that none of it opens a way to the on-call manager around the checklist.
"""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

from flask import Flask
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from flows.line import load_line
from tests.conftest import LINE_NUMBER, FrozenClock, Twilio, sms_session

LINE = load_line()
# Answers, acknowledgements, keywords and names, as staff text them (Viva: 3 steps, on-call when all are done).
TEXTS = ["ja", "nej", "ok", "klar", "Tack!", "vet inte", "RING", "ring mig", "ja tack", "MENY", "kanske", "👍",
         "viva", "viv", "1", "2", "nä", "jo", "det funkar inte", "hej", "HJÄLP", "ja men det funkar inte"]
SENDERS = (f"+467017406{n:02d}" for n in itertools.count())  # staff numbers, a new conversation per example


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(TEXTS), min_size=1, max_size=12))
# Each way to the call-back is tried at least once: "ja" at the offer, RING after other replies, "ring mig".
@example(["viva", "nej", "ja", "nej", "ja"])
@example(["1", "2", "ok", "ja", "jo", "Tack!", "kanske", "RING"])
@example(["viv", "1", "nä", "vet inte", "nej", "det funkar inte", "ring mig"])
def test_a_call_back_follows_only_a_checklist_answered_to_the_end(
    app: Flask, clock: FrozenClock, texts: list[str]
) -> None:
    clock.set("2026-11-25T22:00")
    sender = next(SENDERS)
    twilio = Twilio(app.test_client())
    notifier = app.extensions["ivr.notifier"]
    store = app.extensions["ivr.store"]
    for index, body in enumerate(texts):
        calls_before = sum(1 for sent in notifier.sent if sent["kind"] == "call" and sent["to"] == sender)
        sid = f"SM{sender[-8:]}{index:024d}"
        response = twilio.post("/sms", From=sender, To=LINE_NUMBER, Body=body, MessageSid=sid)
        assert response.status_code == 200 and ET.fromstring(response.data).tag == "Response"
        calls = sum(1 for sent in notifier.sent if sent["kind"] == "call" and sent["to"] == sender)
        if calls == calls_before:
            continue
        assert calls == calls_before + 1
        events = store.events(sms_session(app, sender))
        chosen = max(i for i, event in enumerate(events) if event["kind"] == "system_chosen")
        since = events[chosen:]
        checklist = LINE.library.by_id(str(events[chosen]["system"]))
        answered = {event["data"]["step"] for event in since if event["kind"] == "answer"}
        # Other texters' reports answer nothing: every step must be this texter's own answer.
        outcomes = [event["data"]["outcome"] for event in since if event["kind"] == "outcome"]
        assert answered == {step.id for step in checklist.steps}, (texts[: index + 1], answered)
        assert outcomes == ["on_call_manager"], texts[: index + 1]
