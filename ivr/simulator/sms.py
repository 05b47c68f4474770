"""The simulator's SMS phone: texts the real /sms webhook in-process, as Twilio would.

SmsPhone is the second driver: it texts /sms as Twilio does (one signed
webhook per message, a new MessageSid each, or the same one for a retry),
prints the <Message> replies, lets time pass between messages on a frozen
clock, and answers the call the line places after RING with Phone's voice
machinery (the carer picks up, the on-call manager presses keys).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import click

from flows.moments import MomentError, parse_duration
from ivr import parts
from ivr.simulator.common import (
    ACCOUNT_SID,
    DEFAULT_CALLER,
    LINE_NUMBER,
    MAX_REQUESTS,
    Conversation,
    Entry,
    KeySource,
    Record,
    ScriptedKeys,
    Stop,
    capture_app_errors,
    last_session_outcome,
    manager_source,
    new_sid,
)
from ivr.simulator.voice import Phone, Result, _Call

if TYPE_CHECKING:  # `ivr check` imports this module: keep Flask and Twilio out until a call
    from flask import Flask

DUPLICATE = "@dup"  # Twilio retries the previous message: same MessageSid
WAIT = "@+"  # "@+130m": time passes before the next message (minutes without a unit)
WAIT_UNITS = "smhd"

Send = tuple[str, str | timedelta]  # ("text", body), ("wait", how long) or ("dup", "")
SendSource = Callable[[], str | None]  # the next --send token, or None: the conversation ends


def parse_send(token: str) -> Send:
    """One --send token: a message, "@+130m" (time passes), "@dup" (a retry), "@@x" (the text "@x")."""
    if token.startswith("@@"):
        return "text", token[1:]
    if token == DUPLICATE:
        return "dup", ""
    amount = token.removeprefix(WAIT)
    # At most six digits: a frozen clock pushed past the year 9999 would crash the app, not the token.
    if token.startswith(WAIT) and len(amount.rstrip(WAIT_UNITS)) <= 6:
        try:
            return "wait", parse_duration(amount, units=WAIT_UNITS, bare="m")
        except MomentError:
            pass  # not a duration: an unknown token
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


@dataclass(kw_only=True)
class SmsResult(Record):
    """What happened in one simulated SMS conversation."""

    JSON_ORDER = ("sender", "transcript", "replies", "calls_placed", "dialed", "sms", "outcome", "tickets", "requests",
                  "errors", "unused_sends", "unused_manager_keys", "unused_dial_status")

    sender: str
    replies: list[list[str]] = field(default_factory=list)  # the <Message> texts, per webhook
    unused_sends: list[str] = field(default_factory=list)


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
        clock = parts.clock(app)
        if not isinstance(clock, ShiftedClock):
            clock = ShiftedClock(clock)
            app.extensions[parts.CLOCK] = clock
        self.clock: ShiftedClock = clock
        self._conversation: _Texting | None = None

    def converse(
        self, sends: SendSource | Iterable[str], *,
        manager_keys: KeySource | str | Iterable[str] | None = None,
        dial_status: Sequence[str] = (),
        answer_keys: str = "",
    ) -> SmsResult:
        """A whole conversation: send each message, print the replies, answer any call-back.

        answer_keys: what this phone presses when it answers a call the line places (a carer's call-back
        presses nothing; Chef i beredskap's call for IT-beredskapen presses 1).
        """
        source: SendSource = sends if callable(sends) else ScriptedSends(sends)
        boss_keys = manager_source(manager_keys)
        statuses = list(dial_status)
        result = SmsResult(sender=self.sender)
        run = _Texting(self, result, boss_keys, statuses, answer_keys)
        self._conversation = run
        try:
            with capture_app_errors(self.app) as app_errors:
                run.run(source)
        finally:
            self._conversation = None
        result.finish(app_errors, boss_keys, statuses)
        result.unused_sends = list(getattr(source, "remaining", []))
        from ivr.privacy import sms_session_id  # Flask: only when simulating

        with self.app.app_context():  # the session id is a keyed pseudonym of the sender
            session_id = sms_session_id(self.sender)
        result.outcome = last_session_outcome(self.app, session_id)
        return result

    def _call_line(self, entry: Entry) -> None:
        """A transcript line of a call-back, said in the conversation's transcript."""
        if self._conversation is not None:
            self._conversation.say({**entry, "via": "call"} if entry["who"] != "system" else entry)


class _Texting(Conversation[SmsPhone, SmsResult]):
    """One SMS conversation in progress."""

    def __init__(self, phone: SmsPhone, result: SmsResult, manager_keys: KeySource,
                 statuses: list[str], answer_keys: str = "") -> None:
        super().__init__(phone, result, manager_keys, statuses)
        self.previous: tuple[str, str] | None = None  # (body, MessageSid) of the last message
        self.answer_keys = answer_keys

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
        line = parts.line(self.phone.app)
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
        document = self.twiml(*self.signed(self.phone.base + path, "POST", params))
        texts: list[str] = []
        for verb in document:
            if verb.tag != "Message":
                self.system(f"okänt verb/unknown verb <{verb.tag}> hoppas över/skipped")
                continue
            body = verb.find("Body")
            texts.append(((body if body is not None else verb).text or "").strip())
        return texts

    def answer(self, item: dict[str, Any]) -> None:
        """The carer answers the line's call: follow its TwiML like any call."""
        voice = self.phone.voice
        to = str(item["to"])
        url = str(item["url"])
        call = Result(call_sid=new_sid(), caller=to)
        # The carer presses nothing (a <Gather> for her ends the call, "hangs up"), unless told to.
        run = _Call(voice, call, ScriptedKeys(self.answer_keys), self.manager_keys, self.statuses)
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
