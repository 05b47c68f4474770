"""`ivr simulate`: a phone in the terminal that calls the real webhooks in-process.

The Phone signs every request the way Twilio does and follows the TwiML the
way Twilio would: <Say> is heard, <Gather> takes one key (barge-in: the key
applies whatever was still being said), <Dial> rings a number and, for a
screened <Number url=...>, plays the on-call manager's leg with the manager's
own keys. It needs no Twilio account and no network.

SmsPhone is the second driver: it texts /sms as Twilio does (one signed
webhook per message, a new MessageSid each, or the same one for a retry),
prints the <Message> replies, lets time pass between messages on a frozen
clock, and answers the call the line places after RING with Phone's voice
machinery (the carer picks up, the on-call manager presses keys).
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlencode, urljoin, urlsplit
from zoneinfo import ZoneInfo

import click

from flows.calendar import CalendarError, load_office_hours
from flows.line import DEFAULT_CHECKLISTS, DEFAULT_CONFIG
from flows.yamlfile import DataError

if TYPE_CHECKING:  # `ivr check` imports this module: keep Flask and Twilio out until a call
    from flask import Flask

PUBLIC_URL = "https://felsokningslinjen.invalid"  # .invalid: never resolvable, never a real host
LINE_NUMBER = "+46141225000"  # the number staff call (To)
DEFAULT_CALLER = "+46701740699"  # PTS' range for fiction: never a real person
ACCOUNT_SID = "AC" + "0" * 32
MAX_REQUESTS = 200  # webhook requests per call before the phone gives up (a loop in the TwiML)
KEYS = frozenset("0123456789*#")
SILENCE = "-"
BRIDGED_SECONDS = 120  # DialCallDuration reported for a connected call
SCREENING_SECONDS = 10  # ... for a screened leg the manager did not accept
ANSWERED = ("completed", "answered")  # DialCallStatus values meaning the callee picked up

Entry = dict[str, str]  # one transcript line: {"who": ..., "text": ...}
Jump = tuple[str, str, dict[str, str]]  # the next request: URL, method, extra parameters


class HangUp(Exception):
    """The person holding this phone puts it down."""


KeySource = Callable[[], str | None]  # a key, or None for silence; raises HangUp


def parse_keys(keys: str | Iterable[str]) -> list[str]:
    """Tokens from "1 1 2 -" (or a list); "-" is silence. ValueError names a bad token."""
    tokens = keys.split() if isinstance(keys, str) else [str(token) for token in keys]
    for token in tokens:
        if token != SILENCE and token not in KEYS:
            raise ValueError(f"not a phone key: {token!r} (use 0-9, *, # or - for silence)")
    return tokens


class ScriptedKeys:
    """Keys from a list; when it runs out, the person hangs up."""

    def __init__(self, keys: str | Iterable[str]) -> None:
        self.remaining = parse_keys(keys)

    def __call__(self) -> str | None:
        if not self.remaining:
            raise HangUp
        token = self.remaining.pop(0)
        return None if token == SILENCE else token


PROMPT_HELP = ("Tryck en knapp och Enter: 0-9, * eller #. Bara Enter = tystnad, q = lägg på.\n"
               "Press a key and Enter: 0-9, * or #. Just Enter = silence, q = hang up.")


def prompt_keys(label: str = "DU") -> KeySource:
    """Ask at the terminal: one key, Enter for silence, q to hang up."""

    def ask() -> str | None:
        while True:
            text = click.prompt(label, default="", show_default=False, prompt_suffix=" > ").strip()
            if text.lower() == "q":
                raise HangUp
            if text in ("", SILENCE):
                return None
            if text in KEYS:
                return text
            click.echo("En knapp: 0-9, * eller #. / One key: 0-9, * or #.", err=True)

    return ask


def always(key: str) -> KeySource:
    """Someone who presses the same key every time (the default on-call manager: 1)."""
    return lambda: key


def key_source(keys: KeySource | str | Iterable[str]) -> KeySource:
    """A callable as is; a string or list becomes ScriptedKeys."""
    if isinstance(keys, str) or not callable(keys):
        return ScriptedKeys(keys)
    return keys


@dataclass
class Result:
    """What happened on one simulated call."""

    call_sid: str
    caller: str
    transcript: list[Entry] = field(default_factory=list)
    dialed: list[str] = field(default_factory=list)
    sms: list[dict[str, Any]] = field(default_factory=list)  # recorded by the app's LogNotifier
    calls_placed: list[dict[str, Any]] = field(default_factory=list)  # call-backs, likewise
    outcome: dict[str, Any] | None = None  # data of the call's last "outcome" event
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    # What a script held that the call never used: a golden case with leftovers is broken.
    unused_keys: list[str] = field(default_factory=list)
    unused_manager_keys: list[str] = field(default_factory=list)
    unused_dial_status: list[str] = field(default_factory=list)


class Stop(Exception):
    """This leg of the call is over (hang-up, an error, or the request limit)."""


class Phone:
    """Places calls to the app through its test client, as Twilio would."""

    def __init__(
        self, app: Flask, caller: str = DEFAULT_CALLER, line_number: str = LINE_NUMBER,
        on_line: Callable[[Entry], None] | None = None, max_requests: int = MAX_REQUESTS,
    ) -> None:
        self.app = app
        self.client = app.test_client()
        self.caller = caller
        self.line_number = line_number
        self.on_line = on_line  # called with each transcript line as it happens
        self.max_requests = max_requests
        # Without PUBLIC_URL the app checks signatures against the URL it sees itself.
        self.base = str(app.config.get("PUBLIC_URL") or "http://localhost").rstrip("/")
        from twilio.request_validator import RequestValidator

        self.validator = RequestValidator(str(app.config["TWILIO_AUTH_TOKEN"]))

    def call(
        self, keys: KeySource | str | Iterable[str], *,
        manager_keys: KeySource | str | Iterable[str] | None = None,
        dial_status: Sequence[str] = (), call_sid: str | None = None,
    ) -> Result:
        """One whole call: dial the line, press the keys, return what was heard and done."""
        sid = call_sid or new_sid()
        caller_keys = key_source(keys)
        boss_keys = always("1") if manager_keys is None else key_source(manager_keys)
        statuses = list(dial_status)
        result = Result(call_sid=sid, caller=self.caller)
        run = _Call(self, result, caller_keys, boss_keys, statuses)
        with capture_app_errors(self.app) as app_errors:
            run.start()
        result.errors.extend(app_errors)
        result.unused_keys = list(getattr(caller_keys, "remaining", []))
        result.unused_manager_keys = list(getattr(boss_keys, "remaining", []))
        result.unused_dial_status = statuses
        result.outcome = last_outcome(self.app, sid)
        return result


def new_sid(prefix: str = "CA") -> str:
    """A Twilio-shaped id: two letters and 32 hex digits."""
    return prefix + secrets.token_hex(16)


def last_outcome(app: Flask, sid: str) -> dict[str, Any] | None:
    """The data of the call's last "outcome" event in the app's store."""
    events = app.extensions["ivr.store"].events(f"voice:{sid}")
    outcomes = [event["data"] for event in events if event["kind"] == "outcome"]
    return dict(outcomes[-1]) if outcomes else None


@contextmanager
def capture_app_errors(app: Flask) -> Iterator[list[str]]:
    """Errors the app logs during the call (its error handler answers 200 with fallback TwiML)."""
    found: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            found.append(f"app logged: {record.getMessage()}")

    handler = Collect(logging.ERROR)
    app.logger.addHandler(handler)
    try:
        yield found
    finally:
        app.logger.removeHandler(handler)


class _Call:
    """One call in progress: the caller's leg and any screened legs it dials."""

    def __init__(
        self, phone: Phone, result: Result, keys: KeySource, manager_keys: KeySource,
        statuses: list[str],
    ) -> None:
        self.phone = phone
        self.result = result
        self.keys = keys
        self.manager_keys = manager_keys
        self.statuses = statuses
        from ivr.notify import LogNotifier

        notifier = phone.app.extensions.get("ivr.notifier")
        self.notifier = notifier if isinstance(notifier, LogNotifier) else None
        self.seen = len(self.notifier.sent) if self.notifier else 0

    def say(self, entry: Entry) -> None:
        """Add a transcript line."""
        self.result.transcript.append(entry)
        if self.phone.on_line is not None:
            self.phone.on_line(entry)

    def system(self, text: str) -> None:
        """A line about the call rather than in it."""
        self.say({"who": "system", "text": text})

    def error(self, text: str) -> NoReturn:
        """An error ends this leg."""
        self.result.errors.append(text)
        self.system(f"FEL/ERROR: {text}")
        raise Stop

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
        entry = {"who": "line", "text": " ".join((say.text or "").split())}
        if leg:
            entry = {"who": "line", "to": "manager", "text": entry["text"]}
        self.say(entry)

    def press(self, keys: KeySource, leg: bool) -> str | None:
        """The next key from whoever holds this phone."""
        who = "manager" if leg else "caller"
        try:
            key = keys()
        except HangUp:
            self.system("CHEFEN LÄGGER PÅ/manager hangs up" if leg
                        else "DU LÄGGER PÅ/caller hung up")
            raise Stop from None
        self.say({"who": who, "text": "(tystnad)" if key is None else key})
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
        extra = {"DialCallStatus": status, "DialCallSid": child_sid,
                 "DialCallDuration": str(duration)}
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
        if method.upper() == "GET":
            url = url + ("&" if "?" in url else "?") + urlencode(params)
            signed: dict[str, str] = {}
        else:
            signed = params
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        signature = self.phone.validator.compute_signature(url, signed)
        response = self.phone.client.open(
            path, method=method.upper(), data=signed or None,
            headers={"X-Twilio-Signature": signature},
        )
        self.collect_notifications()
        if response.status_code != 200:
            self.error(f"{method.upper()} {path} answered HTTP {response.status_code}")
        try:
            document = ET.fromstring(response.get_data())
        except ET.ParseError as exc:
            self.error(f"{method.upper()} {path} did not answer with XML: {exc}")
        if document.tag != "Response":
            self.error(f"{method.upper()} {path} answered <{document.tag}>, not <Response>")
        return document

    def collect_notifications(self) -> None:
        """SMS and call-backs the app's LogNotifier recorded during the last request."""
        if self.notifier is None:
            return
        for item in self.notifier.sent[self.seen:]:
            if item["kind"] == "sms":
                self.result.sms.append(item)
                self.system(f"SMS till/to {item['to']}: {item['body']}")
            else:
                self.result.calls_placed.append(item)
                self.system(f"UTGÅENDE SAMTAL/OUTBOUND CALL: {item['to']}")
        self.seen = len(self.notifier.sent)


