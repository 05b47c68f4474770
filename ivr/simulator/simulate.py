"""`ivr simulate`: a phone in the terminal that calls the real webhooks in-process.

The phones live in their own modules: voice.py's Phone follows the TwiML of a
call as Twilio would, sms.py's SmsPhone texts /sms and answers the line's
call-backs, and common.py holds what they share. This module is the command:
its options, and printing the transcript as it happens.
"""

from __future__ import annotations

import json
import secrets
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from flows.line import line_zone
from flows.moments import MomentError, parse_moment
from flows.yamlfile import DataError
from ivr import parts
from ivr.conversation.session import SMS, VOICE
from ivr.folders import checklists_option, config_option, line_folders
from ivr.simulator.common import (
    DEFAULT_CALLER,
    LINE_NUMBER,
    PROMPT_HELP,
    PUBLIC_URL,
    Entry,
    KeySource,
    ScriptedKeys,
    manager_source,
    prompt_keys,
)
from ivr.simulator.sms import SMS_PROMPT_HELP, ScriptedSends, SendSource, SmsPhone, SmsResult, prompt_sends
from ivr.simulator.tickets import record_tickets, tickets_of
from ivr.simulator.voice import Phone, Result

if TYPE_CHECKING:  # `ivr check` imports this module: keep Flask and Twilio out until a call
    from flask import Flask

LABELS = {"line": "LINJEN", "caller": "DU", "manager": "CHEFEN"}


def format_entry(entry: Entry) -> str:
    """One transcript line for the terminal."""
    if entry["who"] == "system":
        return f"  -- {entry['text']}"
    if entry.get("to") == "manager":
        return f"    LINJEN -> CHEFEN: {entry['text']}"
    indent = "    " if entry["who"] == "manager" else ""
    if entry.get("via") == "call" and entry["who"] != "manager":
        indent = "  (samtal/call) "  # SMS mode: said on the call-back, not texted
    return f"{indent}{LABELS[entry['who']]}: {entry['text']}"


SEND_HELP = (
    'A text to send (SMS mode, implies --sms); repeat it for each message, in order. '
    'Special tokens: "@+130m" lets 130 minutes pass before the next message (units s, m, h, d; '
    'otherwise the clock stays frozen), "@dup" has Twilio re-send the previous message with the '
    'same MessageSid, "@@text" sends "@text". Without --send: ask for each message.'
)


@click.command()
@click.option("--sms", "sms_mode", is_flag=True,
              help="Text the line instead of calling it (the /sms webhook, one message per turn).")
@click.option("--send", "sends", multiple=True, metavar="TEXT", help=SEND_HELP)
@click.option("--keys", default=None,
              help='Keys to press, e.g. "1 1 2 1"; "-" is silence; ja@0.9 or "\'viva omsorg\'@0.4" is speech '
                   'with its confidence (heard only with speech on in line.yaml). Without it: ask at each prompt.')
@click.option("--at", "at", default=None, metavar="DATETIME",
              help="Moment of the call or first message, e.g. 2026-12-24T22:00 (local time unless "
                   "an offset is given); frozen for the whole call (SMS: until an @+ token). "
                   "Default: now.")
@click.option("--from", "caller", default=DEFAULT_CALLER, show_default=True,
              help="The caller's or texter's number (E.164).")
@click.option("--dial-status", default="", show_default="completed",
              help="How each <Dial> ends, one per dial in order, comma-separated "
                   "(completed, no-answer, busy, failed, canceled); then completed. "
                   "SMS: the dials of the call-back after RING.")
@click.option("--manager-keys", default=None, show_default="always 1",
              help='Keys the on-call manager presses on screened calls, e.g. "2 -".')
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@checklists_option
@config_option
@click.option("--database", default=None, metavar="URL",
              help="Database URL. Default: SQLite in a fresh temporary folder, so the "
                   "simulator never touches the server's data.")
