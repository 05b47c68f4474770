"""What the simulator's two phones share: Twilio's ids and signatures, the keys a person presses,
and the transcript of a call or SMS conversation in progress (voice.py, sms.py).
"""

from __future__ import annotations

import logging
import re
import secrets
import shlex
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, NoReturn, Protocol, TypeVar
from urllib.parse import urlencode, urlsplit

import click

from ivr import parts

if TYPE_CHECKING:  # `ivr check` imports this module: keep Flask and Twilio out until a call
    from flask import Flask
    from flask.testing import FlaskClient
    from werkzeug.test import TestResponse

PUBLIC_URL = "https://felsokningslinjen.invalid"  # .invalid: never resolvable, never a real host
LINE_NUMBER = "+46141225000"  # the number staff call (To)
DEFAULT_CALLER = "+46701740699"  # PTS' range for fiction: never a real person
ACCOUNT_SID = "AC" + "0" * 32
MAX_REQUESTS = 200  # webhook requests per call before the phone gives up (a loop in the TwiML)
KEYS = frozenset("0123456789*#")
SILENCE = "-"

Entry = dict[str, str]  # one transcript line: {"who": ..., "text": ...}


class HangUp(Exception):
    """The person holding this phone puts it down."""


class Stop(Exception):
    """This leg of the call is over (hang-up, an error, or the request limit)."""


@dataclass(frozen=True)
class Speech:
    """Words said into the phone, as Twilio's recogniser reports them (SpeechResult, Confidence)."""

    text: str
    confidence: float

    def __str__(self) -> str:
        return f"{shlex.quote(self.text)}@{self.confidence:g}"


# Speech in a script: the words, "@", the recogniser's confidence: ja@0.92, "viva omsorg"@0.4.
SPEECH_TOKEN = re.compile(r"^(?P<text>[^@]+)@(?P<confidence>0(?:\.\d+)?|1(?:\.0+)?)$")

Press = str | Speech  # what a person does at a prompt: a key, or words
KeySource = Callable[[], Press | None]  # a key or words, or None for silence; raises HangUp


def parse_keys(keys: str | Iterable[str]) -> list[Press]:
    """Tokens from "1 1 2 - ja@0.9" (or a list); "-" is silence. ValueError names a bad token."""
    tokens = shlex.split(keys) if isinstance(keys, str) else [str(token) for token in keys]
    parsed: list[Press] = []
    for token in tokens:
        speech = SPEECH_TOKEN.match(token)
        if speech:
            parsed.append(Speech(speech.group("text"), float(speech.group("confidence"))))
        elif token != SILENCE and token not in KEYS:
            raise ValueError(f"not a phone key: {token!r} (use 0-9, *, #, - for silence, or words@confidence)")
        else:
            parsed.append(token)
    return parsed


class ScriptedKeys:
    """Keys from a list; when it runs out, the person hangs up."""

    def __init__(self, keys: str | Iterable[str]) -> None:
        self.remaining = parse_keys(keys)

    def __call__(self) -> Press | None:
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


def manager_source(manager_keys: KeySource | str | Iterable[str] | None) -> KeySource:
    """The on-call manager's keys: as given, or always 1 (accepts every screened call)."""
    return always("1") if manager_keys is None else key_source(manager_keys)


def new_sid(prefix: str = "CA") -> str:
    """A Twilio-shaped id: two letters and 32 hex digits."""
    return prefix + secrets.token_hex(16)


def last_session_outcome(app: Flask, session_id: str) -> dict[str, Any] | None:
    """The data of a session's last "outcome" event in the app's store (None without a database)."""
    from ivr.store import StoreError  # here: `ivr check` imports this module

    try:
        events = parts.store(app).events(session_id)
    except StoreError:
        return None  # the call ran without its database: it is heard in the transcript, not stored
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


