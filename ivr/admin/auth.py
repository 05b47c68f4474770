"""Who is signed in to the console, the guard on every page, and the audit of what they do.

For pages added to the blueprint (ivr/admin/blueprint.py): every endpoint is guarded
by `guard` unless listed in PUBLIC_ENDPOINTS; `login_required` says so on a view too,
and `audit()` records an action with who did it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort, redirect, request, session, url_for
from werkzeug.exceptions import Forbidden
from werkzeug.wrappers import Response

from flows.events import EventKind
from ivr import parts
from ivr.admin.csrf import check_csrf
from ivr.privacy import pseudonym
from ivr.store.console import ConsoleStore
from ivr.web.turn_context import turn_context

# The sign-in pages, OIDC's two, the stylesheet, the accessibility statement and the language switch:
# everything else needs someone signed in.
PUBLIC_ENDPOINTS = frozenset({"admin.static", "admin.sign_in", "admin.enter_code", "admin.oidc_login",
                              "admin.oidc_callback", "admin.accessibility", "admin.switch_language"})

View = TypeVar("View", bound=Callable[..., Any])


class Role(StrEnum):
    """What a signed-in person may do: everything; incidents only; or look without changing anything."""

    ADMIN = "admin"  # the IT unit
    MANAGER = "manager"  # Chef i beredskap: incidents, and connecting IT-beredskapen (theirs alone)
    READ_ONLY = "read_only"  # e.g. unit managers: every page, no form but signing out


ROLE_NAMES = {Role.ADMIN: "administratör", Role.MANAGER: "chef i beredskap", Role.READ_ONLY: "läsbehörighet"}
# The POSTs each role may make (endpoints); an admin may make all but MANAGER_ONLY.
# Looking a caller's number up changes nothing: a POST only so that the number never stands in a URL.
EVERYONE_POSTS = frozenset({"admin.sign_out", "admin.calls_by_number"})
MANAGER_POSTS = EVERYONE_POSTS | {"admin.incident_acknowledge", "admin.incident_resolve"}
MANAGER_ONLY = frozenset({"admin.incident_connect"})


@dataclass(frozen=True)
class Admin:
    """A signed-in person: a keyed hash (the audit's key), a name for people (or a masked number), role, how."""

    key: str
    who: str
    role: Role = Role.ADMIN
    method: str = "sms"

    def may_post(self, endpoint: str | None) -> bool:
        """Whether this role may send this form."""
        if endpoint in MANAGER_ONLY:
            return self.role is Role.MANAGER
        if self.role is Role.ADMIN:
            return True
        return endpoint in (MANAGER_POSTS if self.role is Role.MANAGER else EVERYONE_POSTS)


def admin_keys() -> frozenset[str]:
    """The keyed hashes of the numbers on the configured admin list (config/line.yaml `admins`)."""
    secret = parts.settings().pseudonym_key
    return frozenset(pseudonym(number, secret) for number in turn_context().line.settings.admins)


def current_admin() -> Admin | None:
    """The person signed in with this session (server-side: ivr/admin/sessions.py), if any and still allowed."""
    person = getattr(session, "person", None)
    if person is None:
        return None
    if person.method == "sms" and person.who_key not in admin_keys():
        return None  # taken off the admin list since signing in: the session ends now
    try:
        role = Role(person.role)
    except ValueError:
        return None
    return Admin(person.who_key, person.who, role, person.method)


def guard() -> Response | None:
    """Before every console request: a CSRF token on every POST, someone signed in, and a role that may post."""
    check_csrf()
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    admin = current_admin()
    if admin is None:
        if request.method == "GET":
            return redirect(url_for("admin.sign_in"))
        abort(403)
    if request.method == "POST" and not admin.may_post(request.endpoint):
        raise NotAllowed()
    return None


class NotAllowed(Forbidden):
    """Signed in, but the role may not do this (read-only posting a form)."""

    description = "not allowed for this role"


def login_required(view: View) -> View:
    """Marks a view as for signed-in admins (the blueprint's guard already requires it; this checks again)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_admin() is None:
            abort(403)
        return view(*args, **kwargs)

    return cast(View, wrapper)


def audit(kind: EventKind, data: dict[str, Any] | None = None, system: str | None = None,
          admin: Admin | None = None) -> None:
    """Record an admin's action in the audit log (the events table, channel "admin")."""
    who = admin or current_admin()
    if who is None:
        raise RuntimeError("audit() needs a signed-in admin")
    context = turn_context()
    # The person's name (or the masked number of a break-glass sign-in) and role in every line.
    ConsoleStore(context.store).audit(kind, who.key, who.who, context.now,
                                      {"role": who.role.value, "method": who.method, **(data or {})}, system)