# --- SMS ---------------------------------------------------------------------------------

DUPLICATE = "@dup"  # Twilio retries the previous message: same MessageSid
WAIT = re.compile(r"^@\+(\d{1,6})([smhd]?)$")  # "@+130m": time passes before the next message
UNITS = {"s": "seconds", "m": "minutes", "": "minutes", "h": "hours", "d": "days"}
MESSAGE_PARAMS = ("From", "To", "Body", "MessageSid", "AccountSid", "NumMedia")

Send = tuple[str, str | timedelta]  # ("text", body), ("wait", how long) or ("dup", "")
SendSource = Callable[[], str | None]  # the next --send token, or None: the conversation ends


def parse_send(token: str) -> Send:
    """One --send token: a message, "@+130m" (time passes), "@dup" (a retry), "@@x" (the text "@x")."""
    if token.startswith("@@"):
        return "text", token[1:]
    if token == DUPLICATE:
        return "dup", ""
    wait = WAIT.match(token)
    if wait:
        return "wait", timedelta(**{UNITS[wait.group(2)]: int(wait.group(1))})
    if token.startswith("@"):
        raise ValueError(f"unknown token {token!r}: use @+130m (s, m, h, d), @dup, or @@ for a leading @")
    return "text", token


def parse_sends(tokens: Iterable[str]) -> list[str]:
    """Check a list of --send tokens; ValueError names the first bad one."""
    checked = [str(token) for token in tokens]
    texted = False
    for token in checked:
        kind, _ = parse_send(token)
        if kind == "dup" and not texted:
            raise ValueError(f"{DUPLICATE} before any message: there is nothing to re-send")
        texted = texted or kind == "text"
    return checked