class Handset(Protocol):
    """What a Conversation needs of its phone (Phone, SmsPhone)."""

    app: Flask
    client: FlaskClient
    base: str  # the app's public URL, which Twilio signs requests for
    validator: Any  # twilio's RequestValidator, with the app's auth token
    on_line: Callable[[Entry], None] | None  # called with each transcript line as it happens


@dataclass(kw_only=True)
class Record:
    """What a call (Result) and an SMS conversation (SmsResult) both record."""

    # `--json` prints each kind's fields in its own order, the order they had before this base class.
    JSON_ORDER: ClassVar[tuple[str, ...]]

    transcript: list[Entry] = field(default_factory=list)
    dialed: list[str] = field(default_factory=list)  # numbers a <Dial> rang (SMS: on call-backs)
    sms: list[dict[str, Any]] = field(default_factory=list)  # SMS the app sent (its LogNotifier)
    calls_placed: list[dict[str, Any]] = field(default_factory=list)  # call-backs, likewise
    outcome: dict[str, Any] | None = None  # data of the session's last "outcome" event
    # The tickets filed, or with no backend set up, the one the line would file (ivr/simulator/tickets.py).
    tickets: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    # What a script held that the conversation never used: a golden case with leftovers is broken.
    unused_manager_keys: list[str] = field(default_factory=list)
    unused_dial_status: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Every field, in JSON_ORDER."""
        data = asdict(self)
        return {name: data[name] for name in self.JSON_ORDER}

    def finish(self, app_errors: list[str], manager_keys: KeySource, statuses: list[str]) -> None:
        """Record the errors the app logged and what the manager's keys and the dial statuses left over."""
        self.errors.extend(app_errors)
        self.unused_manager_keys = list(getattr(manager_keys, "remaining", []))
        self.unused_dial_status = statuses


PhoneT = TypeVar("PhoneT", bound=Handset)
ResultT = TypeVar("ResultT", bound=Record)


class Conversation(Generic[PhoneT, ResultT]):
    """A call or an SMS conversation in progress: its transcript, errors and notifications."""

    def __init__(self, phone: PhoneT, result: ResultT, manager_keys: KeySource,
                 statuses: list[str]) -> None:
        self.phone = phone
        self.result = result
        self.manager_keys = manager_keys
        self.statuses = statuses  # how each <Dial> ends, consumed in order
        from ivr.notify import LogNotifier

        notifier = phone.app.extensions.get(parts.NOTIFIER)
        self.notifier = notifier if isinstance(notifier, LogNotifier) else None
        self.seen = len(self.notifier.sent) if self.notifier else 0

    def say(self, entry: Entry) -> None:
        """Add a transcript line."""
        self.result.transcript.append(entry)
        if self.phone.on_line is not None:
            self.phone.on_line(entry)

    def system(self, text: str) -> None:
        """A line about the call or conversation rather than in it."""
        self.say({"who": "system", "text": text})

    def error(self, text: str) -> NoReturn:
        """An error ends this leg of the call, or the SMS conversation."""
        self.result.errors.append(text)
        self.system(f"FEL/ERROR: {text}")
        raise Stop

    def signed(self, url: str, method: str, params: dict[str, str]) -> tuple[TestResponse, str]:
        """One webhook request signed as Twilio signs it; the response and "METHOD /path"."""
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
        return response, f"{method.upper()} {path}"

    def twiml(self, response: TestResponse, request: str) -> ET.Element:
        """The <Response> document a webhook answered; anything else is an error."""
        if response.status_code != 200:
            self.error(f"{request} answered HTTP {response.status_code}")
        try:
            document = ET.fromstring(response.get_data())
        except ET.ParseError as exc:
            self.error(f"{request} did not answer with XML: {exc}")
        if document.tag != "Response":
            self.error(f"{request} answered <{document.tag}>, not <Response>")
        return document

    def collect_notifications(self) -> list[dict[str, Any]]:
        """SMS and calls the app's LogNotifier recorded since the last look; the calls."""
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
