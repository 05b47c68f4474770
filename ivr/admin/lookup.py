"""`Sök samtal` is part of the call log now: a receipt's code is one of its filters (ivr/admin/calls.py)."""

from __future__ import annotations

from flask import redirect, request, url_for
from werkzeug.wrappers import Response

from ivr.admin.blueprint import bp


@bp.route("/sok", methods=["GET", "POST"])
def lookup() -> Response:
    """An old bookmark or form: the call log, with the code as its filter (looked up and audited there)."""
    code = (request.form.get("code") or request.args.get("code") or "").strip()[:40]
    return redirect(url_for("admin.calls", kod=code) if code else url_for("admin.calls"), 303)