class ScriptedSends:
    """Messages from a list; when it runs out, the conversation ends."""

    def __init__(self, tokens: Iterable[str]) -> None:
        self.remaining = parse_sends(tokens)

    def __call__(self) -> str | None:
        return self.remaining.pop(0) if self.remaining else None


SMS_PROMPT_HELP = ("Skriv ett sms och Enter. Tom rad eller q = sluta. @+130m = 130 minuter går, "
                   "@dup = Twilio skickar förra sms:et igen.\n"
                   "Type a text and Enter. Empty line or q = stop. @+130m = 130 minutes pass, "
                   "@dup = Twilio re-sends the previous text.")


def prompt_sends(label: str = "DU") -> SendSource:
    """Ask at the terminal for each message; an empty line, q or end of input ends."""

    def ask() -> str | None:
        while True:
            try:
                text = click.prompt(label, default="", show_default=False, prompt_suffix=" > ")
            except click.Abort:  # end of input (Ctrl-D) or Ctrl-C
                return None
            if text.strip() in ("", "q", "Q"):
                return None
            try:
                parse_send(text)
            except ValueError as exc:
                click.echo(str(exc), err=True)
                continue
            return str(text)

    return ask


class ShiftedClock:
    """The app's clock plus the time a conversation has let pass ("@+130m")."""

    def __init__(self, base: Callable[[], datetime]) -> None:
        self.base = base
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return self.base() + self.offset


