"""Sign in with a one-time code by SMS to a number on the admin list; sign out.

The answer to a number is the same whether or not it is on the list ("if the number
may sign in, a code is on its way"), and attempts count the same, so the page never
tells who the admins are. Codes live CODE_MINUTES, are stored as an HMAC, work once,
and die after MAX_WRONG wrong tries. Attempts are counted in the database per number
and per client address, so the limits hold across gunicorn's workers.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from flows.events import EventKind
from ivr import parts
from ivr.admin.auth import Admin, admin_keys, audit
from ivr.admin.blueprint import bp
from ivr.admin.codes import code_hash, new_code, typed_code, typed_number
from ivr.notify import NotifyError
from ivr.operations.logs import mask_numbers
from ivr.privacy import pseudonym
from ivr.store.console import CodeCheck, ConsoleStore
from ivr.web.turn_context import turn_context

log = logging.getLogger(__name__)

CODE_MINUTES = 10
MAX_WRONG = 5  # wrong tries before a code is void
WINDOW = timedelta(minutes=15)
# Per window: codes asked for one number / from one address; codes typed for one number / from one address.
SEND_PER_NUMBER, SEND_PER_ADDRESS = 3, 10
CHECK_PER_NUMBER, CHECK_PER_ADDRESS = 5, 10

TOO_MANY = "För många försök. Vänta en kvart och försök igen. (Too many attempts: wait 15 minutes.)"


def number_key(number: str) -> str:
    """A number's keyed hash, as the audit log and the code table know it."""
    return pseudonym(number, parts.settings().pseudonym_key)


def address() -> str:
    """The client's address (behind a reverse proxy: the proxy's, unless ProxyFix is configured)."""
    return (request.remote_addr or "unknown")[:64]


@bp.route("/logga-in", methods=["GET", "POST"])
def sign_in() -> str | Response | tuple[str, int]:
    """Step 1: the number to send a code to."""
    if request.method == "GET":
        return render_template("admin/sign_in.html", number="", error=None)
    typed = request.form.get("number", "")
    number = typed_number(typed)
    if number is None:
        return render_template("admin/sign_in.html", number=typed[:40],
                               error="Skriv ett telefonnummer, till exempel 070-123 45 67. "
                                     "(Type a phone number.)"), 400
    context = turn_context()
    console = ConsoleStore(context.store)
    key = number_key(number)
    if not console.attempt({f"send:number:{key}": SEND_PER_NUMBER, f"send:address:{address()}": SEND_PER_ADDRESS},
                           context.now, WINDOW):
        log.warning("console: code requests over the limit (%s)", mask_numbers(number))
        return render_template("admin/sign_in.html", number=typed[:40], error=TOO_MANY), 429
    if key in admin_keys():
        send_code(console, number, key)
    session["pending"] = {"key": key, "who": mask_numbers(number)}
    return redirect(url_for("admin.enter_code"))


def send_code(console: ConsoleStore, number: str, key: str) -> None:
    """Make a code, keep its HMAC, text it from the line's number."""
    context = turn_context()
    code = new_code()
    console.save_code(key, code_hash(parts.settings().secret_key, key, code),
                      context.now + timedelta(minutes=CODE_MINUTES))
    settings = context.line.settings
    body = (f"Din kod till Felsökningslinjens konsol: {code}. Gäller i {CODE_MINUTES} minuter. "
            "Har du inte bett om den, säg till IT-enheten.")
    try:
        context.notifier.send_sms(number, settings.line_number or "", body)
    except NotifyError as exc:
        log.error("console: sign-in code SMS failed: %s", exc)


@bp.route("/kod", methods=["GET", "POST"])
def enter_code() -> str | Response | tuple[str, int]:
    """Step 2: the code from the SMS."""
    pending = session.get("pending")
    if not isinstance(pending, dict) or not isinstance(pending.get("key"), str):
        return redirect(url_for("admin.sign_in"))
    if request.method == "GET":
        return render_template("admin/enter_code.html", who=pending.get("who"), error=None)
    key, who = pending["key"], str(pending.get("who", ""))
    context = turn_context()
    console = ConsoleStore(context.store)
    code = typed_code(request.form.get("code", ""))
    if not console.attempt({f"check:number:{key}": CHECK_PER_NUMBER, f"check:address:{address()}": CHECK_PER_ADDRESS},
                           context.now, WINDOW):
        return render_template("admin/enter_code.html", who=who, error=TOO_MANY), 429
    if code is not None:
        result = console.take_code(key, code_hash(parts.settings().secret_key, key, code), context.now,
                                   MAX_WRONG)
    else:
        result = CodeCheck.WRONG
    if result is CodeCheck.ACCEPTED and key in admin_keys():
        session.clear()  # a fresh session (and CSRF token) for the signed-in admin
        session["admin"] = {"key": key, "who": who}
        session.permanent = True
        audit(EventKind.ADMIN_SIGNED_IN, admin=Admin(key, who))
        return redirect(url_for("admin.now"))
    if key in admin_keys():
        audit(EventKind.ADMIN_SIGN_IN_REFUSED, {"reason": result.value}, admin=Admin(key, who))
    return render_template("admin/enter_code.html", who=who,
                           error="Koden stämmer inte eller har gått ut. Försök igen, eller be om en ny kod. "
                                 "(Wrong or expired code.)"), 400


@bp.route("/logga-ut", methods=["POST"])
def sign_out() -> Response:
    """End the session."""
    audit(EventKind.ADMIN_SIGNED_OUT)
    session.clear()
    return redirect(url_for("admin.sign_in"))
