"""The `ivr` console command."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from flows.line import load_line
from flows.moments import MomentError, parse_duration, parse_moment
from flows.yamlfile import DataError
from ivr.cli.database import database_option, existing_store, open_store
from ivr.cli.forget import forget
from ivr.cli.init import init
from ivr.cli.lookup import lookup
from ivr.cli.oncall import oncall
from ivr.cli.outbox import outbox
from ivr.cli.printable import print_checklists
from ivr.cli.report import report
from ivr.cli.test_call import test_call
from ivr.cli.ticket import ticket
from ivr.cli.twilio_setup import twilio
from ivr.folders import checklists_option, config_option, describe, line_folders
from ivr.simulator.simulate import simulate


def load_env_file(ctx: click.Context, param: click.Parameter, path: Path | None) -> None:
    """--env-file: the service's settings into this process's environment, before any command reads them.

    Every variable the file sets replaces the same one in the caller's shell (the operator named
    the file to act as the service does); variables it does not set are left as they are.
    """
    if path is None:
        return  # never a default: a simulation or a test on a production host stays off its database
    import os

    from ivr.operations.envfile import EnvFileError, read_env_file

    try:
        values = read_env_file(path)
    except EnvFileError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None
    os.environ.update(values)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="felsokningslinjen", prog_name="ivr", message="%(prog)s %(version)s",
                      help="Show the installed version (the package's metadata) and exit.")
@click.option("--env-file", type=click.Path(dir_okay=False, path_type=Path), expose_value=False,
              callback=load_env_file, metavar="FILE",
              help="Read the service's environment file first (systemd's EnvironmentFile format, e.g. "
                   "/etc/felsokningslinjen/environment): its variables replace the shell's. Never read "
                   "unless given.")
def main() -> None:
    """Felsökningslinjen: the troubleshooting phone and SMS line."""


# `ivr check` lists, per checklist, the steps marked with each need (flows/model.NEEDS): phone steps offer 8 and
# no 5, long and colleague steps offer 5 again.
NEED_LABELS = (("phone", "phone:"), ("screen", "screen:"), ("long", "long:"), ("other_person", "colleague:"))


@main.command()
@checklists_option
@config_option
@click.option("--production", is_flag=True,
              help="Also refuse anything that cannot be real: PLACEHOLDER marks, fiction numbers, example.* "
                   "addresses, contacts without a number, unknown voices.")
def check(checklists_dir: Path | None, config_dir: Path | None, production: bool) -> None:
    """Validate every checklist and setting, and every SMS they make; exit 1 on any problem."""
    from flows.validate import problems_text
    from ivr.channels.check import check_line
    from ivr.operations.production import contact_notes, production_problems

    folders = line_folders(config_dir, checklists_dir)
    # The same validation refuses to start the server (ivr.config.configure).
    line, problems = check_line(folders.checklists, folders.config)
    if line is not None and production:
        problems += production_problems(line, folders.checklists, folders.config)
    if problems or line is None:
        click.echo(problems_text(problems), err=True)
        if production and line is not None:
            click.echo("Inte klar för drift: rätta detta och kör `ivr check --production` igen. "
                       "(Not ready to go live: fix these, then run the check again.)", err=True)
        raise SystemExit(1)
    for checklist in line.library.checklists:
        click.echo(f"{checklist.key}  {checklist.name['sv']:<14} {len(checklist.steps)} steps  ({checklist.source})")
        for need, label in NEED_LABELS:  # what each step needs besides the call: the keys the voice line offers
            marked = [f"{index + 1} {step.id}" for index, step in enumerate(checklist.steps) if need in step.needs]
            if marked:
                click.echo(f"     {label:<10} {', '.join(marked)}")
    for start, end in line.roster.gaps(datetime.now(line.calendar.tz)):
        click.echo(f"warning: config/roster.yaml: nobody on call {start:%Y-%m-%d %H:%M} - {end:%Y-%m-%d %H:%M}; "
                   "the fallback list is used then", err=True)
    if production:
        for note in contact_notes(line):
            click.echo(note)
    for text in describe(folders):
        click.echo(text)
    directory = line.settings.staff_directory
    listed = f", {len(directory)} numbers in the staff directory ({directory.source})" if directory else ""
    click.echo(f"OK: {len(line.library.checklists)} systems, {len(line.roster.people)} people in the on-call "
               f"roster{listed}.")


main.add_command(simulate)
main.add_command(report)
main.add_command(print_checklists)
main.add_command(twilio)
main.add_command(lookup)
main.add_command(test_call)
main.add_command(init)
main.add_command(oncall)
main.add_command(forget)
main.add_command(outbox)
main.add_command(ticket)


@main.command()
@click.option("--at", "at", help="A moment such as 2026-12-24T22:00 (the line's local time); default now.")
@click.option("--gaps", "show_gaps", is_flag=True, help="List the moments in the next 14 days with nobody on call.")
@click.option("--no-database", "no_database", is_flag=True, help="roster.yaml only, without the stored swaps.")
@config_option
@click.option("--database", "database_url", envvar="IVR_DATABASE_URL",
              help="Database URL (default: the instance SQLite).")
def roster(at: str | None, show_gaps: bool, no_database: bool, config_dir: Path | None,
           database_url: str | None) -> None:
    """Show who is Chef i beredskap at a moment, and the chain, with the stored swaps (`ivr oncall`)."""
    from flows.oncall import GAP_DAYS, OncallChange, merged
    from ivr.cli.oncall import local_times, read_roster, stored_changes
    from ivr.store import StoreError

    rota = read_roster(config_dir)
    zone = rota.tz
    now = datetime.now(zone)
    try:
        moment = parse_moment(at, now, zone) if at else now
    except MomentError as exc:
        raise click.BadParameter(str(exc), param_hint="--at") from None
    changes: tuple[OncallChange, ...] = ()
    if not no_database:
        try:
            changes = stored_changes(database_url, min(now, moment))
        except StoreError as exc:
            click.echo(f"warning: stored swaps not read (database: {exc}); roster.yaml only", err=True)
    effective = merged(rota, changes)
    year, week = effective.duty_week(moment)
    person = effective.on_call_at(moment)
    click.echo(f"{moment:%Y-%m-%d %H:%M} (duty week {year}-W{week:02d})")
    click.echo(f"on call: {person.name} {person.number}" if person else "on call: NOBODY - the fallback list is used")
    for index, entry in enumerate(effective.chain_at(moment), start=1):
        click.echo(f"  {index}. {entry.name} {entry.number}")
    for change in changes:
        click.echo(f"swap: {local_times(change, rota).describe()}")
    if show_gaps:
        found = effective.gaps(now, days=GAP_DAYS)
        for start, end in found:
            click.echo(f"gap: nobody on call {start:%Y-%m-%d %H:%M} - {end:%Y-%m-%d %H:%M} (the fallback list is used)")
        if not found:
            click.echo(f"no gaps in the next {GAP_DAYS} days")


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
             checklists_dir: Path | None, config_dir: Path | None, database_url: str | None) -> None:
    """Post a known outage: callers choosing SYSTEM hear TEXT first and may end there.

    SYSTEM `alla` (or `all`) posts the line-wide announcement, heard and texted before the menu.

    Examples: ivr announce viva "Viva har driftstörning sedan 14.00. IT-enheten arbetar med felet." --until 18:00
              ivr announce alla "Nätet ligger nere i hela kommunen. IT-enheten arbetar med felet."
              ivr announce --clear viva
    """
    from ivr.operations.announcements import LINE_WIDE, AnnouncementError, check_post, resolve_system

    if line_wide:
        if text is not None:
            raise click.UsageError("with --all give only the TEXT: ivr announce --all \"...\"")
        system, text = LINE_WIDE, system

    folders = line_folders(config_dir, checklists_dir)
    try:
        line = load_line(folders.checklists, folders.config)
    except DataError as exc:
        raise click.ClickException(str(exc)) from None
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


def utc_now() -> datetime:
    """Now, for `ivr purge` (tests freeze it)."""
    return datetime.now(UTC)


# An age under this deletes today's conversations, calls in progress among them: only with --yes.
PURGE_CONFIRM_UNDER = timedelta(days=1)


@main.command()
@click.option("--older-than", "older_than",
              help="Age such as 90d, 2w or 24h, as `ivr report --since` reads it (default: privacy.retention_days).")
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted and forgotten; change nothing.")
@click.option("--yes", is_flag=True, help="Confirm an age under one day (it deletes today's conversations too).")
@config_option
@database_option
def purge(older_than: str | None, dry_run: bool, yes: bool, config_dir: Path | None, database_url: str | None) -> None:
    """Delete sessions and audit events older than the retention period; forget quiet callers' numbers."""
    from flows.settings import load_settings

    try:
        settings = load_settings(line_folders(config_dir).config)
    except DataError as exc:
        raise click.ClickException(str(exc)) from None
    age, age_text = timedelta(days=settings.retention_days), f"{settings.retention_days}d"
    if older_than:
        try:
            age, age_text = parse_duration(older_than), older_than.strip()
        except MomentError as exc:
            raise click.BadParameter(str(exc), param_hint="--older-than") from None
    if age < PURGE_CONFIRM_UNDER and not (yes or dry_run):
        raise click.UsageError(f"--older-than {age_text} deletes today's conversations too, calls in progress "
                               "among them: see what would go with --dry-run, then add --yes")
    now = utc_now()
    try:
        before = now - age
    except OverflowError:
        # timedelta and datetime end at year 1: nothing in the database can be that old.
        raise click.BadParameter(f"'{older_than}' is too long ago to count back to",
                                 param_hint="--older-than") from None
    store = open_store(database_url)
    try:
        counts = store.purge(before, now - timedelta(hours=settings.forget_numbers_after_hours), dry_run=dry_run)
        # The console's sessions that ended (expired or signed out) are useless at once: cleared whatever the age.
        from ivr.store.console import ConsoleStore

        counts["console_sessions"] = ConsoleStore(store).purge_sessions(now, dry_run=dry_run)
    finally:
        store.dispose()
    figures = ", ".join(f"{name} {count}" for name, count in counts.items())
    if dry_run:
        click.echo(f"dry run, older than {age_text}: would delete or forget {figures}; nothing was changed")
    else:
        click.echo(f"older than {age_text}: {figures}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: all).")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option("--dev", is_flag=True, help="Local development without TWILIO_AUTH_TOKEN (loopback only).")
