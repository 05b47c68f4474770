"""Look up a caller's session by the receipt's code, read exactly as `ivr lookup` reads it (ivr/reports/lookup.py)."""

from __future__ import annotations

from flask import render_template, request

from flows.events import EventKind
from flows.refcode import ALPHABET, LENGTH, read
from ivr.admin.auth import audit
from ivr.admin.blueprint import bp
from ivr.reports.lookup import describe
from ivr.web.turn_context import turn_context


@bp.route("/sok", methods=["GET", "POST"])
def lookup() -> tuple[str, int]:
    """GET: the form. POST: the calls that carried the code (a POST, so that the audit log sees each look-up)."""
    if request.method == "GET":
        return render_template("admin/lookup.html", code="", error=None, found=None), 200
    typed = request.form.get("code", "")[:40]
    code = read(typed)
    if code is None:
        return render_template("admin/lookup.html", code=typed, found=None,
                               error=f"Koden ska vara {LENGTH} tecken av {ALPHABET} (inga 0, O, 1 eller I). "
                                     "(Not a receipt code.)"), 400
    context = turn_context()
    records = context.store.sessions_by_ref(code)
    audit(EventKind.SESSION_LOOKED_UP, {"code": code, "found": len(records)})
    found = [list(describe(context.line, context.store, record, code)) for record in records]
    error = None if found else (f"Inget samtal har koden {code}. Kontrollera koden; samtal sparas "
                                f"{context.line.settings.retention_days} dagar.")
    return render_template("admin/lookup.html", code=code, error=error, found=found), 200 if found else 404
