"""`ivr forget NUMBER`: erase what the line keeps about one caller, on their request (GDPR art. 17)."""

from __future__ import annotations

import click
import phonenumbers

from ivr.cli.database import database_option, open_store
from ivr.privacy import pseudonym

# Staff dial from Swedish phones: a number written nationally (070-174 06 99) is Swedish.
DEFAULT_REGION = "SE"


def e164(text: str) -> str:
    """The number as the line stored it (+46701740699), from any usual way of writing it."""
    try:
        parsed = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_possible_number(parsed):
        raise click.BadParameter(f"'{text}' är inget telefonnummer (not a phone number), e.g. 070-174 06 99 "
                                 "or +46701740699", param_hint="NUMBER")
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


@click.command("forget")
@click.argument("number", nargs=-1, required=True)
@click.option("--dry-run", is_flag=True, help="Count what would be erased; change nothing.")
@click.option("--pseudonym-key", envvar="IVR_PSEUDONYM_KEY", show_envvar=True,
              help="The server's key for callers' hashes (the same IVR_PSEUDONYM_KEY it runs with).")
@database_option
def forget(number: tuple[str, ...], dry_run: bool, pseudonym_key: str | None, database_url: str | None) -> None:
    """Erase one caller's sessions, audit events, staff-code guesses, incident reports and her rows in incidents
    (NUMBER: 070-174 06 99)."""
    stored = e164(" ".join(number))  # unquoted, the shell splits "070-174 06 99" in three
    if not pseudonym_key:
        raise click.UsageError("IVR_PSEUDONYM_KEY saknas: samma nyckel som servern kör med behövs för att hitta "
                               "numrets händelser. (Not set: the server's key is needed to find the number's events.)")
    store = open_store(database_url)
    try:
        counts = store.forget(stored, pseudonym(stored, pseudonym_key), dry_run=dry_run)
    finally:
        store.dispose()
    masked = stored[:3] + "..." + stored[-3:]
    figures = ", ".join(f"{name} {count}" for name, count in counts.items())
    if dry_run:
        click.echo(f"Provkörning: för {masked} skulle raderas (dry run, would erase): {figures}; inget ändrades")
    else:
        click.echo(f"Raderat för {masked} (erased): {figures}")
