"""Announcements in the console: post (with a preview of what callers hear and read), extend, clear.

The rules are `ivr announce`'s (ivr/operations/announcements.py check_post): plain GSM-7, one SMS
with its heading, a known system or "alla" for the line-wide one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from flows.events import EventKind
from flows.line import Line
from ivr.admin.auth import audit, current_admin
from ivr.admin.blueprint import bp
from ivr.admin.texts import t
from ivr.channels.sms.check import notice_room
from ivr.operations.announcements import (
    LINE_WIDE,
    MAX_TEXT,
    AnnouncementError,
    check_post,
    line_wide_room,
    resolve_system,
    until_moment,
)
from ivr.store.console import ConsoleStore
from ivr.web.turn_context import turn_context

LINE_WIDE_NAME = "Alla system"
HISTORY_DAYS = 30  # the page's history of announcements reaches back this far (the audit keeps more)
# The shared rules' messages (ivr/operations/announcements.py, English for `ivr announce`) in the console's Swedish.
SWEDISH: list[tuple[str, Callable[[re.Match[str]], str]]] = [
    (r"the announcement text is empty", lambda m: "Skriv en text."),
    (r"the announcement is (\d+) characters; keep it under (\d+)",
     lambda m: f"Texten har {m[1]} tecken. Den får ha högst {m[2]} tecken."),
    (r"the announcement is (\d+) characters; at most (\d+) characters fit in one SMS with its heading",
     lambda m: f"Texten har {m[1]} tecken. Högst {m[2]} tecken får plats i ett sms med rubriken."),
    (r"replace these characters, they are not plain SMS text: (.*)",
     lambda m: f"Byt ut de här tecknen, de är inte vanliga sms-tecken: {m[1]}"),
    (r"unknown system .*", lambda m: "Välj ett system i listan."),
    (r"(\S+ \S+) has already passed", lambda m: f"Sluttiden {m[1]} har redan passerat. Välj en senare tid."),
]


@dataclass(frozen=True)
class Preview:
    """What a caller hears and a texter reads, in one language."""

    lang: str
    heard: list[str]
    read: list[str]


def system_choices(line: Line) -> list[tuple[str, str]]:
    """(id, name) for the form's list: the line-wide one first, then each checklist by its key."""
    return [(LINE_WIDE, LINE_WIDE_NAME + ", före menyn")] + [
        (c.id, f"{c.key}. {c.name['sv']}") for c in sorted(line.library.checklists, key=lambda c: c.key)]


def preview(line: Line, system: str, text: str) -> list[Preview]:
    """The announcement as the voice and the SMS line will give it, in every language of the line."""
    found = []
    for lang in line.settings.languages:
        messages = line.messages
        if system == LINE_WIDE:
            heard = [messages.get("voice", "notice_all", lang, text=text), "Sedan kommer menyn."]
            read = [messages.get("sms", "notice_all", lang, text=text), "Sedan kommer menyn."]
        else:
            name = line.library.by_id(system).name[lang]
            heard = [messages.get("voice", "chosen", lang, system=name), text,
                     messages.get("voice", "notice_question", lang)]
            read = [messages.get("sms", "notice", lang, system=name, text=text),
                    messages.get("sms", "notice_question", lang)]
        found.append(Preview(lang, heard, read))
    return found


def page(form: dict[str, str] | None = None, error: str | None = None, previews: list[Preview] | None = None,
         status: int = 200) -> tuple[str, int]:
    """The announcements page: what is out now, and the form."""
    context = turn_context()
    line = context.line
    current = sorted(context.store.announcements(context.now).items(), key=lambda item: item[0] != LINE_WIDE)
    local_now = line.calendar.local(context.now)
    return render_template("admin/announcements.html", current=current, choices=system_choices(line),
                           names=dict(system_choices(line)), form=form or {"system": "", "text": "", "until": ""},
                           error=error, previews=previews, local=line.calendar.local, rooms=rooms(line),
                           max_text=MAX_TEXT, earliest=f"{local_now:%Y-%m-%dT%H:%M}",
                           history=announcement_history(line, context.now)), status


