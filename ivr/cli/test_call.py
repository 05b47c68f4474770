"""`ivr test-call NAME|NUMBER`: a real, screened call to someone on the on-call roster, before going live.

It goes out through Twilio's REST API from the line's own number; its TwiML comes from the running
server (`/voice/test-call`, ivr/channels/voice/test_call.py), which says it is a test and asks for 1. The server
stores the press; this command waits for it in the same database, and for the call's end at Twilio.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import click
import phonenumbers
from twilio.base.exceptions import TwilioException
from twilio.rest import Client

from flows.events import EventKind
from flows.line import load_line
from flows.roster import Person, Roster
from flows.settings import REGION
from flows.yamlfile import DataError
from ivr.cli.twilio_setup import check_public_url, credentials
from ivr.folders import checklists_option, config_option, line_folders
from ivr.store import Store, StoreError

POLL_SECONDS = 2.0
# Twilio's final call statuses: after one of these nobody can press 1 any more.
ENDED = ("completed", "busy", "failed", "no-answer", "canceled")


def make_client(account_sid: str, auth_token: str) -> Client:
    """Twilio's REST client (tests swap in one with a fake HTTP client)."""
    return Client(account_sid, auth_token)


def find_person(roster: Roster, who: str) -> Person | None:
    """Someone on the roster by id (anna), full name (Anna Andersson) or number (070-174 06 10)."""
    wanted = who.strip().casefold()
    for person in roster.people.values():
        if wanted in (person.id.casefold(), person.name.casefold()):
            return person
    try:
        parsed = phonenumbers.parse(who, REGION)
    except phonenumbers.NumberParseException:
        return None
    number = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return next((person for person in roster.people.values() if person.number == number), None)


@click.command("test-call")
@click.argument("who")
@click.option("--public-url", envvar="IVR_PUBLIC_URL", required=True,
              help="The running server's public base URL, which Twilio fetches the call's words from.")
@click.option("--timeout", default=90, show_default=True, type=click.IntRange(10, 600),
              help="Seconds to wait for the key.")
@checklists_option
@config_option
@click.option("--database", "database_url", envvar="IVR_DATABASE_URL",
              help="The server's database URL (default: the instance SQLite).")
def test_call(who: str, public_url: str, timeout: int, checklists_dir: Path | None, config_dir: Path | None,
              database_url: str | None) -> None:
    """Call someone on the on-call roster (a test: they press 1) and say whether they did.

    WHO is a roster id, a full name or a number on the roster; any other number is refused.
    Exit 0: they pressed 1; exit 1: they did not (or the call failed).
    """
    from ivr.config import default_database_url

    folders = line_folders(config_dir, checklists_dir)  # the same folders as the server and every command
    try:
        line = load_line(folders.checklists, folders.config)
    except DataError as exc:
        raise click.ClickException("\n".join(exc.problems)) from None
    person = find_person(line.roster, who)
    if person is None:
        raise click.BadParameter(f"'{who}' is nobody on the on-call roster (config/roster.yaml): "
                                 f"one of {', '.join(line.roster.people)} or their numbers", param_hint="WHO")
    if line.settings.line_number is None:
        raise click.ClickException("config/line.yaml: line_number is not set: the test call goes out from it")
    base = check_public_url(public_url)
    sid, token = credentials(os.environ)
    client = make_client(sid, token)
    store = Store(database_url or default_database_url())
    try:
        store.upgrade()
        try:
            call = client.calls.create(to=person.number, from_=line.settings.line_number,
                                       url=f"{base}/voice/test-call", method="POST")
        except TwilioException as exc:
            raise click.ClickException(f"Twilio refused the call: {exc}") from None
        click.echo(f"Ringer {person.name} ({person.number}), samtal {call.sid} / calling ...")
        accepted, status = wait_for_key(client, store, str(call.sid), timeout)
    finally:
        store.dispose()
    if accepted:
        click.echo(f"OK: {person.name} tryckte 1: samtal från linjen når fram. ({person.name} pressed 1.)")
        return
    click.echo(f"INTE OK: {person.name} tryckte inte 1 (samtalets status: {status}). "
               f"({person.name} did not press 1; call status: {status}.)", err=True)
    raise SystemExit(1)


def wait_for_key(client: Client, store: Store, sid: str, timeout: int) -> tuple[bool, str]:
    """(pressed 1?, the call's last status at Twilio) once 1 is stored, the call ended, or time ran out."""
    deadline = time.monotonic() + timeout
    status = "queued"
    while True:
        if accepted(store, sid):
            return True, status
        if status in ENDED:
            return False, status  # checked once more after the end: the key may be stored just before it
        if time.monotonic() >= deadline:
            return False, f"{status}, no key within {timeout} s"
        try:
            status = str(client.calls(sid).fetch().status)
        except TwilioException as exc:
            status = f"unknown ({exc})"
        if status not in ENDED:
            time.sleep(POLL_SECONDS)


def accepted(store: Store, sid: str) -> bool:
    """Has the server stored the press of 1 for this call?"""
    from ivr.channels.voice.test_call import session_id  # here: the other commands need not load the web stack

    try:
        return any(event["kind"] == EventKind.TEST_CALL_ACCEPTED for event in store.events(session_id(sid)))
    except StoreError:
        return False
