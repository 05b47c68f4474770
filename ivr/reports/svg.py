"""`ivr report`'s figures as server-rendered SVG bar charts, readable at a glance and by a screen reader.

Pure: a Report in, SVG text out (no Flask, no database). The SVG is built with ElementTree,
which escapes every text, so a system's name can never break the markup. Every bar carries its
figure as data-row/data-figure/data-value and a <title> ("Viva: Löst 2"), and each row's total
is printed as text, so the numbers are there for people, screen readers and tests alike.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import count

from flows.model import Library, Outcome
from ivr.reports.report import Report, SystemFigures, ordered_steps, outcome_heading, row_label, step_label

SVG_NS = "http://www.w3.org/2000/svg"
# Colours with at least 4.5:1 contrast against white (WCAG 2.1 AA for the white numbers on them);
# neighbours differ in lightness too, so the segments part for colour-blind readers.
PALETTE = ("#1f5f99", "#2e7d32", "#8a4b00", "#6a1b9a", "#b00020", "#00695c", "#37474f", "#ad1457", "#4e342e",
           "#283593")
LABEL_WIDTH = 190  # px for the row labels on the left
BAR_WIDTH = 420  # px for the longest bar
ROW_HEIGHT = 26
TOTAL_GAP = 8
MIN_INSIDE_LABEL = 20  # px: a segment narrower than this shows its number only in its <title>
_ids = count(1)


@dataclass(frozen=True)
class Series:
    """One figure drawn in a chart: its name in the data, its Swedish heading, its colour."""

    figure: str
    heading: str
    colour: str


@dataclass(frozen=True)
class ChartRow:
    """One bar: its label, the value it is found by (a system id, a week), and its figures."""

    key: str
    label: str
    values: dict[str, int]


def stacked_bar_chart(title: str, description: str, series: Sequence[Series], rows: Sequence[ChartRow]) -> str:
    """Horizontal bars, one per row, split into the series' figures; each row's total at its end."""
    chart_id = f"chart{next(_ids)}"
    width = LABEL_WIDTH + BAR_WIDTH + 60
    shown = [item for item in series if any(row.values.get(item.figure, 0) for row in rows)]  # legend: drawn only
    legend_height = ROW_HEIGHT * _legend_lines(shown, width)
    height = legend_height + ROW_HEIGHT * max(len(rows), 1) + 10
    svg = ET.Element("svg", {
        "xmlns": SVG_NS, "viewBox": f"0 0 {width} {height}", "width": "100%", "role": "img",
        "aria-labelledby": f"{chart_id}-title {chart_id}-desc", "class": "report-chart",
        "font-family": "system-ui, sans-serif", "font-size": "13",
    })
    ET.SubElement(svg, "title", {"id": f"{chart_id}-title"}).text = title
    ET.SubElement(svg, "desc", {"id": f"{chart_id}-desc"}).text = description
    _legend(svg, shown, width)
    largest = max((sum(row.values.get(s.figure, 0) for s in series) for row in rows), default=0) or 1
    for index, row in enumerate(rows):
        y = legend_height + index * ROW_HEIGHT
        group = ET.SubElement(svg, "g", {"data-row": row.key})
        total = sum(row.values.get(s.figure, 0) for s in series)
        ET.SubElement(group, "title").text = f"{row.label}: totalt {total}"
        ET.SubElement(group, "text", {"x": str(LABEL_WIDTH - 6), "y": str(y + 17), "text-anchor": "end",
                                      "fill": "#1a1a1a"}).text = row.label
        x = float(LABEL_WIDTH)
        for item in series:
            value = row.values.get(item.figure, 0)
            if value <= 0:
                continue
            span = BAR_WIDTH * value / largest
            segment = ET.SubElement(group, "g", {"data-figure": item.figure, "data-value": str(value)})
            ET.SubElement(segment, "title").text = f"{row.label}: {item.heading} {value}"
            ET.SubElement(segment, "rect", {"x": f"{x:.1f}", "y": str(y + 3), "width": f"{span:.1f}",
                                            "height": str(ROW_HEIGHT - 6), "fill": item.colour})
            if span >= MIN_INSIDE_LABEL:
                ET.SubElement(segment, "text", {"x": f"{x + span / 2:.1f}", "y": str(y + 17),
                                                "text-anchor": "middle", "fill": "#ffffff",
                                                "aria-hidden": "true"}).text = str(value)
            x += span
        ET.SubElement(group, "text", {"x": f"{x + TOTAL_GAP:.1f}", "y": str(y + 17), "fill": "#1a1a1a",
                                      "class": "total", "data-total": str(total)}).text = str(total)
    return ET.tostring(svg, encoding="unicode")


def _legend_places(series: Sequence[Series], width: int) -> list[tuple[Series, int, int]]:
    """(series, x, line) for each legend entry, wrapped to the chart's width."""
    places, x, line = [], 0, 0
    for item in series:
        span = 26 + 8 * len(item.heading)  # about 8 px a character at 13 px, with room
        if x and x + span > width:
            x, line = 0, line + 1
        places.append((item, x, line))
        x += span
    return places


