"""The `ivr` console command."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from flows.line import DEFAULT_CHECKLISTS, DEFAULT_CONFIG, line_zone, load_line
from flows.moments import MomentError, parse_duration, parse_moment
from flows.yamlfile import DataError

if TYPE_CHECKING:
    from ivr.store import Store
from ivr.cli.lookup import lookup
from ivr.cli.printable import print_checklists
from ivr.cli.report import report
from ivr.cli.twilio_setup import twilio
from ivr.simulator.simulate import simulate

checklists_option = click.option(
    "--checklists", "checklists_dir", type=click.Path(path_type=Path), default=DEFAULT_CHECKLISTS,
    show_default="checklists/", help="Folder of checklist YAML files.",
)
config_option = click.option(
    "--config", "config_dir", type=click.Path(path_type=Path), default=DEFAULT_CONFIG,
    show_default="config/", help="Folder of settings YAML files.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Felsökningslinjen: the troubleshooting phone and SMS line."""


@main.command()
@checklists_option
@config_option
def check(checklists_dir: Path, config_dir: Path) -> None:
    """Validate every checklist and setting, and every SMS they make; exit 1 on any problem."""
    from flows.validate import problems_text, validate

    # The same validation refuses to start the server (ivr.config.configure).
    line, problems = validate(checklists_dir, config_dir)
    if problems or line is None:
        click.echo(problems_text(problems), err=True)
        raise SystemExit(1)
    for checklist in line.library.checklists:
        click.echo(f"{checklist.key}  {checklist.name['sv']:<14} {len(checklist.steps)} steps  ({checklist.source})")
    for start, end in line.roster.gaps(datetime.now(line.calendar.tz)):
        click.echo(f"warning: config/roster.yaml: nobody on call {start:%Y-%m-%d %H:%M} - {end:%Y-%m-%d %H:%M}; "
                   "the fallback list is used then", err=True)
    click.echo(f"OK: {len(line.library.checklists)} systems, {len(line.roster.people)} people in the on-call roster.")


main.add_command(simulate)
main.add_command(report)
main.add_command(print_checklists)
main.add_command(twilio)
main.add_command(lookup)


@main.command()
@click.option("--at", "at", help="A moment such as 2026-12-24T22:00 (the line's local time); default now.")
@config_option
def roster(at: str | None, config_dir: Path) -> None:
    """Show who is Chef i beredskap at a moment, and the fallback chain."""
    from flows.roster import parse_roster
    from flows.yamlfile import display_path, read_yaml

    path = config_dir / "roster.yaml"
    try:
        zone = line_zone(config_dir)
        rota = parse_roster(read_yaml(path), display_path(path), zone=str(zone))
    except DataError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        raise SystemExit(1) from None
    now = datetime.now(zone)
    try:
        moment = parse_moment(at, now, zone) if at else now
    except MomentError as exc:
        raise click.BadParameter(str(exc), param_hint="--at") from None
    year, week = rota.duty_week(moment)
    person = rota.on_call_at(moment)
    click.echo(f"{moment:%Y-%m-%d %H:%M} (duty week {year}-W{week:02d})")
    click.echo(f"on call: {person.name} {person.number}" if person else "on call: NOBODY - the fallback list is used")
    for index, entry in enumerate(rota.chain_at(moment), start=1):
        click.echo(f"  {index}. {entry.name} {entry.number}")


database_option = click.option(
    "--database", "database_url", envvar="IVR_DATABASE_URL", help="Database URL (default: the instance SQLite)."
)


def open_store(database_url: str | None) -> Store:
    """The store at the given URL or the embedded default."""
    from ivr.config import default_database_url
    from ivr.store import Store

    store = Store(database_url or default_database_url())
    store.upgrade()
    return store


