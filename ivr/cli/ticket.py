"""`ivr ticket test`: one test ticket through the configured backend, and what failed in plain words."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from flows.line import load_line
from flows.model import Outcome
from flows.routing import Decision
from flows.ticket import ticket_content
from flows.yamlfile import DataError
from ivr.folders import checklists_option, config_option, line_folders

TEST_CODE = "TEST00"


@click.group("ticket")
def ticket() -> None:
    """Tickets in the IT portal (line.yaml `tickets:`)."""


@ticket.command("test")
@click.option("--system", default=None, help="The checklist the test ticket is about (default: the first).")
@checklists_option
@config_option
def test(system: str | None, checklists_dir: Path | None, config_dir: Path | None) -> None:
    """File one ticket marked as a test with the configured backend; exit 1 with the reason when it fails.

    It goes straight to the ITSM (not through the outbox): run it with the server's settings
    (`ivr --env-file ...`) so the backend's secrets are the ones the line will use.
    """
    from ivr.tickets import TicketError
    from ivr.tickets.backends import backend_for

    folders = line_folders(config_dir, checklists_dir)
    try:
        line = load_line(folders.checklists, folders.config)
    except DataError as exc:
        raise click.ClickException(f"the line's files do not load; run `ivr check`: {exc}") from None
    settings = line.settings.tickets
    backend = backend_for(settings)
    if backend is None:
        raise click.ClickException("no ticket backend is set up: config/line.yaml has `tickets: backend: none`")
    checklists = line.library.checklists
    chosen = next((c for c in checklists if system in (None, c.id, c.name["sv"])), None)
    if chosen is None:
        raise click.ClickException(f"no checklist {system!r}; choose one of: {', '.join(c.id for c in checklists)}")
    now = datetime.now(line.calendar.tz)
    decision = Decision(Outcome.IT_PORTAL, chosen.id, {})
    content = ticket_content(line, decision, {}, outcome="test", at=now, code=TEST_CODE, channel="test",
                             caller=None)
    key = f"ticket-test:{now:%Y%m%dT%H%M%S}"
    click.echo(f"Filing a test ticket about {chosen.name['sv']} with the {settings.backend} backend ...")
    try:
        remote = backend.create(content, key)
    except TicketError as exc:
        hint = "a retry may help" if exc.retryable else "a retry will not help until this is fixed"
        click.echo(f"FAILED: {exc} ({hint})", err=True)
        raise SystemExit(1) from None
    click.echo(f"OK: the ITSM took it{f', ticket id {remote}' if remote else ' (it gave no id)'}. "
               "Close it there: it is only a test.")
