"""`ivr oncall`: same-day swaps of Chef i beredskap, kept in the store and used from the next call on."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import click

from flows.line import line_zone
from flows.moments import MomentError, parse_moment
from flows.oncall import OncallChange, OncallError, new_change, next_handover_time
from flows.roster import Roster, parse_roster
from flows.yamlfile import DataError, display_path, read_yaml
from ivr.cli.database import database_option, open_store
from ivr.folders import config_option, line_folders


def read_roster(config_dir: Path | None) -> Roster:
    """roster.yaml of the configuration folder (ivr.folders' rule), checked; problems printed, then exit 1."""
    config_dir = line_folders(config_dir).config
    path = config_dir / "roster.yaml"
    try:
        return parse_roster(read_yaml(path), display_path(path), zone=str(line_zone(config_dir)))
    except DataError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        raise SystemExit(1) from None


def stored_changes(database_url: str | None, now: datetime) -> tuple[OncallChange, ...]:
    """The swaps in force in the store (raises StoreError when it cannot be read)."""
    from ivr.web.oncall_cache import changes_from_rows

    store = open_store(database_url)
    try:
        return changes_from_rows(store.oncall_overrides(now))
    finally:
        store.dispose()


@click.group()
def oncall() -> None:
    """Same-day swaps of Chef i beredskap (on top of config/roster.yaml).

    \b
    Examples:
      ivr oncall set bengt                        # Bengt first in the chain until 08:00 tomorrow
      ivr oncall set cecilia --replaces reserv --from 18:00 --until 2026-11-26T08:00
      ivr oncall set "070-174 06 19" --name "Dina Ek" --note "Anna sjuk"
      ivr oncall list
      ivr oncall clear 3
    """


@oncall.command("set")
@click.argument("who")
@click.option("--from", "start_text", help="Start: 18:00 (today) or 2026-11-25T18:00; default now.")
@click.option("--until", "end_text", help="End: 2026-11-26T08:00; default the next handover hour (08:00).")
@click.option("--replaces", help="A roster person this one stands in for (default: first in the chain).")
@click.option("--name", default="", help="The name to show for a number that is not in roster.yaml.")
@click.option("--note", default="", help="Why (shown in `ivr roster` and the console).")
@click.option("--by", "by", default="cli", show_default=True, help="Who makes the swap (the audit log).")
@config_option
@database_option
def set_swap(who: str, start_text: str | None, end_text: str | None, replaces: str | None, name: str, note: str,
             by: str, config_dir: Path | None, database_url: str | None) -> None:
    """Put WHO (a person id in roster.yaml, or a phone number) on call from the next call on."""
    from ivr.web.oncall_cache import row_values

    roster = read_roster(config_dir)
    now = datetime.now(roster.tz)
    start = _moment(start_text, now, roster, "--from") if start_text else now
    end = _moment(end_text, now, roster, "--until") if end_text else next_handover_time(roster, start)
    try:
        change = new_change(roster, who, start, end, now, replaces=replaces, name=name, note=note, by=by)
    except OncallError as exc:
        raise click.ClickException(str(exc)) from None
    store = open_store(database_url)
    try:
        new_id = store.add_oncall_override(row_values(change), datetime.now(UTC), by[:64])
    finally:
        store.dispose()
    click.echo(f"stored: {local_times(replace(change, id=new_id), roster).describe()}")
    click.echo("Used from the next call on (each server reads swaps every few seconds).")


@oncall.command("clear")
@click.argument("override_id", type=int)
@click.option("--by", "by", default="cli", show_default=True, help="Who clears it (the audit log).")
@database_option
def clear_swap(override_id: int, by: str, database_url: str | None) -> None:
    """End swap OVERRIDE_ID now (see `ivr oncall list`); roster.yaml applies again."""
    store = open_store(database_url)
    try:
        found = store.clear_oncall_override(override_id, datetime.now(UTC), by[:64])
    finally:
        store.dispose()
    if not found:
        raise click.ClickException(f"ingen aktiv ändring #{override_id} / no swap #{override_id} in force")
    click.echo(f"cleared: #{override_id}")


@oncall.command("list")
@config_option
@database_option
def list_swaps(config_dir: Path | None, database_url: str | None) -> None:
    """The swaps in force or to come."""
    roster = read_roster(config_dir)
    changes = stored_changes(database_url, datetime.now(UTC))
    if not changes:
        click.echo("no swaps: config/roster.yaml applies")
    for change in changes:
        click.echo(local_times(change, roster).describe())


def local_times(change: OncallChange, roster: Roster) -> OncallChange:
    """The swap with its times in the line's zone, for display."""
    return replace(change, start=change.start.astimezone(roster.tz), end=change.end.astimezone(roster.tz))


def _moment(text: str, now: datetime, roster: Roster, option: str) -> datetime:
    """A time of today (18:00) or a date and time, in the line's zone."""
    try:
        if len(text.strip()) <= 5 and ":" in text:
            return parse_moment(f"{now:%Y-%m-%d}T{text.strip()}", now, roster.tz)
        return parse_moment(text, now, roster.tz)
    except MomentError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None
