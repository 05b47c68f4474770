"""The report as SVG charts and CSV: the same figures as `ivr report --json` for the same conversations."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from flask import Flask

from flows.line import load_line
from flows.model import Outcome
from ivr.cli.report import report
from ivr.reports.report import build_report, csv_text, weekly_reports
from ivr.reports.svg import ChartRow, Series, report_charts, stacked_bar_chart
from tests.conftest import STOCKHOLM, FrozenClock, Twilio, local
from tests.test_report import known_week

LINE = load_line()
SVG = "{http://www.w3.org/2000/svg}"
SINCE, UNTIL = "2026-11-09", "2026-11-29"  # three ISO weeks: W46, W47, W48 (the CLI's --until includes that day)


def cli_json(database_url: str, since: str, until: str) -> dict[str, Any]:
    result = CliRunner().invoke(report, ["--database", database_url, "--since", since, "--until", until, "--json"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)
    return data


def bars(svg: str) -> dict[tuple[str, str], int]:
    """(row, figure) -> the value a chart draws, read from the SVG as a browser or screen reader gets it."""
    root = ET.fromstring(svg)
    found = {}
    for row in root.iter(f"{SVG}g"):
        if row.get("data-row") is None:
            continue
        for segment in row.iter(f"{SVG}g"):
            if segment.get("data-figure") is not None:
                title = segment.find(f"{SVG}title")
                value = int(str(segment.get("data-value")))
                assert title is not None and str(title.text).endswith(f" {value}")  # the number, as words read it
                found[(str(row.get("data-row")), str(segment.get("data-figure")))] = value
    return found


def totals(svg: str) -> dict[str, int]:
    """row -> the total printed at the end of its bar."""
    root = ET.fromstring(svg)
    return {str(row.get("data-row")): int(str(text.text)) for row in root.iter(f"{SVG}g") if row.get("data-row")
            is not None for text in row.iter(f"{SVG}text") if text.get("class") == "total"}


def test_the_charts_draw_the_figures_of_ivr_report_json(
    app: Flask, twilio: Twilio, clock: FrozenClock, database_url: str
) -> None:
    known_week(app, twilio, clock)
    expected = cli_json(database_url, SINCE, UNTIL)
    events = app.extensions["ivr.store"].events()
    since, until = local(f"{SINCE}T00:00"), local("2026-11-30T00:00")
    result = build_report(events, LINE.library, since=since, until=until)
    charts = report_charts(result, LINE.library, weekly_reports(events, LINE.library, since, until, STOCKHOLM))
    rows = {row["system"] or "": row for row in expected["systems"]}
    drawn = bars(charts["outcomes"])
    figures = [outcome.value for outcome in Outcome] + ["abandoned"]
    assert drawn == {(system, figure): row[figure] for system, row in rows.items() for figure in figures
                     if row[figure]}
    assert drawn[("viva", "on_call_manager")] == 3 and drawn[("npo", "supplier_outage")] == 1
    assert totals(charts["channels"]) == {system: row["sessions"] for system, row in rows.items() if row["sessions"]}
    assert bars(charts["channels"]) == {(system, channel): row[channel] for system, row in rows.items()
                                        for channel in ("voice", "sms") if row[channel]}
    assert totals(charts["escalations"]) == {system: row["on_call_manager"] for system, row in rows.items()
                                             if row["on_call_manager"]}
    assert bars(charts["escalations"])[("viva", "on_call_connected")] == rows["viva"]["on_call_connected"] == 2
    assert bars(charts["solved_by_step"]) == {(f"{system}:{step}", "resolved"): number for system, row in rows.items()
                                              for step, number in row["solved_by_step"].items()}


def test_the_weekly_chart_draws_each_weeks_figures_of_ivr_report_json(
    app: Flask, twilio: Twilio, clock: FrozenClock, database_url: str
) -> None:
    known_week(app, twilio, clock)
    events = app.extensions["ivr.store"].events()
    since, until = local(f"{SINCE}T00:00"), local("2026-11-30T00:00")
    weeks = weekly_reports(events, LINE.library, since, until, STOCKHOLM)
    assert [label for label, _ in weeks] == ["2026-W46", "2026-W47", "2026-W48"]
    drawn = bars(report_charts(build_report(events, LINE.library, since=since, until=until), LINE.library,
                               weeks)["weeks"])
    for label, first, last in (("2026-W46", "2026-11-09", "2026-11-15"), ("2026-W47", "2026-11-16", "2026-11-22"),
                               ("2026-W48", "2026-11-23", "2026-11-29")):
        expected = cli_json(database_url, first, last)
        assert {figure: value for (row, figure), value in drawn.items() if row == label} == {
            row["system"] or "": row["sessions"] for row in expected["systems"] if row["sessions"]}
    assert drawn[("2026-W46", "viva")] == 1  # the old call, two weeks earlier


def test_the_csv_download_is_ivr_reports_csv(
    app: Flask, twilio: Twilio, clock: FrozenClock, database_url: str, tmp_path: Path
) -> None:
    known_week(app, twilio, clock)
    out = tmp_path / "report.csv"
    result = CliRunner().invoke(report, ["--database", database_url, "--since", SINCE, "--until", UNTIL,
                                         "--csv", str(out)])
    assert result.exit_code == 0, result.output
    built = build_report(app.extensions["ivr.store"].events(), LINE.library, since=local(f"{SINCE}T00:00"),
                         until=local("2026-11-30T00:00"))
    assert csv_text(built, LINE.library).encode("utf-8") == out.read_bytes()


def test_text_is_escaped_and_the_chart_is_labelled_for_screen_readers() -> None:
    svg = stacked_bar_chart("Titel <&>", "Beskrivning", [Series("a", "A & B", "#1f5f99")],
                            [ChartRow("x", "</text><script>alert(1)</script>", {"a": 3})])
    root = ET.fromstring(svg)  # well-formed whatever the names hold
    assert root.get("role") == "img" and root.get("aria-labelledby")
    assert root.find(f"{SVG}title").text == "Titel <&>"  # type: ignore[union-attr]
    assert "<script>" not in svg and "&lt;/text&gt;&lt;script&gt;" in svg
    assert bars(svg) == {("x", "a"): 3}


def test_an_empty_period_draws_empty_charts_not_an_error() -> None:
    empty = build_report([], LINE.library, since=local("2026-11-23T00:00"), until=local("2026-11-30T00:00"))
    charts = report_charts(empty, LINE.library, [("2026-W48", empty)])
    assert all(bars(svg) == {} for name, svg in charts.items() if name != "weeks")
    assert totals(charts["weeks"]) == {"2026-W48": 0}