@dataclass
class SmsResult:
    """What happened in one simulated SMS conversation."""

    sender: str
    transcript: list[Entry] = field(default_factory=list)
    replies: list[list[str]] = field(default_factory=list)  # the <Message> texts, per webhook
    calls_placed: list[dict[str, Any]] = field(default_factory=list)  # call-backs (LogNotifier)
    dialed: list[str] = field(default_factory=list)  # numbers the call-backs dialled
    sms: list[dict[str, Any]] = field(default_factory=list)  # SMS the app sent (LogNotifier)
    outcome: dict[str, Any] | None = None  # data of the sender's session's last "outcome" event
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    unused_sends: list[str] = field(default_factory=list)
    unused_manager_keys: list[str] = field(default_factory=list)
    unused_dial_status: list[str] = field(default_factory=list)


class SmsPhone:
    """Texts the app through its test client, as Twilio would, and answers its call-backs.

    It installs a ShiftedClock around the app's clock, so that "@+130m" can let
    time pass on a frozen clock (the simulator's and the tests').
    """

    def __init__(
        self, app: Flask, sender: str = DEFAULT_CALLER, line_number: str = LINE_NUMBER,
        on_line: Callable[[Entry], None] | None = None, max_requests: int = MAX_REQUESTS,
    ) -> None:
        self.app = app
        self.sender = sender
        self.line_number = line_number
        self.on_line = on_line
        # The carer's phone for call-backs: Phone's machinery, its lines marked as the call's.
        self.voice = Phone(app, caller=sender, line_number=line_number, on_line=self._call_line,
                           max_requests=max_requests)
        self.client = self.voice.client
        self.base = self.voice.base
        self.validator = self.voice.validator
        clock = app.extensions["ivr.clock"]
        if not isinstance(clock, ShiftedClock):
            clock = ShiftedClock(clock)
            app.extensions["ivr.clock"] = clock
        self.clock: ShiftedClock = clock
        self._conversation: _Texting | None = None

    def converse(
        self, sends: SendSource | Iterable[str], *,
        manager_keys: KeySource | str | Iterable[str] | None = None,
        dial_status: Sequence[str] = (),
    ) -> SmsResult:
        """A whole conversation: send each message, print the replies, answer any call-back."""
        source: SendSource = sends if callable(sends) else ScriptedSends(sends)
        boss_keys = always("1") if manager_keys is None else key_source(manager_keys)
        statuses = list(dial_status)
        result = SmsResult(sender=self.sender)
        run = _Texting(self, result, boss_keys, statuses)
        self._conversation = run
        try:
            with capture_app_errors(self.app) as app_errors:
                run.run(source)
        finally:
            self._conversation = None
        result.errors.extend(app_errors)
        result.unused_sends = list(getattr(source, "remaining", []))
        result.unused_manager_keys = list(getattr(boss_keys, "remaining", []))
        result.unused_dial_status = statuses
        from ivr.privacy import sms_session_id  # Flask: only when simulating

        with self.app.app_context():  # the session id is a keyed pseudonym of the sender
            session_id = sms_session_id(self.sender)
        result.outcome = last_session_outcome(self.app, session_id)
        return result

    def _call_line(self, entry: Entry) -> None:
        """A transcript line of a call-back, said in the conversation's transcript."""
        if self._conversation is not None:
            self._conversation.say({**entry, "via": "call"} if entry["who"] != "system" else entry)


