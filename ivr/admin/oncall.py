"""Console pages: on-call (this week, swaps, gaps), the report as charts with CSV, the checklists in words.

Routes on the console's blueprint (ivr/admin/blueprint.py), so its guard (a signed-in admin),
its CSRF check on every POST and its error pages apply. A swap's one audit event is written
with the swap itself, by the signed-in admin (as `audit()` writes the console's other actions).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
from typing import cast

from flask import Response, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from flows.line import Line
from flows.moments import MomentError, parse_moment
from flows.oncall import GAP_DAYS, OncallChange, OncallError, merged, new_change, next_handover_time
from ivr.admin.auth import Admin, current_admin, login_required
from ivr.admin.blueprint import NAV, bp
from ivr.reports.checklist_words import checklist_words, render_fragment
from ivr.reports.report import build_report, csv_text, weekly_reports
from ivr.reports.svg import report_charts
from ivr.store import Store, StoreError
from ivr.store.console import admin_session_id
from ivr.web.oncall_cache import OncallCache, changes_from_rows, row_values
from ivr.web.turn_context import Clock

NAV.extend([("admin.oncall", "Beredskap"), ("admin.report", "Rapport"), ("admin.checklists", "Checklistor")])
REPORT_DEFAULT_SINCE = "28d"  # four weeks: the weekly chart then has something to compare
WEEKDAYS_SV = ("mån", "tis", "ons", "tor", "fre", "lör", "sön")


@dataclass(frozen=True)
class SwapForm:
    """What the swap form was sent with, kept to show it again with its error."""

    who: str = ""
    replaces: str = ""
    start: str = ""
    end: str = ""
    note: str = ""


def _line() -> Line:
    return cast(Line, current_app.extensions["ivr.line"])


def _store() -> Store:
    return cast(Store, current_app.extensions["ivr.store"])


def _now() -> datetime:
    return cast(Clock, current_app.extensions["ivr.clock"])()


@bp.get("/oncall")
@login_required
def oncall() -> str:
    """This week's chain, the swaps in force, the chain now, and gaps in the next 14 days."""
    return _oncall_page(SwapForm(), None, 200)[0]


def _oncall_page(form: SwapForm, error: str | None, status: int) -> tuple[str, int]:
    line, now = _line(), _now()
    roster = line.roster
    cache = cast(OncallCache, current_app.extensions["ivr.oncall"])
    store_error = None
    try:
        swaps = changes_from_rows(_store().oncall_overrides(now))
    except StoreError as exc:
        store_error = str(exc)
        swaps = cache.changes(now, refresh=False)  # what this worker dials with
    effective = merged(roster, swaps)
    local = now.astimezone(roster.tz)
    week_start = local.replace(hour=roster.handover_time.hour, minute=roster.handover_time.minute, second=0,
                               microsecond=0) - timedelta(days=(local.weekday() - roster.handover_day) % 7)
    if week_start > local:
        week_start -= timedelta(days=7)
    days = [(f"{WEEKDAYS_SV[moment.weekday()]} {moment:%Y-%m-%d}", roster.on_call_at(moment),
             effective.on_call_at(moment))
            for moment in (week_start + timedelta(days=offset, hours=14) for offset in range(7))]
    page = render_template(
        "admin/oncall.html", now=local, days=days, fallback=[roster.people[p] for p in roster.fallback],
        chain=effective.chain_at(now), swaps=[_local(swap, roster.tz) for swap in swaps],
        gaps=effective.gaps(now, days=GAP_DAYS), gap_days=GAP_DAYS, people=sorted(roster.people.values(),
                                                                                 key=lambda p: p.name),
        form=form, error=error, store_error=store_error,
        default_end=next_handover_time(roster, now), saved=request.args.get("saved"),
    )
    return page, status


def _signed_in() -> Admin:
    admin = current_admin()
    assert admin is not None  # the blueprint's guard, and login_required
    return admin


def _local(swap: OncallChange, zone: tzinfo) -> OncallChange:
    return replace(swap, start=swap.start.astimezone(zone), end=swap.end.astimezone(zone))


@bp.post("/oncall")
@login_required
def set_swap() -> BaseResponse | tuple[str, int]:
    """Store a swap from the form; a bad one is shown again with the reason (400)."""
    form = SwapForm(**{name: request.form.get(name, "").strip()[:200] for name in SwapForm.__dataclass_fields__})
    line, now = _line(), _now()
    roster = line.roster
    try:
        start = _form_moment(form.start, now, roster.tz, "Från/From") if form.start else now
        end = _form_moment(form.end, now, roster.tz, "Till/Until") if form.end else next_handover_time(roster, start)
        admin = _signed_in()
        swap = new_change(roster, form.who, start, end, now, replaces=form.replaces or None, note=form.note,
                          by=admin.who)
        _store().add_oncall_override(row_values(swap), now, admin.who[:64], session_id=admin_session_id(admin.key),
                                     by_key=admin.key)
    except OncallError as exc:
        return _oncall_page(form, str(exc), 400)
    except StoreError as exc:
        current_app.logger.error("on-call swap not stored: %s", exc)
        return _oncall_page(form, "Databasen svarar inte: bytet sparades inte. / The database does not answer: "
                                  "the swap was not stored.", 503)
    cast(OncallCache, current_app.extensions["ivr.oncall"]).invalidate()
    return redirect(url_for("admin.oncall", saved="1"), 303)


