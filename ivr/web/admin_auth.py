"""PLACEHOLDER for the console's sign-in (engineer F's ivr/web admin sign-in replaces this module at merge).

It keeps ivr/web/admin_oncall.py's pages closed: every request is refused (403) unless the app's
config names a stand-in admin (ADMIN_STUB_USER), which only the tests of those pages set. It has
no sessions and no CSRF tokens of its own; the real module provides login_required,
current_admin and csrf_field/check_csrf with the same names.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import abort, current_app
from markupsafe import Markup

P = ParamSpec("P")
R = TypeVar("R")


def login_required(view: Callable[P, R]) -> Callable[P, R]:
    """Refuse the request unless someone is signed in (here: unless a test names a stand-in admin)."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        if not current_app.config.get("ADMIN_STUB_USER"):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def current_admin() -> str:
    """Who is signed in, for the audit log."""
    return str(current_app.config.get("ADMIN_STUB_USER") or "")


def csrf_field() -> Markup:
    """The form's hidden CSRF field (the real module renders its token)."""
    return Markup("")


def check_csrf() -> None:
    """Refuse a POST without a valid CSRF token (the real module checks it; the stub admits only tests)."""