def rooms(line: Line) -> dict[str, int]:
    """Characters (GSM-7 septets) each choice's text may have: `ivr check`'s and the post's own budget."""
    found = {LINE_WIDE: line_wide_room(line)}
    found.update({checklist.id: notice_room(line, checklist.id) for checklist in line.library.checklists})
    return {system: min(room, MAX_TEXT) for system, room in found.items()}


def announcement_history(line: Line, now: datetime) -> list[dict[str, Any]]:
    """The last HISTORY_DAYS of announcements posted, extended and cleared, newest first, in words."""
    from ivr.admin.history import GROUPS, what, who_did

    kinds = GROUPS["driftinfo"][1]
    events = ConsoleStore(turn_context().store).history(now - timedelta(days=HISTORY_DAYS), now + timedelta(seconds=1))
    return [{"at": event["at"], "who": who_did(line, event), "what": what(line, event)}
            for event in events if event["kind"] in kinds]


@bp.route("/driftinfo", methods=["GET", "POST"])
def announcements() -> tuple[str, int] | Response:
    """GET: the page. POST: preview (button "preview") or post the announcement."""
    if request.method == "GET":
        return page()
    context = turn_context()
    line = context.line
    form = {name: request.form.get(name, "")[:400] for name in ("system", "text", "until")}
    try:
        system = resolve_system(line, form["system"])
        cleaned, ends = check_post(line, system, form["text"], form["until"].strip() or None, context.now)
    except AnnouncementError as exc:
        return page(form, error=swedish(str(exc)), status=400)
    if request.form.get("action") == "preview":
        return page(form, previews=preview(line, system, cleaned))
    admin = current_admin()
    assert admin is not None  # the blueprint's guard
    context.store.announce(system, cleaned, ends, context.now, by=f"admin:{admin.who}"[:64])
    # The text too: the announcement history shows what callers heard (IT's own words, never a caller's).
    audit(EventKind.ANNOUNCEMENT_POSTED, {"until": ends.isoformat() if ends else None,
                                          "characters": len(cleaned), "text": cleaned}, system=system)
    flash(t("Driftinfo för {system} är publicerad.", system=dict(system_choices(line)).get(system, system)))
    return redirect(url_for("admin.announcements"))


@bp.route("/driftinfo/<system>/forlang", methods=["POST"])
def extend(system: str) -> tuple[str, int] | Response:
    """Give an announcement a new end time (the text stays)."""
    context = turn_context()
    line = context.line
    item = context.store.announcements(context.now).get(system)
    if item is None:
        return page(error="Den driftinfon finns inte längre.", status=404)
    try:
        ends = until_moment(request.form.get("until", "")[:40], context.now, line)
    except AnnouncementError as exc:
        return page(error=swedish(str(exc)), status=400)
    admin = current_admin()
    assert admin is not None
    context.store.announce(system, str(item["text"]), ends, context.now, by=f"admin:{admin.who}"[:64])
    audit(EventKind.ANNOUNCEMENT_EXTENDED, {"until": ends.isoformat()}, system=system)
    flash(t("Driftinfon gäller nu till {when}.", when=f"{ends:%Y-%m-%d %H.%M}"))
    return redirect(url_for("admin.announcements"))


@bp.route("/driftinfo/<system>/ta-bort", methods=["POST"])
def clear(system: str) -> Response:
    """Take an announcement down."""
    context = turn_context()
    if context.store.clear_announcement(system[:40]):
        audit(EventKind.ANNOUNCEMENT_CLEARED, system=system[:40])
        flash(t("Driftinfon är borttagen."))
    else:
        flash(t("Den driftinfon var redan borttagen."))
    return redirect(url_for("admin.announcements"))


def swedish(problem: str) -> str:
    """The rule's own message (shared with `ivr announce`, in English) in Swedish after a Swedish heading."""
    for pattern, words in SWEDISH:
        found = re.fullmatch(pattern, problem)
        if found:
            return f"Driftinfon kunde inte läggas ut. {words(found)}"
    return "Driftinfon kunde inte läggas ut. Sluttiden går inte att läsa: välj datum och tid."
