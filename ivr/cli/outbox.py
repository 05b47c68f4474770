"""`ivr outbox list` and `ivr outbox send`: the messages the line decided to send, and sending the due ones."""

from __future__ import annotations

import click

from ivr.cli.database import database_option, open_store
from ivr.operations.logs import mask_numbers


@click.group("outbox")
def outbox() -> None:
    """The outbox: every SMS the line decided to send, its state and its tries."""


@outbox.command("list")
@click.option("--state", help="Only this state: pending, sending, queued, sent, delivered, undelivered, failed, "
                              "dead, logged, direct (sent without the database, recorded after).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000), help="Newest first.")
@database_option
def list_rows(state: str | None, limit: int, database_url: str | None) -> None:
    """List messages, newest first (numbers masked; blanked once final)."""
    store = open_store(database_url)
    try:
        rows = store.outbox.rows(state=state, limit=limit)
    finally:
        store.dispose()
    if not rows:
        click.echo("no messages")
    for row in rows:
        target = mask_numbers(row["target"]) if row["target"] else "-"
        error = f" error: {row['last_error']}" if row["last_error"] and row["state"] != "delivered" else ""
        click.echo(f"#{row['id']} {row['created_at']:%Y-%m-%d %H:%M:%S} {row['kind']} {row['state']} "
                   f"tries {row['attempts']} to {target} sid {row['provider_id'] or '-'}"
                   f" session {row['session_id'] or '-'}{error}")


@outbox.command("send")
@click.option("--log-only", is_flag=True, help="Without TWILIO_ACCOUNT_SID: mark the due messages as only logged "
                                               "(development); without this flag that is refused.")
def send(log_only: bool) -> None:
    """Send the due messages now, once each (what every server process's thread does every few seconds).

    Uses the server's settings from the environment (IVR_*, TWILIO_*), as `ivr serve` does.
    """
    from flows.yamlfile import DataError
    from ivr import create_app, parts
    from ivr.outbox.sender import app_sender
    from ivr.settings import ConfigError

    try:
        app = create_app(None, OUTBOX_WORKER=False)
    except (ConfigError, DataError) as exc:
        raise click.ClickException(str(exc)) from None
    sender = app_sender(app)
    if not getattr(parts.notifier(app), "delivers", True) and not log_only:
        parts.store(app).dispose()
        # Run by hand without the service's settings, it would take every due message for good.
        raise click.ClickException("TWILIO_ACCOUNT_SID is not set, so nothing would be sent and every due "
                                   "message would be marked as only logged. Run it with the server's settings "
                                   "(ivr --env-file ...), or add --log-only in development.")
    try:
        total = 0
        while (tried := sender.send_due()) > 0:
            total += tried
            if total > 10_000:
                break  # a busy line's rows keep coming; the server's threads take the rest
    finally:
        parts.store(app).dispose()
    click.echo(f"tried {total} message(s); `ivr outbox list` shows their states")