@click.option("--production", is_flag=True, help="gunicorn with several workers and JSON logs.")
@click.option("--workers", type=int, envvar="IVR_WORKERS", help="gunicorn workers (default: 2 x cores + 1).")
@click.option("--accept-placeholders", is_flag=True,
              help="With --production: start although `ivr check --production` fails (tests, a rehearsal); "
                   "logs a warning at every start.")
@click.option("--no-outbound", is_flag=True,
              help="With --production: start without a Twilio account (TWILIO_ACCOUNT_SID): no SMS or call-back "
                   "is sent, each is only counted as logged (a rehearsal); logs a warning at every start.")
def serve(host: str, port: int, dev: bool, production: bool, workers: int | None,
          accept_placeholders: bool, no_outbound: bool) -> None:
    """Run the webhooks: Flask's development server, or gunicorn with --production."""
    from ivr import create_app
    from ivr.settings import ConfigError

    if dev and production:
        raise click.UsageError("--dev and --production exclude each other")
    if accept_placeholders and not production:
        raise click.UsageError("--accept-placeholders only goes with --production")
    if no_outbound and not production:
        raise click.UsageError("--no-outbound only goes with --production")
    if dev and host not in ("127.0.0.1", "localhost", "::1"):
        raise click.UsageError("--dev serves unverifiable requests: it only listens on 127.0.0.1")
    overrides: dict[str, object] = {"DEV_MODE": True} if dev else {}
    if production:
        import os

        from ivr.operations.metrics import prepare_multiprocess

        overrides["LOG_FORMAT"] = "json"
        prepare_multiprocess(os.environ)  # before anything imports prometheus_client
    try:
        app = create_app(None, **overrides)
    except (ConfigError, DataError) as exc:
        raise click.ClickException(str(exc)) from None
    if production:
        from ivr.cli.production import refuse_placeholders, refuse_without_outbound, run_gunicorn

        refuse_placeholders(app, accept_placeholders)
        refuse_without_outbound(app, no_outbound)
        run_gunicorn(app, f"{host}:{port}", workers)
        return
    if dev:
        click.secho(
            "DEVELOPMENT MODE: requests are checked against a fixed local token, not Twilio's.\n"
            "Never expose this server. Try the line with `ivr simulate` instead of a phone.",
            fg="red", bold=True, err=True,
        )
    import signal

    from ivr.operations.reload import reload_now

    signal.signal(signal.SIGHUP, lambda signum, frame: reload_now(app))  # as `ivr reload` does
    app.run(host=host, port=port)


