"""Two pages about the console itself: the accessibility statement (public: the law wants it readable by
anyone) and "Inloggade nu", everyone signed in, with a button to end a session (admins only)."""

from __future__ import annotations

import phonenumbers
from flask import flash, redirect, render_template, session, url_for
from werkzeug.wrappers import Response

from flows.events import EventKind
from ivr.admin.auth import ROLE_NAMES, NotAllowed, Role, audit, current_admin
from ivr.admin.blueprint import bp
from ivr.admin.texts import language, t
from ivr.store.console import ConsoleStore
from ivr.web.turn_context import turn_context

LAST_REVIEWED = "2026-11"  # when the statement's content was last checked against the pages (axe, keyboard)


def national(number: str | None) -> str:
    """"+46141225047" -> "0141-22 50 47"."""
    if not number:
        return ""
    try:
        return str(phonenumbers.format_number(phonenumbers.parse(number, "SE"),
                                              phonenumbers.PhoneNumberFormat.NATIONAL))
    except phonenumbers.NumberParseException:
        return number


@bp.get("/tillganglighet")
def accessibility() -> str:
    """Tillgänglighetsredogörelse (lagen om tillgänglighet till digital offentlig service): from the line's config."""
    settings = turn_context().line.settings
    return render_template("admin/accessibility.html", it_support=national(settings.it_support.number),
                           it_support_name=settings.it_support.name.get(language(), settings.it_support.name.get(
                               "sv", "IT-supporten")),
                           portal=settings.it_portal_url, reviewed=LAST_REVIEWED)


def admin_only() -> None:
    admin = current_admin()
    if admin is None or admin.role is not Role.ADMIN:
        raise NotAllowed()


@bp.get("/inloggade")
def signed_in_now() -> str:
    """Everyone signed in now, newest first."""
    admin_only()
    context = turn_context()
    people = ConsoleStore(context.store).signed_in(context.now)
    mine = getattr(getattr(session, "person", None), "session_id", None)
    return render_template("admin/signed_in.html", people=people, mine=mine, local=context.line.calendar.local,
                           methods={"oidc": "kommunens konto", "sms": "sms-kod"},
                           roles={role.value: name for role, name in ROLE_NAMES.items()})


@bp.post("/inloggade/<session_id>/avsluta")
def revoke(session_id: str) -> Response:
    """End someone's session now: their next page asks them to sign in again."""
    admin_only()
    context = turn_context()
    console = ConsoleStore(context.store)
    whose = next((person for person in console.signed_in(context.now) if person.session_id == session_id[:64]), None)
    if whose is None or not console.revoke_session(whose.session_id, context.now):
        flash(t("Den inloggningen är redan avslutad."))
    else:
        audit(EventKind.ADMIN_SESSION_REVOKED, {"whose": whose.who})
        flash(t("Inloggningen för {who} är avslutad.", who=whose.who))
    return redirect(url_for("admin.signed_in_now"), 303)