def last_session_outcome(app: Flask, session_id: str) -> dict[str, Any] | None:
    """The data of a session's last "outcome" event in the app's store."""
    events = app.extensions["ivr.store"].events(session_id)
    outcomes = [event["data"] for event in events if event["kind"] == "outcome"]
    return dict(outcomes[-1]) if outcomes else None


class _Texting:
    """One SMS conversation in progress."""

    def __init__(self, phone: SmsPhone, result: SmsResult, manager_keys: KeySource,
                 statuses: list[str]) -> None:
        self.phone = phone
        self.result = result
        self.manager_keys = manager_keys
        self.statuses = statuses
        self.previous: tuple[str, str] | None = None  # (body, MessageSid) of the last message
        from ivr.notify import LogNotifier

        notifier = phone.app.extensions.get("ivr.notifier")
        self.notifier = notifier if isinstance(notifier, LogNotifier) else None
        self.seen = len(self.notifier.sent) if self.notifier else 0

    def say(self, entry: Entry) -> None:
        """Add a transcript line."""
        self.result.transcript.append(entry)
        if self.phone.on_line is not None:
            self.phone.on_line(entry)

    def system(self, text: str) -> None:
        """A line about the conversation rather than in it."""
        self.say({"who": "system", "text": text})

    def error(self, text: str) -> NoReturn:
        """An error ends the conversation."""
        self.result.errors.append(text)
        self.system(f"FEL/ERROR: {text}")
        raise Stop

    def run(self, source: SendSource) -> None:
        """Send until the source runs out (or an error stops the conversation)."""
        try:
            while (token := source()) is not None:
                kind, value = parse_send(token)
                if isinstance(value, timedelta):
                    self.wait(value)
                elif kind == "dup":
                    if self.previous is None:
                        self.system(f"{DUPLICATE}: inget sms att skicka igen/nothing to re-send")
                        continue
                    body, sid = self.previous
                    self.system(f"TWILIO SKICKAR IGEN/RETRIES: {body} (samma/same MessageSid)")
                    self.text(body, sid)
                else:
                    self.say({"who": "caller", "text": value})
                    self.text(value, new_sid("SM"))
        except Stop:
            pass

    def wait(self, how_long: timedelta) -> None:
        """Let time pass on the app's clock before the next message."""
        self.phone.clock.offset += how_long
        line = self.phone.app.extensions["ivr.line"]
        moment = line.calendar.local(self.phone.clock())
        seconds = int(how_long.total_seconds())
        amount = f"{seconds // 60} min" if seconds % 60 == 0 else f"{seconds} s"
        self.system(f"TID GÅR/TIME PASSES: {amount}, nu/now {moment:%Y-%m-%d %H:%M}")

    def text(self, body: str, sid: str) -> None:
        """POST one message to /sms; say the replies, then answer any call it placed."""
        self.previous = (body, sid)
        params = {"From": self.phone.sender, "To": self.phone.line_number, "Body": body,
                  "MessageSid": sid, "AccountSid": ACCOUNT_SID, "NumMedia": "0"}
        replies = self.request("/sms", params)
        self.result.replies.append(replies)
        for reply in replies:
            self.say({"who": "line", "text": reply})
        if not replies:
            self.system("INGET SVAR/NO REPLY")
        for item in self.collect_notifications():
            self.answer(item)

    def request(self, path: str, params: dict[str, str]) -> list[str]:
        """One signed SMS webhook; the texts of its <Message>s."""
        if self.result.requests >= self.phone.voice.max_requests:
            self.error(f"more than {self.phone.voice.max_requests} SMS webhooks in one conversation")
        self.result.requests += 1
        signature = self.phone.validator.compute_signature(self.phone.base + path, params)
        response = self.phone.client.post(path, data=params, headers={"X-Twilio-Signature": signature})
        if response.status_code != 200:
            self.error(f"POST {path} answered HTTP {response.status_code}")
        try:
            document = ET.fromstring(response.get_data())
        except ET.ParseError as exc:
            self.error(f"POST {path} did not answer with XML: {exc}")
        if document.tag != "Response":
            self.error(f"POST {path} answered <{document.tag}>, not <Response>")
        texts: list[str] = []
        for verb in document:
            if verb.tag != "Message":
                self.system(f"okänt verb/unknown verb <{verb.tag}> hoppas över/skipped")
                continue
            body = verb.find("Body")
            texts.append(((body if body is not None else verb).text or "").strip())
        return texts

    def collect_notifications(self) -> list[dict[str, Any]]:
        """SMS and calls the app's LogNotifier recorded; the calls, to be answered."""
        calls: list[dict[str, Any]] = []
        if self.notifier is None:
            return calls
        for item in self.notifier.sent[self.seen:]:
            if item["kind"] == "sms":
                self.result.sms.append(item)
                self.system(f"SMS till/to {item['to']}: {item['body']}")
            else:
                self.result.calls_placed.append(item)
                self.system(f"UTGÅENDE SAMTAL/OUTBOUND CALL: {item['to']}")
                calls.append(item)
        self.seen = len(self.notifier.sent)
        return calls

    def answer(self, item: dict[str, Any]) -> None:
        """The carer answers the line's call: follow its TwiML like any call."""
        voice = self.phone.voice
        to = str(item["to"])
        url = str(item["url"])
        call = Result(call_sid=new_sid(), caller=to)
        # The carer presses nothing: a <Gather> for the carer would end the call ("hangs up").
        run = _Call(voice, call, ScriptedKeys([]), self.manager_keys, self.statuses)
        if to != self.phone.sender:
            self.system(f"FEL/ERROR: the call goes to {to}, not to the texter {self.phone.sender}")
            self.result.errors.append(f"call-back to {to}, not to {self.phone.sender}")
        self.system(f"DU SVARAR/YOU ANSWER: samtal från/call from {item.get('from') or '?'}")
        params = {
            "CallSid": call.call_sid, "AccountSid": ACCOUNT_SID,
            "From": str(item.get("from") or self.phone.line_number), "To": to,
            "CallStatus": "in-progress", "Direction": "outbound-api",
        }
        ended = run.answer(url, params)
        self.system(f"SAMTALET SLUT/CALL ENDS ({ended})")
        self.result.requests += call.requests
        self.result.dialed.extend(call.dialed)
        self.result.sms.extend(call.sms)
        self.result.calls_placed.extend(call.calls_placed)  # never answered: no call-back loops
        self.result.errors.extend(call.errors)
        if self.notifier is not None:
            self.seen = len(self.notifier.sent)


