"""The call log: calls and SMS conversations, newest first, filtered; each one's timeline; a call-level CSV.

Filters are a GET form (a link can be kept and shared), all but the caller's number: a number is typed
into a POST form and becomes its keyed pseudonym (ivr/privacy.py) in the address, so no phone number
ever stands in a URL, a log line or the browser's history. A receipt code (`Sök samtal`) is a filter too.
Looking someone up by code or number is audited, as `ivr lookup` is.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Response, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from flows.events import EventKind
from flows.line import Line
from flows.refcode import ALPHABET, LENGTH, read
from ivr.admin.auth import audit
from ivr.admin.blueprint import bp
from ivr.admin.codes import typed_number
from ivr.admin.texts import t
from ivr.admin.timeline import system_name, timeline
from ivr.admin.words import CHANNELS, OUTCOMES, outcome, said
from ivr.privacy import caller_key
from ivr.store.console import ConsoleStore, Conversation
from ivr.web.turn_context import turn_context

DEFAULT_DAYS = 7
SHOWN = 200  # rows on the page; the CSV has them all
NONE = "inget"  # the outcome filter's value for conversations without an outcome


@dataclass(frozen=True)
class Filters:
    """The call log's filters as read from the address, with their problems in Swedish."""

    start: date
    end: date  # inclusive
    system: str = ""
    channel: str = ""
    outcome: str = ""
    code: str = ""
    who: str = ""  # a caller's pseudonym (from the number form), never a number
    problems: tuple[str, ...] = ()

    def query(self) -> dict[str, Any]:
        """The filters as URL parameters (empty ones left out)."""
        found = {"fran": self.start.isoformat(), "till": self.end.isoformat(), "system": self.system,
                 "kanal": self.channel, "utfall": self.outcome, "kod": self.code, "vem": self.who}
        return {name: value for name, value in found.items() if value}


def filters(line: Line, today: date) -> Filters:
    """Read and check the filters; a bad one is named and left out."""
    problems = []
    args = request.args

    def day(name: str, default: date) -> date:
        text = args.get(name, "").strip()[:20]
        if not text:
            return default
        try:
            return date.fromisoformat(text)
        except ValueError:
            problems.append(t("Datumet {text} går inte att läsa. Välj ett datum i kalendern.", text=repr(text)))
            return default

    end = day("till", today)
    start = day("fran", end - timedelta(days=DEFAULT_DAYS - 1))
    if start > end:
        problems.append(t("Från-datumet är efter till-datumet: visar bara till-datumet."))
        start = end
    system = args.get("system", "")[:40]
    if system and system not in {checklist.id for checklist in line.library.checklists}:
        problems.append(t("Det systemet finns inte längre i checklistorna."))
        system = ""
    channel = args.get("kanal", "")[:10]
    channel = channel if channel in CHANNELS else ""
    wanted = args.get("utfall", "")[:40]
    wanted = wanted if wanted in OUTCOMES or wanted == NONE else ""
    typed = args.get("kod", "").strip()[:40]
    code = read(typed) if typed else None
    if typed and code is None:
        problems.append(t("Koden ska vara {n} tecken av {alphabet} (inga 0, O, 1 eller I).", n=LENGTH,
                          alphabet=ALPHABET))
    who = args.get("vem", "")[:64]
    who = who if who.isalnum() else ""
    return Filters(start, end, system, channel, wanted, code or "", who, tuple(problems))


def matching(conversations: Iterable[Conversation], chosen: Filters) -> list[Conversation]:
    """The conversations the filters let through."""
    found = []
    for conversation in conversations:
        if chosen.system and conversation.system != chosen.system:
            continue
        if chosen.channel and conversation.channel != chosen.channel:
            continue
        if chosen.outcome and (conversation.outcome or NONE) != chosen.outcome:
            continue
        if chosen.code and conversation.ref != chosen.code:
            continue
        if chosen.who and conversation.caller_key != chosen.who:
            continue
        found.append(conversation)
    return found


def period(line: Line, chosen: Filters) -> tuple[datetime, datetime]:
    """The filter's days as moments in the line's zone: from the first day's start to the last day's end."""
    zone = line.calendar.tz
    return (datetime.combine(chosen.start, time(), zone),
            datetime.combine(chosen.end + timedelta(days=1), time(), zone))


