"""A call's turn: load its session (stored or carried), let a handler answer, save it.

Each turn continues from the call as stored or as its action URL carries it
(ivr/channels/voice/carried_state.py), whichever is newer. A carried state is
written without reading the row first, on the condition that the row still holds
exactly that state (it does on every turn but a replay, a retry, or one after the
status callback, the manager's key or a database outage); otherwise the turn runs
again on the locked read. Why: measured (bench/README.md, December 2026), the read
was one of ~5.8 statements a turn, with its row's JSON parsed again. When the database
fails, the turn runs on the carried state alone: the checklist still reaches
the outcome its rules give, with screening; only the audit events, incident
counts and announcements are missing, and that is logged and reported to the
admins.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from flask import Response, current_app, g, request
from twilio.twiml.voice_response import VoiceResponse

from flows import engine
from flows.engine import StateError
from flows.events import EventKind
from flows.phone import phone_number
from ivr import outbox
from ivr.channels.voice.carried_state import PARAM, TokenError, carry, decode, encode
from ivr.channels.voice.twiml import call_sid, twiml
from ivr.conversation.session import VOICE, Session
from ivr.operations import repair_alert
from ivr.privacy import caller_key
from ivr.store import SessionRecord, StaleSession, StoreError
from ivr.store.null import NullStore
from ivr.web.turn_context import turn_context

log = logging.getLogger(__name__)


def state_key() -> bytes:
    """The key binding carried state to its call, derived from the pseudonym key (a server secret)."""
    return hmac.new(str(current_app.config["PSEUDONYM_KEY"]).encode(), b"carried call state", hashlib.sha256).digest()


def carried_call(sid: str, token: str) -> Session | None:
    """The call state a URL carried; None when there is none or it is not this call's."""
    if not token:
        return None
    try:
        return Session.from_data(VOICE, decode(token, sid, state_key()))
    except (TokenError, StateError, TypeError, ValueError) as exc:
        log.warning("ignored the state carried in the URL: %s", exc)
        return None


def newer(stored: Session | None, carried: Session | None) -> Session | None:
    """The state to continue from: the stored one unless the URL carries a later turn."""
    if carried is None or (stored is not None and stored.turn >= carried.turn):
        return stored
    if stored is not None:
        carried.line_number = stored.line_number
        carried.ended = carried.ended or stored.ended
    return carried


Handler = Callable[[SessionRecord, Session], VoiceResponse]


def run_turn(handle: Handler, token: str | None = None, offline: bool = False) -> Response:
    """Load the call, let handle() answer, save it; without a database, run on the carried state.

    token: the carried state (default: the request URL's); offline: skip the database
    (Twilio's fallback, after the line failed).
    """
    sid = call_sid()
    token = request.args.get(PARAM, "") if token is None else token
    carried = carried_call(sid, token)
    if not offline:
        response: VoiceResponse | None = None
        stored: SessionRecord | None = None
        try:
            context = turn_context()
            expect = as_stored(carried)
            try:
                with context.store.session(f"voice:{sid}", "voice", context.now, expect=expect) as stored:
                    call = open_call(stored, carried)
                    response = handle(stored, call)
                    close_turn(stored, call, response, sid)
            except StaleSession:
                # The row is not the carried state (rolled back, nothing kept or sent): the same turn on the
                # locked read, from a fresh copy of the carried state (the first run changed its own).
                response = stored = None
                carried = carried_call(sid, token)
                with context.store.session(f"voice:{sid}", "voice", context.now) as stored:
                    call = open_call(stored, carried)
                    response = handle(stored, call)
                    close_turn(stored, call, response, sid)
            return twiml(response)
        except StoreError as exc:
            log.error("database unavailable: the call goes on from the state in its URLs (%s)", exc)
            repair_alert.line_failed("database")
            if response is not None:
                # Only the save failed: the answer already carries the new state, and the messages it
                # promises were not stored, so the fault policy sends them directly. (A failure before
                # the answer runs the turn again below, which sends them then: never twice.)
                if stored is not None and stored.queued:
                    outbox.send_unstored(stored.queued, stored.id)
                return twiml(response)
    # The same turn against the null store: it reads nothing and keeps nothing (ivr/store/null.py).
    g.ivr_turn = replace(turn_context(memory_only=True), store=NullStore())
    record = SessionRecord(id=f"voice:{sid}", channel="voice", caller=None, data=None, seq=0,
                           created_at=None, updated_at=None)
    call = open_call(record, carried)
    response = handle(record, call)
    close_turn(record, call, response, sid)
    if record.events:
        log.warning("audit events not stored (no database): %s", ", ".join(kind for kind, _, _ in record.events))
    return twiml(response)


def as_stored(carried: Session | None) -> dict[str, Any] | None:
    """The stored data the carried state stands for (its row as the turn that made the token wrote it)."""
    if carried is None:
        return None
    # The line's number never rides in a URL: the stored one is the one this webhook names (open_call's rule).
    return {**carried.to_data(), "line_number": line_number(carried)}


def line_number(call: Session) -> str:
    """The line's own number as this webhook names it: an incoming call's To, a call-back's From."""
    return request.form.get("From" if call.callback else "To", "")


def open_call(record: SessionRecord, carried: Session | None) -> Session:
    """The call to continue (stored or carried, the newer), or a new one; the caller's number on the record."""
    stored = None
    if record.data is not None:
        try:
            stored = Session.from_data(VOICE, record.data)
        except (StateError, TypeError, ValueError) as exc:
            # A stored state that cannot go on (a checklist removed since) starts over.
            record.add_event(EventKind.STATE_RESET, {"reason": str(exc)})
    call = newer(stored, carried)
    if call is None:
        call = Session(VOICE, engine.start(turn_context().line.settings.default_language).state)
        if record.data is None:
            record.add_event(EventKind.CALL_STARTED, {})
    # An incoming call's caller is From and the line To; a call-back the other way round.
    call.line_number = call.line_number or line_number(call)
    if not call.ended:
        record.caller = record.caller or phone_number(request.form.get("To" if call.callback else "From", ""))
    record.caller_key = caller_key(record.caller)
    return call


def close_turn(record: SessionRecord, call: Session, response: VoiceResponse, sid: str) -> None:
    """Count the turn, store the call, and carry its state in every URL of the answer."""
    call.turn += 1
    record.data = call.to_data()
    carry(response, encode(call.carried(), sid, state_key()))