# --- the command -------------------------------------------------------------------------

LABELS = {"line": "LINJEN", "caller": "DU", "manager": "CHEFEN"}


def format_entry(entry: Entry) -> str:
    """One transcript line for the terminal."""
    if entry["who"] == "system":
        return f"  -- {entry['text']}"
    if entry.get("to") == "manager":
        return f"    LINJEN -> CHEFEN: {entry['text']}"
    indent = "    " if entry["who"] == "manager" else ""
    if entry.get("via") == "call" and entry["who"] != "manager":
        indent = "  (samtal/call) "  # SMS mode: said on the call-back, not texted
    return f"{indent}{LABELS[entry['who']]}: {entry['text']}"


def parse_moment(text: str | None, zone: ZoneInfo) -> datetime:
    """--at: ISO date-time; naive means the line's local time."""
    if not text:
        return datetime.now(UTC)
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def line_zone(config_dir: Path) -> ZoneInfo:
    """The time zone office hours are written in."""
    return ZoneInfo(load_office_hours(config_dir / "office_hours.yaml").timezone)


SEND_HELP = (
    'A text to send (SMS mode, implies --sms); repeat it for each message, in order. '
    'Special tokens: "@+130m" lets 130 minutes pass before the next message (units s, m, h, d; '
    'otherwise the clock stays frozen), "@dup" has Twilio re-send the previous message with the '
    'same MessageSid, "@@text" sends "@text". Without --send: ask for each message.'
)