@bp.post("/oncall/<int:swap_id>/clear")
@login_required
def clear_swap(swap_id: int) -> BaseResponse | tuple[str, int]:
    """End a swap now."""
    admin = _signed_in()
    try:
        found = _store().clear_oncall_override(swap_id, _now(), admin.who[:64], session_id=admin_session_id(admin.key),
                                               by_key=admin.key)
    except StoreError:
        return _oncall_page(SwapForm(), "Databasen svarar inte: bytet är kvar. / The database does not answer.", 503)
    if not found:
        return _oncall_page(SwapForm(), f"Inget aktivt byte #{swap_id}. / No swap #{swap_id} in force.", 404)
    cast(OncallCache, current_app.extensions["ivr.oncall"]).invalidate()
    return redirect(url_for("admin.oncall", saved="1"), 303)


def _form_moment(text: str, now: datetime, zone: tzinfo, label: str) -> datetime:
    """A datetime-local field (2026-11-25T18:00) or a time of today (18:00)."""
    try:
        if len(text) <= 5 and ":" in text:
            text = f"{now.astimezone(zone):%Y-%m-%d}T{text}"
        return parse_moment(text, now, zone)
    except MomentError as exc:
        raise OncallError(f"{label}: {exc}") from None


@bp.get("/report")
@login_required
def report() -> tuple[str, int]:
    """The report's figures as charts, for a period (default the last four weeks)."""
    line = _line()
    zone = line.calendar.tz
    since_text = request.args.get("since", REPORT_DEFAULT_SINCE).strip()[:40]
    until_text = request.args.get("until", "").strip()[:40]
    try:
        start, end = _period(since_text, until_text, zone)
    except MomentError as exc:
        return render_template("admin/report.html", error=str(exc), since=since_text, until=until_text,
                               charts={}, csv_url=None), 400
    try:
        events = _store().events()
    except StoreError:
        return render_template("admin/report.html", error="Databasen svarar inte. / The database does not answer.",
                               since=since_text, until=until_text, charts={}, csv_url=None), 503
    result = build_report(events, line.library, since=start, until=end)
    charts = report_charts(result, line.library, weekly_reports(events, line.library, start, end, zone))
    return render_template("admin/report.html", error=None, since=since_text, until=until_text, charts=charts,
                           start=start, end=end,
                           csv_url=url_for("admin.report_csv", since=since_text, until=until_text)), 200


@bp.get("/report.csv")
@login_required
def report_csv() -> Response | tuple[str, int]:
    """The same CSV as `ivr report --csv` for the period."""
    line = _line()
    zone = line.calendar.tz
    try:
        start, end = _period(request.args.get("since", REPORT_DEFAULT_SINCE).strip()[:40],
                             request.args.get("until", "").strip()[:40], zone)
        events = _store().events()
    except MomentError as exc:
        return f"Fel period / bad period: {exc}", 400
    except StoreError:
        return "Databasen svarar inte. / The database does not answer.", 503
    body = csv_text(build_report(events, line.library, since=start, until=end), line.library)
    name = f"felsokningslinjen-{start:%Y%m%d}-{end:%Y%m%d}.csv"
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": f"attachment; filename={name}"})


def _period(since: str, until: str, zone: tzinfo) -> tuple[datetime, datetime]:
    """As `ivr report`: --until (a bare date includes that day, default now), --since counting back from it."""
    now = _now().astimezone(zone)
    end = parse_moment(until, now, zone, end_of_day=True) if until else now
    start = parse_moment(since or REPORT_DEFAULT_SINCE, end, zone)
    if start >= end:
        raise MomentError(f"'från' ({start:%Y-%m-%d %H:%M}) är inte före 'till' ({end:%Y-%m-%d %H:%M}) "
                          "/ the start is not before the end")
    return start, end


@bp.get("/checklists")
@login_required
def checklists() -> str:
    """Each system's steps as callers hear and read them, and its routing, read-only."""
    lang = request.args.get("lang", "sv")
    if lang not in ("sv", "en"):
        lang = "sv"
    return render_template("admin/checklists.html", lang=lang,
                           fragment=render_fragment(checklist_words(_line(), lang), lang))

