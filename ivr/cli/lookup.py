"""`ivr lookup CODE`: ivr/reports/lookup.py's account of the call whose receipt carried CODE, printed."""

from __future__ import annotations

from pathlib import Path

import click

from flows.line import load_line
from flows.refcode import ALPHABET, LENGTH, read
from flows.yamlfile import DataError
from ivr.cli.database import database_option, open_store
from ivr.folders import checklists_option, config_option, line_folders
from ivr.reports.lookup import describe


@click.command("lookup")
@click.argument("code")
@checklists_option
@config_option
@database_option
def lookup(code: str, checklists_dir: Path | None, config_dir: Path | None, database_url: str | None) -> None:
    """Show the call whose SMS receipt carried CODE: system, each step and answer, outcome and times.

    Example: ivr lookup K7M4QX
    """
    wanted = read(code)
    if wanted is None:
        raise click.BadParameter(f"'{code}' is not a receipt code: {LENGTH} characters from {ALPHABET} "
                                 "(no 0, O, 1 or I)", param_hint="CODE")
    try:
        folders = line_folders(config_dir, checklists_dir)
        line = load_line(folders.checklists, folders.config)
    except DataError as exc:
        raise click.ClickException(str(exc)) from None
    store = open_store(database_url)
    try:
        found = store.sessions_by_ref(wanted)
        if not found:
            click.echo(f"No call has the code {wanted}. Check the code; calls are kept "
                       f"{line.settings.retention_days} days.", err=True)
            raise SystemExit(1)
        if len(found) > 1:
            click.echo(f"{len(found)} calls have the code {wanted}; the times tell them apart.")
        for record in found:
            click.echo("\n".join(describe(line, store, record, wanted)))
    finally:
        store.dispose()
