"""`ivr twilio configure`: point a Twilio number's webhooks at this line.

The command reads the account from TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN,
finds the IncomingPhoneNumber by its number, prints what it would change
(before -> after) and then sends one update with only the changed fields.
Running it twice changes nothing the second time.

Which webhooks it sets:

- voice_url           POST <public>/voice
- voice_fallback_url  POST <public>/voice/fallback (answers without the database)
- status_callback     POST <public>/voice/status (call progress, for the audit log)
- sms_url             POST <public>/sms

It also clears voice_application_sid and sms_application_sid when they are
set: Twilio ignores a number's own URLs while an application is attached,
so the change would otherwise be silently without effect. A number on a SIP
trunk is refused (calls never reach the voice URL).

sms_fallback_url is left as it is: pointing it at <public>/sms would send a
failed message to the same host, database and code a second time. /sms
already answers every unexpected error with a reply naming IT support; a
fallback only helps when it is an endpoint that needs no database.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import phonenumbers
from twilio.base.exceptions import TwilioException
from twilio.rest import Client

from ivr.folders import config_option

REGION = "SE"  # numbers written the Swedish way: 0141-22 50 00
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def make_client(account_sid: str, auth_token: str) -> Client:
    """Twilio's REST client; tests replace this with one on a fake HTTP client."""
    return Client(account_sid, auth_token)


@dataclass(frozen=True)
class Webhook:
    """One URL setting of a number and the HTTP method Twilio uses for it."""

    label: str  # as printed
    url_field: str  # the resource attribute and update() keyword, e.g. voice_url
    method_field: str  # e.g. voice_method
    path: str  # under the public URL


WEBHOOKS = (
    Webhook("voice", "voice_url", "voice_method", "/voice"),
    Webhook("voice fallback", "voice_fallback_url", "voice_fallback_method", "/voice/fallback"),
    Webhook("call status", "status_callback", "status_callback_method", "/voice/status"),
    Webhook("sms", "sms_url", "sms_method", "/sms"),
)
# Attached applications override the number's own URLs: cleared so the URLs above take effect.
APPLICATION_FIELDS = (("voice application", "voice_application_sid"), ("sms application", "sms_application_sid"))
METHOD = "POST"


@dataclass(frozen=True)
class Change:
    """One printed row: a setting before and after."""

    label: str
    before: str
    after: str

    @property
    def changed(self) -> bool:
        """Whether the update sends this setting."""
        return self.before != self.after


def normalise_number(value: str) -> str:
    """E.164 from any way of writing a number (Swedish by default); BadParameter if invalid."""
    try:
        parsed = phonenumbers.parse(value, REGION)
    except phonenumbers.NumberParseException as exc:
        raise click.BadParameter(f"{value!r} is not a phone number: {exc}", param_hint="--number") from None
    if not phonenumbers.is_valid_number(parsed):
        raise click.BadParameter(f"{value!r} is not a valid phone number", param_hint="--number")
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


def check_public_url(value: str) -> str:
    """The base URL without a trailing slash; https unless it is a loopback address."""
    parts = urlsplit(value.strip())
    host = (parts.hostname or "").lower()
    if not host or parts.query or parts.fragment or parts.username or parts.password:
        raise click.BadParameter(
            f"{value!r}: give a base URL such as https://ivr.kommun.se (no query, fragment or login)",
            param_hint="--public-url",
        )
    if parts.scheme == "https" or (parts.scheme == "http" and host in LOOPBACK_HOSTS):
        return f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")
    raise click.BadParameter(
        f"{value!r}: Twilio must reach the line over https (http only for 127.0.0.1 or localhost)",
        param_hint="--public-url",
    )


