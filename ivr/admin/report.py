"""Console page: the report's figures as charts for a period, and the same CSV as `ivr report --csv`.

On the console's blueprint (ivr/admin/blueprint.py): its guard and error pages apply.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from flask import Response, render_template, request, url_for

from flows.moments import MomentError, parse_moment
from ivr import parts
from ivr.admin.auth import login_required
from ivr.admin.blueprint import bp
from ivr.reports.report import build_report, csv_text, weekly_reports
from ivr.reports.svg import report_charts
from ivr.store import StoreError

REPORT_DEFAULT_SINCE = "28d"  # four weeks: the weekly chart then has something to compare


@bp.get("/report")
@login_required
def report() -> tuple[str, int]:
    """The report's figures as charts, for a period (default the last four weeks)."""
    line = parts.line()
    zone = line.calendar.tz
    since_text = request.args.get("since", REPORT_DEFAULT_SINCE).strip()[:40]
    until_text = request.args.get("until", "").strip()[:40]
    try:
        start, end = _period(since_text, until_text, zone)
    except MomentError as exc:
        return render_template("admin/report.html", error=str(exc), since=since_text, until=until_text,
                               charts={}, csv_url=None), 400
    try:
        events = parts.store().events()
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
    line = parts.line()
    zone = line.calendar.tz
    try:
        start, end = _period(request.args.get("since", REPORT_DEFAULT_SINCE).strip()[:40],
                             request.args.get("until", "").strip()[:40], zone)
        events = parts.store().events()
    except MomentError as exc:
        return f"Fel period / bad period: {exc}", 400
    except StoreError:
        return "Databasen svarar inte. / The database does not answer.", 503
    body = csv_text(build_report(events, line.library, since=start, until=end), line.library)
    name = f"felsokningslinjen-{start:%Y%m%d}-{end:%Y%m%d}.csv"
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": f"attachment; filename={name}"})


def _period(since: str, until: str, zone: tzinfo) -> tuple[datetime, datetime]:
    """As `ivr report`: --until (a bare date includes that day, default now), --since counting back from it."""
    now = parts.now().astimezone(zone)
    end = parse_moment(until, now, zone, end_of_day=True) if until else now
    start = parse_moment(since or REPORT_DEFAULT_SINCE, end, zone)
    if start >= end:
        raise MomentError(f"'från' ({start:%Y-%m-%d %H:%M}) är inte före 'till' ({end:%Y-%m-%d %H:%M}) "
                          "/ the start is not before the end")
    return start, end
