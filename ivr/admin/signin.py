"""The break-glass sign-in: a one-time code by SMS to a number on the admin list; and signing out.

Off by default once OpenID Connect is configured (ivr/admin/oidc.py; IVR_ADMIN_SMS_SIGNIN turns it
on). So that the page tells nobody who the admins are, every number takes the same path and the
same time: the attempt counted, a code made and its HMAC kept (one transaction), the same page.
Only an admin's number gets its text, queued in the outbox in that transaction and tried once the
response has gone (so the Twilio request's time is not the answer's; body blanked once delivered,
the code never logged). A number that is not an admin's is never texted at all (the lead's
decision: the line must not text people who did not ask). A wrong code is audited the same way for
every number. So that nobody can lock an admin out, the limits count per number *and*
address (never per number alone), and each code belongs to the browser that asked for it: wrong
tries from elsewhere cannot void it. The attempts are counted in the database, so the limits hold
across gunicorn's workers.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from flask import current_app, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from flows.events import EventKind
from ivr import parts
from ivr.admin.auth import Admin, Role, admin_keys, audit
from ivr.admin.blueprint import bp
from ivr.admin.codes import code_hash, new_code, typed_code, typed_number
from ivr.admin.sessions import ConsoleSession
from ivr.operations.logs import mask_numbers
from ivr.outbox import Outgoing
from ivr.outbox.sender import app_sender
from ivr.privacy import pseudonym
from ivr.store.console import CodeCheck, ConsoleStore
from ivr.web.turn_context import turn_context

log = logging.getLogger(__name__)

CODE_MINUTES = 10
MAX_WRONG = 5  # wrong tries before a code is void
WINDOW = timedelta(minutes=15)
# Per window: codes asked for one number from one address, and from one address; codes typed likewise.
SEND_PER_PAIR, SEND_PER_ADDRESS = 3, 10
CHECK_PER_PAIR, CHECK_PER_ADDRESS = 5, 10

TOO_MANY = "För många försök från din dator. Vänta en kvart och försök igen."
SMS_OFF = "Inloggning med sms-kod är avstängd. Logga in med kommunens konto."


def number_key(number: str) -> str:
    """A number's keyed hash, as the audit log and the code table know it."""
    return pseudonym(number, parts.settings().pseudonym_key)


def address() -> str:
    """The client's address (behind a reverse proxy: the proxy's, unless ProxyFix is configured)."""
    return (request.remote_addr or "unknown")[:64]


def pair(key: str, where: str) -> str:
    """A bucket for one number from one address (hashed: the bucket column is short)."""
    return hashlib.sha256(f"{key}|{where}".encode()).hexdigest()[:40]


def page(number: str = "", error: str | None = None, status: int = 200) -> tuple[str, int]:
    """The sign-in page: the municipality's accounts first, the SMS code when it is on."""
    settings = parts.settings()
    return render_template("admin/sign_in.html", number=number, error=error, oidc=settings.oidc is not None,
                           sms=settings.admin_sms_signin), status


@bp.route("/logga-in", methods=["GET", "POST"])
def sign_in() -> Response | tuple[str, int]:
    """Step 1: the number to send a code to."""
    if request.method == "GET":
        return page()
    if not parts.settings().admin_sms_signin:
        return page(error=SMS_OFF, status=403)
    typed = request.form.get("number", "")
    number = typed_number(typed)
    if number is None:
        return page(typed[:40], "Skriv ett telefonnummer, till exempel 070-123 45 67.", 400)
    context = turn_context()
    console = ConsoleStore(context.store)
    key = number_key(number)
    if not console.attempt({f"send:pair:{pair(key, address())}": SEND_PER_PAIR,
                            f"send:address:{address()}": SEND_PER_ADDRESS}, context.now, WINDOW):
        log.warning("console: code requests over the limit (%s)", mask_numbers(number))
        return page(typed[:40], TOO_MANY, 429)
    slot = secrets.token_hex(16)
    row = send_code(console, number, key, slot)
    session["pending"] = {"key": key, "who": mask_numbers(number), "slot": slot}
    response = redirect(url_for("admin.enter_code"))
    if row is not None:
        sender = app_sender(current_app)
        response.call_on_close(lambda: sender.send_now([row]))  # after the answer has gone: no timing to read
    return response


def code_slot(key: str, slot: str) -> str:
    """Where this browser's code for a number is kept: one per number and browser (no one voids another's)."""
    return hashlib.sha256(f"{key}|{slot}".encode()).hexdigest()


def send_code(console: ConsoleStore, number: str, key: str, slot: str) -> int | None:
    """Make a code and keep its HMAC for every number; queue its text for an admin's only (the module's text).
    The outbox row to try once the answer has gone, if any."""
    context = turn_context()
    code = new_code()
    message = None
    if key in admin_keys():
        message = Outgoing(kind="admin_code", key=f"admin_code:{slot}", target=number,
                           text=(f"Din kod till Felsökningslinjens konsol: {code}. Gäller i {CODE_MINUTES} minuter. "
                                 "Har du inte bett om den, säg till IT-enheten."),
                           sender=context.line.settings.line_number or "")
    return console.save_code(code_slot(key, slot), code_hash(parts.settings().secret_key, key, code),
                             context.now + timedelta(minutes=CODE_MINUTES), message, context.now)


@bp.route("/kod", methods=["GET", "POST"])
def enter_code() -> str | Response | tuple[str, int]:
    """Step 2: the code from the SMS."""
    pending = session.get("pending")
    if not isinstance(pending, dict) or not isinstance(pending.get("key"), str) \
            or not isinstance(pending.get("slot"), str):
        return redirect(url_for("admin.sign_in"))
    if request.method == "GET":
        return render_template("admin/enter_code.html", who=pending.get("who"), error=None)
    key, who, slot = pending["key"], str(pending.get("who", "")), pending["slot"]
    context = turn_context()
    console = ConsoleStore(context.store)
    code = typed_code(request.form.get("code", ""))
    if not console.attempt({f"check:pair:{pair(key, address())}": CHECK_PER_PAIR,
                            f"check:address:{address()}": CHECK_PER_ADDRESS}, context.now, WINDOW):
        return render_template("admin/enter_code.html", who=who, error=TOO_MANY), 429
    if code is not None:
        result = console.take_code(code_slot(key, slot), code_hash(parts.settings().secret_key, key, code),
                                   context.now, MAX_WRONG)
    else:
        result = CodeCheck.WRONG
    if result is CodeCheck.ACCEPTED and key in admin_keys():
        begin(Admin(key, who, Role.ADMIN, "sms"))
        return redirect(url_for("admin.now"))
    # Every number's wrong code is audited alike (the same work whether the number is an admin's or not).
    audit(EventKind.ADMIN_SIGN_IN_REFUSED, {"reason": result.value}, admin=Admin(key, who))
    return render_template("admin/enter_code.html", who=who,
                           error="Koden stämmer inte eller har gått ut. Försök igen, eller be om en ny kod."), 400


def begin(admin: Admin) -> None:
    """A new server-side session for someone who just signed in (a new token), and the audit line."""
    assert isinstance(session, ConsoleSession)
    session.sign_in(admin.key, admin.who, admin.role.value, admin.method)
    audit(EventKind.ADMIN_SIGNED_IN, admin=admin)


@bp.route("/logga-ut", methods=["POST"])
def sign_out() -> Response:
    """End the session: revoked in the database, so a copy of the cookie opens nothing after this."""
    audit(EventKind.ADMIN_SIGNED_OUT)
    assert isinstance(session, ConsoleSession)
    session.sign_out()
    return redirect(url_for("admin.sign_in"))