def credentials(environ: Mapping[str, str]) -> tuple[str, str]:
    """TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN; a ClickException names what is missing."""
    missing = [name for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN") if not environ.get(name)]
    if missing:
        raise click.ClickException(
            f"{' and '.join(missing)} not set: export the account's credentials "
            "(Twilio console, Account info) before running this command"
        )
    return environ["TWILIO_ACCOUNT_SID"], environ["TWILIO_AUTH_TOKEN"]


def shown(url: Any, method: Any) -> str:
    """"POST https://..." or "-" for an unset URL."""
    if not url:
        return "-"
    return f"{method or 'POST'} {url}"


def plan(number: Any, public: str) -> tuple[list[Change], dict[str, str]]:
    """The rows to print and the update() arguments for what differs."""
    rows: list[Change] = []
    update: dict[str, str] = {}
    for hook in WEBHOOKS:
        url_before, method_before = getattr(number, hook.url_field), getattr(number, hook.method_field)
        url_after = public + hook.path
        rows.append(Change(hook.label, shown(url_before, method_before), shown(url_after, METHOD)))
        if url_before != url_after or (method_before or "").upper() != METHOD:
            update[hook.url_field] = url_after
            update[hook.method_field] = METHOD
    for label, sid_field in APPLICATION_FIELDS:
        before = getattr(number, sid_field)
        if before:
            rows.append(Change(label, str(before), "- (cleared: it overrides the URLs)"))
            update[sid_field] = ""
    return rows, update


def table(rows: list[Change]) -> list[str]:
    """Aligned text lines: setting, before, after."""
    width_label = max(len("setting"), *(len(row.label) for row in rows))
    width_before = max(len("before"), *(len(row.before) for row in rows))
    lines = [f"{'setting':<{width_label}}  {'before':<{width_before}}     after"]
    for row in rows:
        after = row.after if row.changed else "(unchanged)"
        lines.append(f"{row.label:<{width_label}}  {row.before:<{width_before}}  -> {after}")
    return lines


def find_number(client: Client, number: str) -> Any:
    """The account's IncomingPhoneNumber for an E.164 number; ClickException if there is none."""
    found = [n for n in client.incoming_phone_numbers.list(phone_number=number) if n.phone_number == number]
    if not found:
        raise click.ClickException(
            f"{number} is not a phone number of Twilio account {client.account_sid}: check the number, "
            "or the account (a subaccount's numbers need the subaccount's SID and token)"
        )
    if len(found) > 1:  # Twilio numbers are unique in an account: should never happen
        raise click.ClickException(f"{number} matches {len(found)} numbers in the account: " +
                                   ", ".join(str(n.sid) for n in found))
    return found[0]


@click.group("twilio")
def twilio() -> None:
    """The Twilio account's side of the line."""


def configured_number(config_dir: Path | None) -> str:
    """line_number from config/line.yaml (found as every command finds it); UsageError when there is none."""
    from flows.settings import load_settings
    from flows.yamlfile import DataError
    from ivr.folders import line_folders

    try:
        settings = load_settings(line_folders(config_dir).config)
    except DataError as exc:
        raise click.ClickException(str(exc)) from None
    if not settings.line_number:
        raise click.UsageError("give --number, or set line_number in config/line.yaml")
    return settings.line_number


def print_offline_plan(e164: str, public: str) -> None:
    """What the command would set, from the configuration alone: no credentials, no network."""
    rows = [(hook.label, f"{METHOD} {public}{hook.path}") for hook in WEBHOOKS]
    width = max(len("setting"), *(len(label) for label, _ in rows))
    click.echo(f"{e164}: dry run from the configuration alone; Twilio was not contacted")
    click.echo(f"{'setting':<{width}}  after")
    for label, after in rows:
        click.echo(f"{label:<{width}}  {after}")
    click.echo("A voice or SMS application attached to the number would be cleared: it overrides these URLs.")
    click.echo("Nothing was sent. Without --dry-run (with TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN) the command "
               "shows each setting before -> after and changes only what differs.")


@twilio.command()
@click.option("--number", help="The line's Twilio number, e.g. +46141225000 or 0141-22 50 00 "
              "(default: line_number in config/line.yaml).")
@click.option("--public-url", envvar="IVR_PUBLIC_URL",
              help="The base URL Twilio reaches the line at, e.g. https://ivr.kommun.se (default: $IVR_PUBLIC_URL).")
@click.option("--dry-run", is_flag=True,
              help="Only print the plan, from the configuration alone: no credentials, no network.")
@config_option
def configure(number: str | None, public_url: str | None, dry_run: bool, config_dir: Path | None) -> None:
    """Point a Twilio number's voice and SMS webhooks at this line.

    Needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN in the environment. Prints
    each setting before -> after and updates only what differs. --dry-run
    prints the plan offline and needs neither.
    """
    e164 = normalise_number(number or configured_number(config_dir))
    if not public_url:
        raise click.UsageError("give --public-url, or set IVR_PUBLIC_URL")
    public = check_public_url(public_url)
    configured = os.environ.get("IVR_PUBLIC_URL", "").rstrip("/")
    if configured and configured != public:
        click.secho(f"warning: IVR_PUBLIC_URL is {configured}, not {public}: the server checks "
                    "signatures against its own setting, so every webhook would be refused", fg="yellow", err=True)
    if urlsplit(public).hostname in LOOPBACK_HOSTS:
        click.secho(f"warning: {public} is a loopback address: Twilio cannot reach it", fg="yellow", err=True)
    if dry_run:
        print_offline_plan(e164, public)
        return
    sid, token = credentials(os.environ)
    client = make_client(sid, token)
    try:
        resource = find_number(client, e164)
        if resource.trunk_sid:
            raise click.ClickException(
                f"{e164} is routed to SIP trunk {resource.trunk_sid}: its calls never reach a voice URL. "
                "Remove it from the trunk in the Twilio console first."
            )
        rows, update = plan(resource, public)
        click.echo(f"{e164} ({resource.sid}, {resource.friendly_name or 'no name'})")
        for line in table(rows):
            click.echo(line)
        if not update:
            click.echo("Nothing to change: the number already points at this line.")
            return
        updated = resource.update(**update)
    except TwilioException as exc:
        raise click.ClickException(f"Twilio refused: {exc}") from None
    except OSError as exc:  # requests' connection errors are OSErrors
        raise click.ClickException(f"cannot reach Twilio: {exc}") from None
    verify(updated, update)
    click.echo(f"Updated: {sum(row.changed for row in rows)} setting(s) changed.")


def verify(updated: Any, sent: dict[str, str]) -> None:
    """Compare Twilio's answer with what was sent; ClickException on any difference."""
    wrong = [f"{name}={getattr(updated, name, None)!r} (sent {value!r})"
             for name, value in sent.items() if (getattr(updated, name, None) or "") != value]
    if wrong:
        raise click.ClickException("Twilio's answer differs from the update: " + ", ".join(wrong))