def found_calls() -> tuple[Filters, list[Conversation]]:
    """The filters and the conversations they find (a code or a number looked up is audited)."""
    context = turn_context()
    line = context.line
    chosen = filters(line, line.calendar.local(context.now).date())
    since, until = period(line, chosen)
    if chosen.code:
        # A receipt's code finds its call whenever it was (within the retention): the period does not apply.
        since = context.now - timedelta(days=line.settings.retention_days + 1)
        until = context.now + timedelta(minutes=1)
    conversations = matching(ConsoleStore(context.store).conversations(since, until), chosen)
    if chosen.code or chosen.who:
        audit(EventKind.SESSION_LOOKED_UP, {"code": chosen.code or None, "by_number": bool(chosen.who),
                                            "found": len(conversations)})
    return chosen, conversations


@dataclass(frozen=True)
class Row:
    """A call in the list, in words."""

    id: int
    started: str
    channel: str
    system: str
    outcome: str
    code: str


def rows(line: Line, conversations: list[Conversation]) -> list[Row]:
    return [Row(conversation.id, f"{line.calendar.local(conversation.started_at):%Y-%m-%d %H.%M}",
                t(CHANNELS.get(conversation.channel, conversation.channel)),
                system_name(line, conversation.system), outcome(conversation.outcome), conversation.ref or "")
            for conversation in conversations]


@bp.get("/calls")
def calls() -> tuple[str, int]:
    """The list with its filters."""
    line = turn_context().line
    chosen, found = found_calls()
    systems = sorted(((c.id, f"{c.key}. {c.name['sv']}") for c in line.library.checklists), key=lambda item: item[1])
    status = 404 if (chosen.code and not found) else 200
    without_who: dict[str, Any] = {name: value for name, value in chosen.query().items() if name != "vem"}
    return render_template("admin/calls.html", filters=chosen, rows=rows(line, found[:SHOWN]), total=len(found),
                           shown=SHOWN, systems=systems, channels=said(CHANNELS), outcomes=said(OUTCOMES),
                           none=NONE,
                           csv_url=url_for("admin.calls_csv", **chosen.query()),
                           retention=line.settings.retention_days, number_error=None,
                           clear_who_url=url_for("admin.calls", **without_who)), status


@bp.post("/calls/nummer")
def calls_by_number() -> BaseResponse | tuple[str, int]:
    """The caller's number typed: its pseudonym in the address (never the number)."""
    number = typed_number(request.form.get("nummer", ""))
    if number is None:
        line = turn_context().line
        return render_template("admin/calls.html", filters=filters(line, line.calendar.local(
            turn_context().now).date()), rows=[], total=0, shown=SHOWN, systems=[], channels=said(CHANNELS),
            outcomes=said(OUTCOMES), none=NONE, csv_url=None, retention=line.settings.retention_days,
            number_error=t("Skriv ett telefonnummer, till exempel 070-123 45 67."), clear_who_url=""), 400
    kept: dict[str, Any] = {name: request.form.get(name, "")[:40] for name in ("fran", "till", "system", "kanal",
                                                                                "utfall")}
    return redirect(url_for("admin.calls", **{k: v for k, v in kept.items() if v}, vem=caller_key(number)), 303)


@bp.get("/calls.csv")
def calls_csv() -> Response:
    """One row per call for the filters: when, channel, system, outcome, code; no number."""
    line = turn_context().line
    chosen, found = found_calls()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")  # Excel in Swedish opens ;-separated files as columns
    # In the console's language, as the page the list came from; the outcome's code stays as `ivr report` has it.
    writer.writerow([t(heading) for heading in ("start", "senast", "kanal", "system", "utfall", "utfallskod", "kod",
                                                 "steg besvarade")])
    for conversation in found:
        writer.writerow([f"{line.calendar.local(conversation.started_at):%Y-%m-%d %H:%M:%S}",
                         f"{line.calendar.local(conversation.last_at):%Y-%m-%d %H:%M:%S}",
                         t(CHANNELS.get(conversation.channel, conversation.channel)),
                         system_name(line, conversation.system), outcome(conversation.outcome),
                         conversation.outcome or "", conversation.ref or "",
                         sum(1 for event in conversation.events if event["kind"] == EventKind.ANSWER)])
    name = f"samtal-{chosen.start:%Y%m%d}-{chosen.end:%Y%m%d}.csv"
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",  # the BOM: Excel reads å, ä, ö right
                    headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.get("/calls/<int:call_id>")
def call(call_id: int) -> str:
    """One call's timeline."""
    context = turn_context()
    found = ConsoleStore(context.store).conversation(call_id)
    if found is None:
        abort(404)
    told = timeline(context.line, context.store, found)
    return render_template("admin/call.html", told=told, local=context.line.calendar.local)
