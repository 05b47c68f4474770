"""Who is signed in to the console, the guard on every page, and the audit of what they do.

For pages added to the blueprint (ivr/admin/blueprint.py): every endpoint is guarded
by `guard` unless listed in PUBLIC_ENDPOINTS; `login_required` says so on a view too,
and `audit()` records an action with who did it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort, redirect, request, session, url_for
from werkzeug.wrappers import Response

from flows.events import EventKind
from ivr import parts
from ivr.admin.csrf import check_csrf
from ivr.privacy import pseudonym
from ivr.store.console import ConsoleStore
from ivr.web.turn_context import turn_context

# The sign-in pages and the stylesheet: everything else needs a signed-in admin.
PUBLIC_ENDPOINTS = frozenset({"admin.static", "admin.sign_in", "admin.enter_code"})

View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class Admin:
    """A signed-in admin: the number's keyed hash (for the audit log) and the number masked (for people)."""

    key: str
    who: str


def admin_keys() -> frozenset[str]:
    """The keyed hashes of the numbers on the configured admin list (config/line.yaml `admins`)."""
    secret = parts.settings().pseudonym_key
    return frozenset(pseudonym(number, secret) for number in turn_context().line.settings.admins)


def current_admin() -> Admin | None:
    """The signed-in admin, if the session holds one whose number is still on the admin list."""
    held = session.get("admin")
    if not isinstance(held, dict) or not isinstance(held.get("key"), str):
        return None
    if held["key"] not in admin_keys():
        return None  # taken off the list since signing in: the session ends now
    return Admin(held["key"], str(held.get("who", "")))


def guard() -> Response | None:
    """Before every console request: a CSRF token on every POST, then a signed-in admin off the sign-in pages."""
    check_csrf()
    if request.endpoint in PUBLIC_ENDPOINTS or current_admin() is not None:
        return None
    if request.method == "GET":
        return redirect(url_for("admin.sign_in"))
    abort(403)


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
    ConsoleStore(context.store).audit(kind, who.key, who.who, context.now, data, system)
