"""The app's settings as one frozen, typed object: every IVR_* setting, read once and checked.

ivr/config.py reads them (defaults, then the environment or a test's mapping), refuses an
unsafe start, and builds this object; create_app keeps it in app.extensions (ivr/parts.py:
`parts.settings()`). Every module reads a setting here, never from os.environ or app.config.
Flask's own keys (SECRET_KEY, SESSION_COOKIE_*) stay in app.config too, where Flask reads them.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ivr.notify import Notifier

class ConfigError(RuntimeError):
    """The app cannot start safely with these settings."""


DEFAULT_REFRESH_SECONDS = 10.0  # a swap reaches every worker within this; a failed read waits as long
SESSION_HOURS = 8  # a working day: a signed-in console is not left open for days


@dataclass(frozen=True)
class Settings:
    """Every setting, checked. The variable is IVR_ and the name in capitals (Twilio's two: their own names)."""

    twilio_auth_token: str  # TWILIO_AUTH_TOKEN: the development token in --dev
    twilio_account_sid: str | None  # TWILIO_ACCOUNT_SID: none, and SMS and call-backs are only logged
    public_url: str | None  # the URL Twilio calls (signatures are checked against it)
    database_url: str
    db_auto_upgrade: bool  # migrate at start
    checklists_dir: str
    config_dir: str
    dev_mode: bool  # `ivr serve --dev`
    pseudonym_key: str  # keys the hash that keeps callers' numbers out of the audit log
    secret_key: str  # the console's cookie key (IVR_SECRET_KEY, else derived from the pseudonym key)
    log_format: str  # "text" or "json"
    state_dir: str | None  # what the server writes besides the database (ivr/operations/state_folder.py)
    reload_stamp: str | None  # where `ivr reload` tells the server processes (default: the state folder's)
    metrics_token: str | None  # /metrics on, for a scraper sending this bearer token
    outbox_worker: bool  # each server process retries the outbox in a thread
    admin_cookie_secure: bool  # the console's cookie over https only (default: not in --dev)
    admin_session_hours: int  # a console sign-in lasts this long
    alert_stamp: str | None  # the repair alert's last time (default: the state folder's)
    oncall_refresh_seconds: float  # how often a worker reads the on-call swaps
    outbox_file: str | None  # development and tests: the logged "sent" SMS go to this file
    clock: Callable[[], datetime] | None  # a test's or the simulator's clock; None: the wall clock
    notifier: Notifier | None  # a test's or the simulator's notifier; None: Twilio's, or the log
    # The console's sign-in with the municipality's accounts (OpenID Connect, ivr/admin/oidc.py); None: off.
    oidc: OidcSettings | None = None
    # The SMS code as a break-glass sign-in (IVR_ADMIN_SMS_SIGNIN); unset: on only while OIDC is not configured.
    admin_sms_signin: bool = True


@dataclass(frozen=True)
class OidcSettings:
    """IVR_OIDC_*: the provider (its issuer URL, discovery read from it), the client, and where roles are read.

    roles maps each console role to the claim value that grants it (Entra's app roles arrive in the
    `roles` claim; a group claim carries group ids, which work as values too).
    """

    issuer: str
    client_id: str
    client_secret: str
    role_claim: str = "roles"
    name_claim: str = "name"
    roles: tuple[tuple[str, str], ...] = (("admin", "Konsol.Admin"), ("manager", "Konsol.Chef"),
                                          ("read_only", "Konsol.Lasare"))


def session_secret(pseudonym_key: str) -> str:
    """Flask's signing key when IVR_SECRET_KEY is not set: derived from the required IVR_PSEUDONYM_KEY.

    A keyed derivation, so the cookie's key is not the pseudonym key itself and one
    leaked cookie key says nothing about callers' pseudonyms.
    """
    return hmac.new(pseudonym_key.encode(), b"felsokningslinjen /admin session cookie", hashlib.sha256).hexdigest()


def refresh_seconds(value: object) -> float:
    """ONCALL_REFRESH_SECONDS, checked: a clear error, never a traceback at start."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 3600:
        raise ConfigError("ONCALL_REFRESH_SECONDS must be a number of seconds from 0 to 3600 "
                          "(IVR_ONCALL_REFRESH_SECONDS=10)")
    return float(value)


def session_hours(value: object) -> int:
    """IVR_ADMIN_SESSION_HOURS as a whole number of hours (default SESSION_HOURS); ConfigError otherwise."""
    if value is None:
        return SESSION_HOURS
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 24 * 7:
        raise ConfigError("ADMIN_SESSION_HOURS must be a whole number of hours from 1 to 168")
    return value


def cookie_secure(value: object, dev_mode: bool) -> bool:
    """IVR_ADMIN_COOKIE_SECURE; unset: true but in `ivr serve --dev` (plain http only on loopback)."""
    if value is None:
        return not dev_mode
    if not isinstance(value, bool):
        raise ConfigError("ADMIN_COOKIE_SECURE must be true or false (IVR_ADMIN_COOKIE_SECURE=false)")
    return value


def optional_text(value: object) -> str | None:
    """A text setting (checked as text by ivr/config.py), None when unset or empty."""
    return str(value) if value else None


def oidc_settings(config: Mapping[str, Any]) -> OidcSettings | None:
    """IVR_OIDC_ISSUER, _CLIENT_ID and _CLIENT_SECRET together, or none of them (ConfigError for a half)."""
    names = ("OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET")
    given = [optional_text(config.get(name)) for name in names]
    if not any(given):
        return None
    if not all(given):
        missing = ", ".join(f"IVR_{name}" for name, value in zip(names, given, strict=True) if not value)
        raise ConfigError(f"OpenID Connect is half configured: set {missing} too (or none of the IVR_OIDC_* settings)")
    issuer, client_id, secret = (str(value) for value in given)
    defaults = OidcSettings(issuer, client_id, secret)
    roles = tuple((role, optional_text(config.get(f"OIDC_ROLE_{role.upper()}")) or value)
                  for role, value in defaults.roles)
    return OidcSettings(issuer.rstrip("/"), client_id, secret,
                        role_claim=optional_text(config.get("OIDC_ROLE_CLAIM")) or defaults.role_claim,
                        name_claim=optional_text(config.get("OIDC_NAME_CLAIM")) or defaults.name_claim, roles=roles)


def sms_signin(value: object, oidc: OidcSettings | None) -> bool:
    """IVR_ADMIN_SMS_SIGNIN; unset: on without OIDC, off once OIDC is configured (break-glass, turned on by hand)."""
    if value is None:
        return oidc is None
    if not isinstance(value, bool):
        raise ConfigError("ADMIN_SMS_SIGNIN must be true or false (IVR_ADMIN_SMS_SIGNIN=true)")
    return value


def from_config(config: Mapping[str, Any]) -> Settings:
    """The settings of a checked app.config (ivr/config.py's load_settings)."""
    pseudonym_key = str(config["PSEUDONYM_KEY"])
    oidc = oidc_settings(config)
    return Settings(
        twilio_auth_token=str(config["TWILIO_AUTH_TOKEN"]),
        twilio_account_sid=optional_text(config["TWILIO_ACCOUNT_SID"]),
        public_url=optional_text(config["PUBLIC_URL"]),
        database_url=str(config["DATABASE_URL"]),
        db_auto_upgrade=bool(config["DB_AUTO_UPGRADE"]),
        checklists_dir=str(config["CHECKLISTS_DIR"]),
        config_dir=str(config["CONFIG_DIR"]),
        dev_mode=bool(config["DEV_MODE"]),
        pseudonym_key=pseudonym_key,
        secret_key=str(config.get("SECRET_KEY") or session_secret(pseudonym_key)),
        log_format=str(config["LOG_FORMAT"]),
        state_dir=optional_text(config["STATE_DIR"]),
        reload_stamp=optional_text(config["RELOAD_STAMP"]),
        metrics_token=optional_text(config["METRICS_TOKEN"]),
        outbox_worker=bool(config["OUTBOX_WORKER"]),
        admin_cookie_secure=cookie_secure(config.get("ADMIN_COOKIE_SECURE"), bool(config["DEV_MODE"])),
        admin_session_hours=session_hours(config.get("ADMIN_SESSION_HOURS")),
        alert_stamp=optional_text(config.get("ALERT_STAMP")),
        oncall_refresh_seconds=refresh_seconds(config.get("ONCALL_REFRESH_SECONDS", DEFAULT_REFRESH_SECONDS)),
        outbox_file=optional_text(config.get("OUTBOX_FILE")),
        clock=config.get("CLOCK"),
        notifier=config.get("NOTIFIER"),
        oidc=oidc,
        admin_sms_signin=sms_signin(config.get("ADMIN_SMS_SIGNIN"), oidc),
    )