@main.command("reload")
@checklists_option
@config_option
@click.option("--stamp", type=click.Path(path_type=Path), envvar="IVR_RELOAD_STAMP",
              help="The file the server watches (default: config-reload.json in the state folder, "
                   "IVR_STATE_DIR or $STATE_DIRECTORY).")
def reload_config(checklists_dir: Path | None, config_dir: Path | None, stamp: Path | None) -> None:
    """Check the changed roster, office hours and checklists, and have the running server use them.

    A change that `ivr check` refuses is not used: the line keeps its last good config, and the problems
    are printed and logged. SIGHUP to the server does the same.
    """
    from ivr.operations.reload import STAMP_NAME, request_reload
    from ivr.operations.state_folder import state_folder

    path = stamp or state_folder() / STAMP_NAME  # the server's rule: IVR_STATE_DIR, $STATE_DIRECTORY, ...
    folders = line_folders(config_dir, checklists_dir)  # the server's: the same flags and IVR_*_DIR
    try:
        ok, text = request_reload(folders.checklists, folders.config, path)
    except OSError as exc:
        raise click.ClickException(
            f"Inte laddad: kan inte skriva i {path.parent} ({exc.strerror or exc}). Servern behåller sina "
            "inställningar. (Not reloaded: cannot write the reload state there; the server keeps its config. "
            "Run as the server's user, with IVR_STATE_DIR set to the server's state folder, or use "
            "`systemctl reload felsokningslinjen`.)") from None
    if not ok:
        click.echo(text, err=True)
        click.echo("Inte laddad: linjen behåller sina senaste fungerande inställningar. "
                   "(Refused: the line keeps its last good config.)", err=True)
        raise SystemExit(1)
    click.echo(f"OK: version {text} är kontrollerad; servern använder den från nästa samtal. "
               "(Checked; the server uses it from its next request.)")


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