def _legend_lines(series: Sequence[Series], width: int) -> int:
    places = _legend_places(series, width)
    return places[-1][2] + 1 if places else 1


def _legend(svg: ET.Element, series: Sequence[Series], width: int) -> None:
    # Hidden from screen readers: each bar's <title> names its figure in words already.
    legend = ET.SubElement(svg, "g", {"class": "legend", "aria-hidden": "true"})
    for item, x, line in _legend_places(series, width):
        y = line * ROW_HEIGHT
        ET.SubElement(legend, "rect", {"x": str(x), "y": str(y + 4), "width": "12", "height": "12",
                                       "fill": item.colour})
        ET.SubElement(legend, "text", {"x": str(x + 16), "y": str(y + 15), "fill": "#1a1a1a"}).text = item.heading


def _series(pairs: Sequence[tuple[str, str]]) -> list[Series]:
    return [Series(figure, heading, PALETTE[index % len(PALETTE)]) for index, (figure, heading) in enumerate(pairs)]


OUTCOME_SERIES = _series([*((outcome.value, outcome_heading(outcome)) for outcome in Outcome),
                          ("abandoned", "Avbrutna")])
CHANNEL_SERIES = _series([("voice", "Samtal"), ("sms", "SMS")])
ESCALATION_SERIES = _series([("on_call_connected", "Kopplad"), ("on_call_manager_sms", "Sms till chefen"),
                             ("on_call_unanswered", "Varken kopplad eller sms")])


def _figures(row: SystemFigures, series: Sequence[Series]) -> dict[str, int]:
    return {item.figure: int(getattr(row, item.figure)) for item in series}


def _row(row: SystemFigures, values: dict[str, int]) -> ChartRow:
    return ChartRow(row.system or "", row_label(row), values)


def report_charts(report: Report, library: Library, weeks: Sequence[tuple[str, Report]] = ()) -> dict[str, str]:
    """Every chart of the report, by name: channels, outcomes, escalations, solved_by_step, weeks."""
    rows = [row for row in report.systems if row.sessions]
    charts = {
        "channels": stacked_bar_chart(
            "Ärenden per system och kanal", "Samtal och sms per system under perioden.", CHANNEL_SERIES,
            [_row(row, _figures(row, CHANNEL_SERIES)) for row in rows]),
        "outcomes": stacked_bar_chart(
            "Hur ärendena slutade, per system", "Utfall per system: löst, IT-support, chef i beredskap med flera.",
            OUTCOME_SERIES, [_row(row, _figures(row, OUTCOME_SERIES)) for row in rows]),
        "escalations": stacked_bar_chart(
            "Chef i beredskap: hur det gick", "Ärenden till chef i beredskap per system: kopplade, sms till "
            "chefen, och de som varken kopplades eller gav ett sms (samtalet bröts innan).", ESCALATION_SERIES,
            [_row(row, _escalations(row)) for row in rows if row.on_call_manager]),
        "solved_by_step": stacked_bar_chart(
            "Löst vid vilket steg", "Hur många ärenden varje steg i checklistan löste.",
            _series([("resolved", "Löst")]),
            [ChartRow(f"{row.system}:{step}", f"{row_label(row)}, {step_label(row, step, library)}",
                      {"resolved": number})
             for row in rows for step, number in ordered_steps(row, library)]),
    }
    if weeks:
        week_series = _series([(row.system or "", row_label(row)) for row in report.systems])
        charts["weeks"] = stacked_bar_chart(
            "Ärenden per vecka och system", "Samtal och sms per vecka, uppdelat på system.", week_series,
            [ChartRow(label, label, {row.system or "": row.sessions for row in week.systems})
             for label, week in weeks])
    return charts


def _escalations(row: SystemFigures) -> dict[str, int]:
    """The on-call outcomes split so that the parts add up to the whole (a call-back counts by how it went)."""
    connected, texted = row.on_call_connected, row.on_call_manager_sms
    return {"on_call_connected": connected, "on_call_manager_sms": texted,
            "on_call_unanswered": max(row.on_call_manager - connected - texted, 0)}