@main.command()
@click.argument("system", required=False)
@click.argument("text", required=False)
@click.option("--until", "until", help="When it ends by itself: 18:00 (today) or 2026-12-24T18:00.")
@click.option("--clear", "clear", is_flag=True, help="Remove the system's announcement.")
@click.option("--list", "show", is_flag=True, help="List the announcements in force.")
@click.option("--all", "line_wide", is_flag=True, help="The line-wide announcement (the same as SYSTEM alla).")
@checklists_option
@config_option
@database_option
def announce(system: str | None, text: str | None, until: str | None, clear: bool, show: bool, line_wide: bool,
             checklists_dir: Path, config_dir: Path, database_url: str | None) -> None:
    """Post a known outage: callers choosing SYSTEM hear TEXT first and may end there.

    SYSTEM `alla` (or `all`) posts the line-wide announcement, heard and texted before the menu.

    Examples: ivr announce viva "Viva har driftstörning sedan 14.00. IT-enheten arbetar med felet." --until 18:00
              ivr announce alla "Nätet ligger nere i hela kommunen. IT-enheten arbetar med felet."
              ivr announce --clear viva
    """
    from flows.announcements import LINE_WIDE, AnnouncementError, check_post, resolve_system

    if line_wide:
        if text is not None:
            raise click.UsageError("with --all give only the TEXT: ivr announce --all \"...\"")
        system, text = LINE_WIDE, system

    line = load_line(checklists_dir, config_dir)
    store = open_store(database_url)
    now = datetime.now(UTC)
    try:
        if show or system is None:
            for key, item in sorted(store.announcements(now).items()):
                end = f" (until {line.calendar.local(item['until']):%Y-%m-%d %H:%M})" if item["until"] else ""
                click.echo(f"{key}: {item['text']}{end}")
            return
        try:
            target = resolve_system(line, system)
        except AnnouncementError as exc:
            raise click.BadParameter(str(exc), param_hint="SYSTEM") from None
        if clear:
            found = store.clear_announcement(target)
            click.echo(f"cleared: {target}" if found else f"no announcement for {target}")
            return
        try:
            cleaned, ends = check_post(line, target, text or "", until, now)
        except AnnouncementError as exc:
            raise click.ClickException(str(exc)) from None
        store.announce(target, cleaned, ends, now, by="cli")
        click.echo(f"posted: {target}: {cleaned}" + (f" (until {ends:%Y-%m-%d %H:%M})" if ends else ""))
    finally:
        store.dispose()


@main.command()
@click.option("--older-than", "older_than", help="Age such as 90d (default: privacy.retention_days).")
@config_option
@database_option
def purge(older_than: str | None, config_dir: Path, database_url: str | None) -> None:
    """Delete sessions and audit events older than the retention period; forget quiet callers' numbers."""
    from flows.settings import load_settings

    settings = load_settings(config_dir)
    days = settings.retention_days
    if older_than:
        try:
            days = parse_duration(older_than, units="d").days
        except MomentError as exc:
            raise click.BadParameter(str(exc), param_hint="--older-than") from None
    now = datetime.now(UTC)
    try:
        before = now - timedelta(days=days)
    except OverflowError:
        # timedelta and datetime end at year 1: nothing in the database can be that old.
        raise click.BadParameter(f"'{older_than}' is too long ago to count back to",
                                 param_hint="--older-than") from None
    store = open_store(database_url)
    try:
        counts = store.purge(before, now - timedelta(hours=settings.forget_numbers_after_hours))
    finally:
        store.dispose()
    click.echo(f"older than {days} days: " + ", ".join(f"{name} {count}" for name, count in counts.items()))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: all).")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option("--dev", is_flag=True, help="Local development without TWILIO_AUTH_TOKEN (loopback only).")
@click.option("--production", is_flag=True, help="gunicorn with several workers and JSON logs.")
@click.option("--workers", type=int, envvar="IVR_WORKERS", help="gunicorn workers (default: 2 x cores + 1).")
def serve(host: str, port: int, dev: bool, production: bool, workers: int | None) -> None:
    """Run the webhooks: Flask's development server, or gunicorn with --production."""
    from ivr import create_app
    from ivr.config import ConfigError

    if dev and production:
        raise click.UsageError("--dev and --production exclude each other")
    if dev and host not in ("127.0.0.1", "localhost", "::1"):
        raise click.UsageError("--dev serves unverifiable requests: it only listens on 127.0.0.1")
    overrides: dict[str, object] = {"DEV_MODE": True} if dev else {}
    if production:
        overrides["LOG_FORMAT"] = "json"
    try:
        app = create_app(None, **overrides)
    except (ConfigError, DataError) as exc:
        raise click.ClickException(str(exc)) from None
    if production:
        from ivr.cli.production import run_gunicorn

        run_gunicorn(app, f"{host}:{port}", workers)
        return
    if dev:
        click.secho(
            "DEVELOPMENT MODE: requests are checked against a fixed local token, not Twilio's.\n"
            "Never expose this server. Try the line with `ivr simulate` instead of a phone.",
            fg="red", bold=True, err=True,
        )
    app.run(host=host, port=port)


@main.group()
def db() -> None:
    """Database schema."""


@db.command()
@database_option
def upgrade(database_url: str | None) -> None:
    """Create or upgrade the schema; safe to run twice."""
    from ivr.config import default_database_url
    from ivr.store import Store, StoreError

    store = Store(database_url or default_database_url())
    try:
        version = store.upgrade()
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.dispose()
    click.echo(f"database schema at revision {version}: {store.url}")