@click.command()
@click.option("--sms", "sms_mode", is_flag=True,
              help="Text the line instead of calling it (the /sms webhook, one message per turn).")
@click.option("--send", "sends", multiple=True, metavar="TEXT", help=SEND_HELP)
@click.option("--keys", default=None,
              help='Keys to press, e.g. "1 1 2 1"; "-" is silence. Without it: ask at each prompt.')
@click.option("--at", "at", default=None, metavar="DATETIME",
              help="Moment of the call or first message, e.g. 2026-12-24T22:00 (local time unless "
                   "an offset is given); frozen for the whole call (SMS: until an @+ token). "
                   "Default: now.")
@click.option("--from", "caller", default=DEFAULT_CALLER, show_default=True,
              help="The caller's or texter's number (E.164).")
@click.option("--dial-status", default="", show_default="completed",
              help="How each <Dial> ends, one per dial in order, comma-separated "
                   "(completed, no-answer, busy, failed, canceled); then completed. "
                   "SMS: the dials of the call-back after RING.")
@click.option("--manager-keys", default=None, show_default="always 1",
              help='Keys the on-call manager presses on screened calls, e.g. "2 -".')
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--checklists", "checklists_dir", type=click.Path(path_type=Path),
              default=DEFAULT_CHECKLISTS, show_default="checklists/",
              help="Folder of checklist YAML files.")
@click.option("--config", "config_dir", type=click.Path(path_type=Path), default=DEFAULT_CONFIG,
              show_default="config/", help="Folder of settings YAML files.")
@click.option("--database", default=None, metavar="URL",
              help="Database URL. Default: SQLite in a fresh temporary folder, so the "
                   "simulator never touches the server's data.")
