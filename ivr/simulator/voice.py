"""The simulator's voice phone: calls the real webhooks in-process, as Twilio would.

The Phone signs every request the way Twilio does and follows the TwiML the
way Twilio would: <Say> is heard, <Gather> takes one key (barge-in: the key
applies whatever was still being said), <Dial> rings a number and, for a
screened <Number url=...>, plays the on-call manager's leg with the manager's
own keys. It needs no Twilio account and no network.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from ivr import parts
from ivr.simulator.common import (
    ACCOUNT_SID,
    DEFAULT_CALLER,
    LINE_NUMBER,
    MAX_REQUESTS,
    Conversation,
    Entry,
    HangUp,
    KeySource,
    Press,
    Record,
    Speech,
    Stop,
    capture_app_errors,
    key_source,
    last_session_outcome,
    manager_source,
    new_sid,
)

if TYPE_CHECKING:  # `ivr check` imports this module: keep Flask and Twilio out until a call
    from flask import Flask

BRIDGED_SECONDS = 120  # DialCallDuration reported for a connected call
SCREENING_SECONDS = 10  # ... for a screened leg the manager did not accept
ANSWERED = ("completed", "answered")  # DialCallStatus values meaning the callee picked up

Jump = tuple[str, str, dict[str, str]]  # the next request: URL, method, extra parameters


@dataclass(kw_only=True)
class Result(Record):
    """What happened on one simulated call."""

    JSON_ORDER = ("call_sid", "caller", "transcript", "dialed", "sms", "calls_placed", "outcome", "tickets", "requests",
                  "errors", "unused_keys", "unused_manager_keys", "unused_dial_status")

    call_sid: str
    caller: str
    unused_keys: list[str] = field(default_factory=list)


class Phone:
    """Places calls to the app through its test client, as Twilio would."""

    def __init__(
        self, app: Flask, caller: str = DEFAULT_CALLER, line_number: str = LINE_NUMBER,
        on_line: Callable[[Entry], None] | None = None, max_requests: int = MAX_REQUESTS,
        on_say: Callable[[ET.Element, bool], None] | None = None,
    ) -> None:
        self.app = app
        self.client = app.test_client()
        self.caller = caller
        self.line_number = line_number
        self.on_line = on_line  # called with each transcript line as it happens
        # Called with each <Say> element as it is heard (and True on a screened leg): bench/speech_length.py
        # measures the SSML itself, which the transcript's plain text leaves out.
        self.on_say = on_say
        self.max_requests = max_requests
        # Without PUBLIC_URL the app checks signatures against the URL it sees itself.
        self.base = (parts.settings(app).public_url or "http://localhost").rstrip("/")
        from twilio.request_validator import RequestValidator

        self.validator = RequestValidator(parts.settings(app).twilio_auth_token)

    def call(
        self, keys: KeySource | str | Iterable[str], *,
        manager_keys: KeySource | str | Iterable[str] | None = None,
        dial_status: Sequence[str] = (), call_sid: str | None = None,
    ) -> Result:
        """One whole call: dial the line, press the keys, return what was heard and done."""
        sid = call_sid or new_sid()
        caller_keys = key_source(keys)
        boss_keys = manager_source(manager_keys)
        statuses = list(dial_status)
        result = Result(call_sid=sid, caller=self.caller)
        run = _Call(self, result, caller_keys, boss_keys, statuses)
        with capture_app_errors(self.app) as app_errors:
            run.start()
        result.finish(app_errors, boss_keys, statuses)
        result.unused_keys = [str(token) for token in getattr(caller_keys, "remaining", [])]
        result.outcome = last_outcome(self.app, sid)
        return result


def spoken_text(say: ET.Element) -> str:
    """What a person hears from a <Say>: its text with SSML children read out (a <sub> as its alias, a
    <break> as nothing), whitespace collapsed. The golden transcripts show this, not the markup."""
    parts: list[str] = [say.text or ""]
    for child in say:
        if child.tag == "sub":
            parts.append(child.get("alias", ""))
        elif child.tag != "break":
            parts.append(spoken_text(child))
        parts.append(child.tail or "")
    return " ".join("".join(parts).split())


def last_outcome(app: Flask, sid: str) -> dict[str, Any] | None:
    """The data of the call's last "outcome" event in the app's store."""
    return last_session_outcome(app, f"voice:{sid}")


class _Call(Conversation[Phone, Result]):
    """One call in progress: the caller's leg and any screened legs it dials."""

    def __init__(
        self, phone: Phone, result: Result, keys: KeySource, manager_keys: KeySource,
        statuses: list[str],
    ) -> None:
        super().__init__(phone, result, manager_keys, statuses)
        self.keys = keys

    def start(self) -> None:
        """The caller dials the line."""
        params = {
            "CallSid": self.result.call_sid, "AccountSid": ACCOUNT_SID,
            "From": self.phone.caller, "To": self.phone.line_number,
            "CallStatus": "in-progress", "Direction": "inbound",
        }
        self.answer(self.phone.base + "/voice", params)

    def answer(self, url: str, params: dict[str, str]) -> str:
        """Follow a call from its first webhook; how it ended ("stopped" after an error or hang-up)."""
        try:
            return self.follow(url, "POST", params, self.keys, leg=False)
        except Stop:
            return "stopped"

    def follow(
        self, url: str, method: str, params: dict[str, str], keys: KeySource, leg: bool,
    ) -> str:
        """Fetch and play TwiML until the leg ends: "hangup", or "end" of a document."""
        document = self.request(url, method, params)
        while True:
            step = self.play(document, url, params, keys, leg)
            if isinstance(step, str):
                return step
            url, method, extra = step
            document = self.request(url, method, {**params, **extra})

    def play(
        self, document: ET.Element, url: str, params: dict[str, str], keys: KeySource, leg: bool,
    ) -> Jump | str:
        """Play one document's verbs: the next request to make, or how the leg ended."""
        for verb in document:
            if verb.tag == "Say":
                self.speak(verb, leg)
            elif verb.tag == "Gather":
                for child in verb:
                    if child.tag == "Say":
                        self.speak(child, leg)
                key = self.press(keys, leg)
                if isinstance(key, Speech):
                    # Heard only by a Gather that listens; otherwise it is silence to Twilio.
                    if "speech" in (verb.get("input") or "dtmf").split():
                        action = urljoin(url, verb.get("action") or url)
                        return action, verb.get("method", "POST"), {"SpeechResult": key.text,
                                                                    "Confidence": f"{key.confidence:g}"}
                    key = None
                # Twilio ends a Gather on its finishOnKey (default #) and leaves that key out.
                digits = "" if key is None or key == verb.get("finishOnKey", "#") else key
                if digits or verb.get("actionOnEmptyResult") == "true":
                    action = urljoin(url, verb.get("action") or url)
                    return action, verb.get("method", "POST"), {"Digits": digits}
            elif verb.tag == "Redirect":
                return urljoin(url, (verb.text or "").strip()), verb.get("method", "POST"), {}
            elif verb.tag in ("Hangup", "Reject"):
                return "hangup"
            elif verb.tag == "Dial":
                step = self.dial(verb, url, params)
                if step is not None:
                    return step
            elif verb.tag == "Play":
                self.say({"who": "line", "text": f"[ljud/audio: {(verb.text or '').strip()}]"})
            elif verb.tag != "Pause":
                self.system(f"okänt verb/unknown verb <{verb.tag}> hoppas över/skipped")
        return "end"

    def speak(self, say: ET.Element, leg: bool) -> None:
        """A <Say> heard by the caller, or by the manager on a screened leg."""
        if self.phone.on_say is not None:
            self.phone.on_say(say, leg)
        entry = {"who": "line", "text": spoken_text(say)}
        if leg:
            entry = {"who": "line", "to": "manager", "text": entry["text"]}
        self.say(entry)

    def press(self, keys: KeySource, leg: bool) -> Press | None:
        """The next key (or words) from whoever holds this phone."""
        who = "manager" if leg else "caller"
        try:
            key = keys()
        except HangUp:
            self.system("CHEFEN LÄGGER PÅ/manager hangs up" if leg
                        else "DU LÄGGER PÅ/caller hung up")
            raise Stop from None
        if isinstance(key, Speech):
            text = f'säger/says "{key.text}" ({key.confidence:g})'
        else:
            text = "(tystnad)" if key is None else key
        self.say({"who": who, "text": text})
        return key

    def dial(self, verb: ET.Element, url: str, params: dict[str, str]) -> Jump | str | None:
        """Ring the numbers of a <Dial>: its action request, "end", or None to go on."""
        numbers = [child for child in verb if child.tag == "Number"]
        targets = [(n.text or "").strip() for n in numbers] or [(verb.text or "").strip()]
        self.result.dialed.extend(targets)
        self.system(f"RINGER/DIALLING: {', '.join(targets)}")
        status = self.statuses.pop(0) if self.statuses else "completed"
        child_sid = new_sid()
        screened = next((n for n in numbers if n.get("url")), None)
        duration = 0
        if status not in ANSWERED:
            self.system(f"INGET SVAR/NOT CONNECTED: {status}")
        elif screened is None:
            duration = BRIDGED_SECONDS
            self.system(f"KOPPLAD/CONNECTED: {', '.join(targets)}")
        else:
            accepted = self.screen(screened, url, params, child_sid)
            # Twilio may report "completed" for a leg that hung up during screening:
            # the app must rely on the manager's key, never on the status.
            status = "completed"
            duration = BRIDGED_SECONDS if accepted else SCREENING_SECONDS
            if accepted:
                self.system(f"KOPPLAD/CONNECTED: {', '.join(targets)}")
        action = verb.get("action")
        if action is None:
            return "end" if status == "completed" else None
        # DialBridged: whether the legs were bridged (a screened leg only once the manager accepted).
        bridged = status in ANSWERED and (screened is None or duration == BRIDGED_SECONDS)
        extra = {"DialCallStatus": status, "DialCallSid": child_sid,
                 "DialCallDuration": str(duration), "DialBridged": "true" if bridged else "false"}
        return urljoin(url, action), verb.get("method", "POST"), extra

    def screen(self, number: ET.Element, url: str, params: dict[str, str], child_sid: str) -> bool:
        """The manager answers and hears the whisper; True when the leg ends bridged."""
        to = (number.text or "").strip()
        leg_params = {
            "CallSid": child_sid, "ParentCallSid": params["CallSid"], "AccountSid": ACCOUNT_SID,
            "From": params["From"], "To": to, "CallStatus": "in-progress",
            "Direction": "outbound-dial",
        }
        self.system(f"SVARAR/ANSWERS: {to} (samtalet granskas/call screening)")
        whisper = urljoin(url, str(number.get("url")))
        try:
            ended = self.follow(whisper, number.get("method", "POST"), leg_params,
                                self.manager_keys, leg=True)
        except Stop:
            ended = "stopped"
        accepted = ended == "end"
        self.system("CHEFEN TAR SAMTALET/manager accepts" if accepted
                    else "CHEFEN TAR INTE SAMTALET/manager does not accept")
        return accepted

    def request(self, url: str, method: str, params: dict[str, str]) -> ET.Element:
        """One signed webhook request; the TwiML document it returns."""
        if self.result.requests >= self.phone.max_requests:
            self.error(f"more than {self.phone.max_requests} webhook requests in one call")
        self.result.requests += 1
        if not url.startswith(self.phone.base + "/"):
            self.error(f"TwiML points outside the app: {url}")
        response, request = self.signed(url, method, params)
        self.collect_notifications()
        return self.twiml(response, request)
