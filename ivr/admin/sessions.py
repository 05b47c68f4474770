"""The console's server-side sessions: the cookie holds only a random token, the database everything else.

Why not Flask's signed cookie: a copy of it taken before "Logga ut" kept opening /admin/ until it
expired, and nobody could list who is signed in. Here the row (ivr/store/console.py, table
console_sessions, keyed by the token's SHA-256 so a database read gives no usable cookie) is
revoked at sign-out and dead at its expiry; signing in gives a new token (no session fixation).

Only /admin/ paths have a session: the webhooks never read or write one.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Request
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict
from werkzeug.wrappers import Response

from ivr import parts
from ivr.store.console import ConsoleStore, SignedIn

# A session nobody signed in with (the sign-in pages' CSRF token, OIDC's state) lives this long.
ANONYMOUS = timedelta(minutes=30)
SEEN_EVERY = timedelta(minutes=1)  # how often a request notes that the session is in use
PREFIX = "/admin"


class ConsoleSession(CallbackDict[str, Any], SessionMixin):
    """A session's data, with its token and who signed in with it (None before signing in)."""

    def __init__(self, data: dict[str, Any] | None = None, token: str | None = None,
                 person: SignedIn | None = None) -> None:
        def changed(_: CallbackDict[str, Any]) -> None:
            self.modified = True

        super().__init__(data or {}, changed)
        self.token = token
        self.person = person
        self.modified = False
        self.signing_in: dict[str, str] | None = None  # set by sign_in(): a new token with a person
        self.ending = False  # set by sign_out(): the row is revoked, the cookie removed

    def sign_in(self, who_key: str, who: str, role: str, method: str) -> None:
        """Sign someone in: the data is kept but for sign-in state, under a new token, with who they are."""
        for key in [key for key in self if key != "csrf_token"]:
            del self[key]
        self.signing_in = {"who_key": who_key, "who": who[:100], "role": role, "method": method}
        self.modified = True

    def sign_out(self) -> None:
        """End this session: revoked in the database, so a copied cookie opens nothing."""
        self.clear()
        self.ending = True


def token_id(token: str) -> str:
    """The row's id: the token's SHA-256 (the database never holds a usable cookie value)."""
    return hashlib.sha256(token.encode()).hexdigest()


class ServerSessions(SessionInterface):
    """Flask's session interface over the console_sessions table."""

    def open_session(self, app: Flask, request: Request) -> ConsoleSession | None:
        if not request.path.startswith(PREFIX):
            return ConsoleSession()  # webhooks: an empty session that is never saved
        token = request.cookies.get(self.get_cookie_name(app))
        if not token or len(token) > 100:
            return ConsoleSession()
        now = parts.now(app)
        live = ConsoleStore(parts.store(app)).session(token_id(token), now)
        if live is None:
            return ConsoleSession()  # unknown, revoked or expired: a new one if anything is written
        session = ConsoleSession(live.data, token, live.person)
        if live.person is not None and now - live.seen_at >= SEEN_EVERY:
            ConsoleStore(parts.store(app)).touch_session(token_id(token), now)
        return session

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        assert isinstance(session, ConsoleSession)
        name, domain, path = self.get_cookie_name(app), self.get_cookie_domain(app), self.get_cookie_path(app)
        console = ConsoleStore(parts.store(app))
        now = parts.now(app)
        if session.ending:
            if session.token:
                console.revoke_session(token_id(session.token), now)
            response.delete_cookie(name, domain=domain, path=path, secure=self.get_cookie_secure(app),
                                   httponly=True, samesite=self.get_cookie_samesite(app))
            return
        if not session.modified and session.signing_in is None:
            return
        if session.token is None and not session:
            return  # nothing to keep: no row, no cookie
        if session.signing_in is not None:
            token, replaces = secrets.token_urlsafe(32), session.token
            person: dict[str, str] | None = session.signing_in
            expires = now + app.permanent_session_lifetime
        else:
            token, replaces, person = session.token or secrets.token_urlsafe(32), None, None
            expires = session.person.expires_at if session.person else now + ANONYMOUS
        console.save_session(token_id(token), dict(session), now, expires, person=person,
                             replaces=token_id(replaces) if replaces else None)
        response.set_cookie(name, token, max_age=max_age(expires, now, person or session.person),
                            httponly=True, domain=domain, path=path, secure=self.get_cookie_secure(app),
                            samesite=self.get_cookie_samesite(app))
        response.vary.add("Cookie")


def max_age(expires: datetime, now: datetime, person: object) -> int | None:
    """A signed-in session's cookie lasts as long as its row (in seconds: the line's clock may be a test's);
    an anonymous one until the browser closes."""
    return max(0, int((expires - now).total_seconds())) if person else None


def init_app(app: Flask) -> None:
    """Use the server-side sessions for the whole app (only /admin/ ever has one)."""
    app.session_interface = ServerSessions()