@db.command("check")
@database_option
def check_db(database_url: str | None) -> None:
    """Exit 0 if the schema is at this program's revision; else say which revision was found and which is needed."""
    from ivr.store import StoreError
    from ivr.store.migrate import head

    try:
        store = existing_store(database_url)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        revision = store.check_schema()
    except StoreError as exc:
        raise click.ClickException(
            f"{exc}. Kör 'ivr db upgrade'. (Run 'ivr db upgrade'; the line needs revision {head()}.)"
        ) from None
    finally:
        store.dispose()
    click.echo(f"OK: databasens schema är aktuellt, revision {revision}: {store.url} "
               "(the schema is current)")


@db.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@database_option
def backup_db(target: Path, database_url: str | None) -> None:
    """SQLite only: copy the database to a new file TARGET while the line runs, with SQLite's online backup.

    It uses Python's sqlite3 backup API (a consistent copy, the write-ahead log included, in steps
    that let calls write between them), writes TARGET.partial and renames it when complete, and
    refuses a TARGET that exists. It does not run pg_dump: with a PostgreSQL IVR_DATABASE_URL it
    refuses; back that up with `pg_dump -Fc` (README, "Schema and backups").
    """
    from ivr.store import StoreError
    from ivr.store.backup import backup_sqlite

    try:
        store = existing_store(database_url)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        size = backup_sqlite(store, target)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.dispose()
    click.echo(f"Säkerhetskopia skriven: {target} ({size} bytes) från {store.url} (backup written)")