def simulate(
    sms_mode: bool, sends: tuple[str, ...], keys: str | None, at: str | None, caller: str,
    dial_status: str, manager_keys: str | None, as_json: bool, checklists_dir: Path,
    config_dir: Path, database: str | None,
) -> None:
    """Call or text the line from the terminal: the real webhooks, no Twilio account.

    \b
    Examples:
      ivr simulate                                   # press keys as prompted
      ivr simulate --keys "1 2 1 1" --at 2026-11-25T22:00
      ivr simulate --keys "6 1 2 2 2 2" --at 2026-11-25T22:00 --manager-keys "- 2"
      ivr simulate --keys "4 1 1 2 2 1" --at 2026-11-25T10:00 --dial-status no-answer
      ivr simulate --sms                             # type each text as prompted
      ivr simulate --sms --at 2026-11-25T22:00 --send viva --send nej --send ja \\
                   --send ja --send RING                 # on-call: the line calls you back
      ivr simulate --sms --send npö --send "@+130m" --send ja   # the conversation expires
      ivr simulate --sms --send viva --send nej --send "@dup"   # Twilio retries a message

    Keys: 1-9 at the menu, 1 yes / 2 no at a step, * repeats, 0 back to the
    menu, # English; "-" is silence. SMS: a digit or a system's name, then
    JA/NEJ (or 1/2) for each step; MENY, HJÄLP, AVSLUTA, ENGLISH, SVENSKA; RING
    after an on-call offer makes the line call you back, and the simulator
    answers that call. The database is a fresh temporary SQLite file unless
    --database is given.
    """
    from ivr import create_app  # the web stack only when simulating
    from ivr.notify import LogNotifier

    sms_mode = sms_mode or bool(sends)
    if sms_mode and keys is not None:
        raise click.UsageError("--keys is for calls; in SMS mode use --send")
    try:
        zone = line_zone(config_dir)
    except CalendarError as exc:
        raise click.BadParameter(str(exc), param_hint="--config") from None
    try:
        moment = parse_moment(at, zone)
    except ValueError:
        raise click.BadParameter(f"not an ISO date and time: {at!r}", param_hint="--at") from None
    caller_keys: KeySource = prompt_keys()
    texts: SendSource = prompt_sends()
    try:
        if sms_mode and sends:
            texts = ScriptedSends(sends)
        elif not sms_mode and keys is not None:
            caller_keys = ScriptedKeys(keys)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--send" if sms_mode else "--keys") from None
    try:
        boss_keys = always("1") if manager_keys is None else ScriptedKeys(manager_keys)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--manager-keys") from None
    statuses = [status.strip() for status in dial_status.split(",") if status.strip()]
    result: Result | SmsResult
    with tempfile.TemporaryDirectory(prefix="ivr-simulate-", ignore_cleanup_errors=True) as tmp:
        url = database or f"sqlite:///{Path(tmp) / 'simulate.sqlite3'}"
        try:
            app = create_app({
                "TWILIO_AUTH_TOKEN": secrets.token_hex(16), "PUBLIC_URL": PUBLIC_URL,
                "DATABASE_URL": url, "CLOCK": lambda: moment, "NOTIFIER": LogNotifier(),
                "CHECKLISTS_DIR": str(checklists_dir), "CONFIG_DIR": str(config_dir),
            })
        except DataError as exc:
            for problem in exc.problems:
                click.echo(f"error: {problem}", err=True)
            raise SystemExit(1) from None
        try:
            if sms_mode:
                result = run_texts(app, moment, caller, texts, boss_keys, statuses, as_json)
            else:
                result = run_call(app, moment, caller, caller_keys, boss_keys, statuses, as_json)
        finally:
            app.extensions["ivr.store"].dispose()
    if as_json:
        click.echo(json.dumps(asdict(result), ensure_ascii=False, indent=2, default=str))
    else:
        outcome = result.outcome["outcome"] if result.outcome else "-"
        click.echo(f"Utfall/outcome: {outcome}")
        unused = (("sms/sends", result.unused_sends),) if isinstance(result, SmsResult) else (
            ("knappar/keys", result.unused_keys),)
        for label, left in (*unused, ("chefens knappar/manager keys", result.unused_manager_keys),
                            ("dial-status", result.unused_dial_status)):
            if left:
                click.echo(f"Obs/note: oanvända/unused {label}: {' '.join(left)}")
    if result.errors:
        raise SystemExit(1)


def header(app: Flask, moment: datetime) -> tuple[datetime, str]:
    """The local time and "office hours" or "after hours", for the first line printed."""
    line = app.extensions["ivr.line"]
    open_now = line.calendar.is_office_hours(moment)
    return line.calendar.local(moment), ("kontorstid/office hours" if open_now
                                         else "utanför kontorstid/after hours")


def run_call(
    app: Flask, moment: datetime, caller: str, keys: KeySource, manager_keys: KeySource,
    statuses: list[str], quiet: bool,
) -> Result:
    """Print a header, then the transcript as it happens (unless quiet)."""
    on_line = None if quiet else (lambda entry: click.echo(format_entry(entry)))
    if not quiet:
        local, hours = header(app, moment)
        click.echo(f"Samtal/call {local:%Y-%m-%d %H:%M %Z} ({hours}) från/from {caller}")
        if not isinstance(keys, ScriptedKeys):
            click.echo(PROMPT_HELP)
    phone = Phone(app, caller=caller, on_line=on_line)
    return phone.call(keys, manager_keys=manager_keys, dial_status=statuses)


def run_texts(
    app: Flask, moment: datetime, sender: str, sends: SendSource, manager_keys: KeySource,
    statuses: list[str], quiet: bool,
) -> SmsResult:
    """Print a header, then the conversation as it happens (unless quiet)."""
    on_line = None if quiet else (lambda entry: click.echo(format_entry(entry)))
    if not quiet:
        local, hours = header(app, moment)
        click.echo(f"SMS {local:%Y-%m-%d %H:%M %Z} ({hours}) från/from {sender} till/to {LINE_NUMBER}")
        if not isinstance(sends, ScriptedSends):
            click.echo(SMS_PROMPT_HELP)
    phone = SmsPhone(app, sender=sender, on_line=on_line)
    return phone.converse(sends, manager_keys=manager_keys, dial_status=statuses)