def simulate(
    sms_mode: bool, sends: tuple[str, ...], keys: str | None, at: str | None, caller: str,
    dial_status: str, manager_keys: str | None, as_json: bool, checklists_dir: Path | None,
    config_dir: Path | None, database: str | None,
) -> None:
    """Call or text the line from the terminal: the real webhooks, no Twilio account.

    \b
    Examples:
      ivr simulate                                   # press keys as prompted
      ivr simulate --keys "1 2 1 1" --at 2026-11-25T22:00
      ivr simulate --keys "6 1 2 2 2 2" --at 2026-11-25T22:00 --manager-keys "- 2"
      ivr simulate --keys "4 1 1 2 2 1" --at 2026-11-25T10:00 --dial-status no-answer
      ivr simulate --sms                             # type each text as prompted
      ivr simulate --sms --at 2026-11-25T22:00 --send viva --send nej --send ja \\
                   --send ja --send RING                 # on-call: the line calls you back
      ivr simulate --sms --send npö --send "@+130m" --send ja   # the conversation expires
      ivr simulate --sms --send viva --send nej --send "@dup"   # Twilio retries a message

    Keys: 1-9 at the menu, 1 yes / 2 no at a step, 5 more time, 8 continue by
    SMS, * repeats, 0 back to the menu, # English; "-" is silence. SMS: a digit or a system's name, then
    JA/NEJ (or 1/2) for each step; MENY, HJÄLP, AVSLUTA, ENGLISH, SVENSKA; RING
    after an on-call offer makes the line call you back, and the simulator
    answers that call. The database is a fresh temporary SQLite file unless
    --database is given.
    """
    from ivr import create_app  # the web stack only when simulating
    from ivr.notify import LogNotifier
    from ivr.settings import ConfigError

    sms_mode = sms_mode or bool(sends)
    if sms_mode and keys is not None:
        raise click.UsageError("--keys is for calls; in SMS mode use --send")
    folders = line_folders(config_dir, checklists_dir)
    try:
        zone = line_zone(folders.config)
    except DataError as exc:
        raise click.BadParameter(str(exc), param_hint="--config") from None
    now = datetime.now(UTC)
    try:
        moment = parse_moment(at, now, zone) if at else now
    except MomentError as exc:
        raise click.BadParameter(str(exc), param_hint="--at") from None
    caller_keys: KeySource = prompt_keys()
    texts: SendSource = prompt_sends()
    try:
        if sms_mode and sends:
            texts = ScriptedSends(sends)
        elif not sms_mode and keys is not None:
            caller_keys = ScriptedKeys(keys)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--send" if sms_mode else "--keys") from None
    try:
        boss_keys = manager_source(manager_keys)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--manager-keys") from None
    statuses = [status.strip() for status in dial_status.split(",") if status.strip()]
    result: Result | SmsResult
    with tempfile.TemporaryDirectory(prefix="ivr-simulate-", ignore_cleanup_errors=True) as tmp:
        url = database or f"sqlite:///{Path(tmp) / 'simulate.sqlite3'}"
        try:
            app = create_app({
                "TWILIO_AUTH_TOKEN": secrets.token_hex(16), "PUBLIC_URL": PUBLIC_URL,
                "DATABASE_URL": url, "CLOCK": lambda: moment, "NOTIFIER": LogNotifier(),
                "CHECKLISTS_DIR": str(folders.checklists), "CONFIG_DIR": str(folders.config),
            })
        except DataError as exc:
            for problem in exc.problems:
                click.echo(f"error: {problem}", err=True)
            raise SystemExit(1) from None
        except ConfigError as exc:  # the checklists or settings fail the start-up check: its list of problems
            click.echo(str(exc), err=True)
            raise SystemExit(1) from None
        record_tickets(app)  # a simulator never files a real ticket
        try:
            if sms_mode:
                result = run_texts(app, moment, caller, texts, boss_keys, statuses, as_json)
                result.tickets = tickets_of(app, moment, SMS, caller, result.outcome)
            else:
                result = run_call(app, moment, caller, caller_keys, boss_keys, statuses, as_json)
                result.tickets = tickets_of(app, moment, VOICE, result.call_sid, result.outcome)
        finally:
            parts.store(app).dispose()
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2, default=str))
    else:
        outcome = result.outcome["outcome"] if result.outcome else "-"
        click.echo(f"Utfall/outcome: {outcome}")
        unused = (("sms/sends", result.unused_sends),) if isinstance(result, SmsResult) else (
            ("knappar/keys", result.unused_keys),)
        for label, left in (*unused, ("chefens knappar/manager keys", result.unused_manager_keys),
                            ("dial-status", result.unused_dial_status)):
            if left:
                click.echo(f"Obs/note: oanvända/unused {label}: {' '.join(left)}")
    if result.errors:
        raise SystemExit(1)


def printer(
    app: Flask, moment: datetime, quiet: bool, what: str, parties: str, prompt_help: str | None,
) -> Callable[[Entry], None] | None:
    """Print the first line (and how to answer prompts); what prints the transcript, or None if quiet."""
    if quiet:
        return None
    line = parts.line(app)
    hours = ("kontorstid/office hours" if line.calendar.is_office_hours(moment)
             else "utanför kontorstid/after hours")
    click.echo(f"{what} {line.calendar.local(moment):%Y-%m-%d %H:%M %Z} ({hours}) från/from {parties}")
    if prompt_help is not None:
        click.echo(prompt_help)
    return lambda entry: click.echo(format_entry(entry))


def run_call(
    app: Flask, moment: datetime, caller: str, keys: KeySource, manager_keys: KeySource,
    statuses: list[str], quiet: bool,
) -> Result:
    """Print a header, then the transcript as it happens (unless quiet)."""
    prompting = None if isinstance(keys, ScriptedKeys) else PROMPT_HELP
    phone = Phone(app, caller=caller, on_line=printer(app, moment, quiet, "Samtal/call", caller, prompting))
    return phone.call(keys, manager_keys=manager_keys, dial_status=statuses)


def run_texts(
    app: Flask, moment: datetime, sender: str, sends: SendSource, manager_keys: KeySource,
    statuses: list[str], quiet: bool,
) -> SmsResult:
    """Print a header, then the conversation as it happens (unless quiet)."""
    prompting = None if isinstance(sends, ScriptedSends) else SMS_PROMPT_HELP
    on_line = printer(app, moment, quiet, "SMS", f"{sender} till/to {LINE_NUMBER}", prompting)
    phone = SmsPhone(app, sender=sender, on_line=on_line)
    return phone.converse(sends, manager_keys=manager_keys, dial_status=statuses)
