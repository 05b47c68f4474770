"""Console page: the report's figures as charts for a period, and the same CSV as `ivr report --csv`.

On the console's blueprint (ivr/admin/blueprint.py): its guard and error pages apply.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

from flask import Response, render_template, request, url_for

from flows.moments import MomentError, parse_moment
from ivr import parts
from ivr.admin.auth import login_required
from ivr.admin.blueprint import bp
from ivr.admin.texts import t
from ivr.reports.report import build_report, csv_text, weekly_reports
from ivr.reports.svg import report_charts
from ivr.store import StoreError

REPORT_DEFAULT_DAYS = 28  # four weeks: the weekly chart then has something to compare
QUICK = [(7, "Senaste 7 dagarna"), (28, "Senaste 4 veckorna"), (91, "Senaste 3 månaderna")]
BAD_DATE = "Datumet går inte att läsa. Välj ett datum i kalendern."


@bp.get("/report")
@login_required
def report() -> tuple[str, int]:
    """The report's figures as charts, for a period (default the last four weeks)."""
    line = parts.line()
    zone = line.calendar.tz
    today = parts.now().astimezone(zone).date()
    since_text = request.args.get("since", "").strip()[:40] or default_since(today)
    until_text = request.args.get("until", "").strip()[:40] or today.isoformat()
    quick = [(label, url_for("admin.report", since=(today - timedelta(days=days - 1)).isoformat(),
                             until=today.isoformat())) for days, label in QUICK]
    try:
        start, end = _period(since_text, until_text, zone)
    except MomentError as exc:
        return render_template("admin/report.html", error=str(exc), since=since_text, until=until_text,
                               charts={}, csv_url=None, quick=quick), 400
    try:
        events = parts.store().events()
    except StoreError:
        return render_template("admin/report.html", error=t("Databasen svarar inte. Försök igen om en stund."),
                               since=since_text, until=until_text, charts={}, csv_url=None, quick=quick), 503
    result = build_report(events, line.library, since=start, until=end)
    charts = report_charts(result, line.library, weekly_reports(events, line.library, start, end, zone))
    return render_template("admin/report.html", error=None, since=since_text, until=until_text, charts=charts,
                           start=start, end=end, quick=quick,
                           csv_url=url_for("admin.report_csv", since=since_text, until=until_text)), 200


@bp.get("/report.csv")
@login_required
def report_csv() -> Response | tuple[str, int]:
    """The same CSV as `ivr report --csv` for the period."""
    line = parts.line()
    zone = line.calendar.tz
    try:
        today = parts.now().astimezone(zone).date()
        start, end = _period(request.args.get("since", "").strip()[:40] or default_since(today),
                             request.args.get("until", "").strip()[:40], zone)
        events = parts.store().events()
    except MomentError as exc:
        return f"Fel period: {exc}", 400
    except StoreError:
        return "Databasen svarar inte. Försök igen om en stund.", 503
    body = csv_text(build_report(events, line.library, since=start, until=end), line.library)
    name = f"felsokningslinjen-{start:%Y%m%d}-{end:%Y%m%d}.csv"
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": f"attachment; filename={name}"})


def _period(since: str, until: str, zone: tzinfo) -> tuple[datetime, datetime]:
    """As `ivr report`: --until (a bare date includes that day, default now), --since counting back from it."""
    now = parts.now().astimezone(zone)
    try:
        end = parse_moment(until, now, zone, end_of_day=True) if until else now
        start = parse_moment(since or default_since(now.date()), end, zone)
    except MomentError:
        raise MomentError(BAD_DATE) from None
    if start >= end:
        raise MomentError(f"Från-datumet ({start:%Y-%m-%d}) måste vara före till-datumet ({end:%Y-%m-%d}).")
    return start, end


def default_since(today: date) -> str:
    """The first day of the last four weeks, as the date picker shows it."""
    return (today - timedelta(days=REPORT_DEFAULT_DAYS - 1)).isoformat()
