"""Console page: each system's checklist in words, as callers hear and read it, and its routing (read-only)."""

from __future__ import annotations

from flask import render_template, request

from ivr import parts
from ivr.admin.auth import login_required
from ivr.admin.blueprint import bp
from ivr.admin.texts import LANGUAGES, language
from ivr.reports.checklist_words import checklist_words, render_fragment


@bp.get("/checklists")
@login_required
def checklists() -> str:
    """Each system's steps as callers hear and read them, and its routing, read-only."""
    lang = request.args.get("lang", language())  # the checklists' own language; the console's by default
    if lang not in LANGUAGES:
        lang = language()
    return render_template("admin/checklists.html", lang=lang,
                           fragment=render_fragment(checklist_words(parts.line(), lang), lang))
