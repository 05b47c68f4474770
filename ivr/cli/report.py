"""`ivr report`: the report of ivr/reports/report.py for a period, as a table, JSON or CSV files."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click

from flows.moments import MomentError, parse_moment
from ivr.cli.database import database_option
from ivr.folders import checklists_option, config_option, line_folders
from ivr.reports.report import build_report, incident_figures, moment_text, table_lines, write_csv, write_incidents_csv


@click.command()
@click.option("--since", default="7d", show_default=True,
              help="Start: a duration before --until (24h, 7d, 30d) or an ISO date or date-time.")
@click.option("--until", default=None, help="End (exclusive; a bare date includes that day). Default: now.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write one row per system with every figure to this CSV file.")
@click.option("--incidents-csv", "incidents_csv", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write one row per incident of the period to this CSV file.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON instead of a table.")
@database_option
@checklists_option
@config_option
def report(since: str, until: str | None, csv_path: Path | None, incidents_csv: Path | None, as_json: bool,
           database_url: str | None, checklists_dir: Path | None, config_dir: Path | None) -> None:
    """Conversations per system and how they ended, from the audit log; the period's incidents."""
    from flows.line import load_line
    from flows.yamlfile import DataError
    from ivr.config import default_database_url
    from ivr.store import Store, StoreError
    from ivr.store.incidents import IncidentStore

    folders = line_folders(config_dir, checklists_dir)
    try:
        line = load_line(folders.checklists, folders.config)
    except DataError as exc:
        raise click.ClickException(str(exc)) from None
    zone = line.calendar.tz
    now = datetime.now(zone)
    try:
        end = parse_moment(until, now, zone, end_of_day=True) if until else now
    except MomentError as exc:
        raise click.BadParameter(str(exc), param_hint="--until") from None
    try:
        # A duration counts back from the end, so a report of a past week is `--until DATE --since 7d`.
        start = parse_moment(since, end, zone)
    except MomentError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    if start >= end:
        raise click.BadParameter(f"--since ({moment_text(start, zone)}) is not before --until "
                                 f"({moment_text(end, zone)})")
    try:
        store = Store(database_url or default_database_url())
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        # Store.events() reads the whole log; build_report keeps the period.
        events = store.events()
        incidents = IncidentStore(store).since(start)
    except StoreError as exc:
        raise click.ClickException(f"{exc} (has `ivr db upgrade` been run on {store.url}?)") from None
    finally:
        store.dispose()
    result = build_report(events, line.library, since=start.astimezone(zone), until=end.astimezone(zone))
    result.incidents = incident_figures(incidents, line.library, line.roster, start, end)
    if csv_path is not None:
        write_csv(result, line.library, csv_path)
    if incidents_csv is not None:
        write_incidents_csv(result, incidents_csv)
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        for text in table_lines(result, line.library, zone):
            click.echo(text)
