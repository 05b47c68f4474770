"""The app's settings: defaults, the environment (or a test's), and the checks that refuse an unsafe start."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask

from flows.line import Line
from flows.validate import problems_text
from ivr import parts
from ivr.channels.check import check_line
from ivr.folders import app_folders
from ivr.notify import LogNotifier, TwilioNotifier
from ivr.operations.logs import use_json_logs, use_text_logs
from ivr.settings import ConfigError as ConfigError  # where the commands and the tests look for it
from ivr.settings import Settings, from_config

log = logging.getLogger(__name__)

DEV_TOKEN = "dev-only-not-a-secret"  # signs requests in development mode; never valid at Twilio
DEV_PSEUDONYM_KEY = "dev-only-pseudonym-key"  # development and tests only: pseudonyms are then guessable


def default_database_url() -> str:
    """The embedded default: SQLite in Flask's instance folder."""
    instance = Flask("ivr", instance_relative_config=True).instance_path
    return f"sqlite:///{Path(instance) / 'felsokningslinjen.sqlite3'}"


def defaults(app: Flask) -> dict[str, Any]:
    """Settings before the environment or test_config override them."""
    return {
        "TWILIO_AUTH_TOKEN": None,
        "TWILIO_ACCOUNT_SID": None,
        "PUBLIC_URL": None,
        "DATABASE_URL": default_database_url(),
        "DB_AUTO_UPGRADE": True,
        "CHECKLISTS_DIR": None,  # None: ivr.folders' rule (IVR_CHECKLISTS_DIR, else shipped)
        "CONFIG_DIR": None,
        "DEV_MODE": False,
        "PSEUDONYM_KEY": None,
        "LOG_FORMAT": "text",  # "json" in production: one JSON object per line
        "STATE_DIR": None,  # IVR_STATE_DIR: what the server writes besides the database (operations/state_folder.py)
        "RELOAD_STAMP": None,  # `ivr reload` tells the server processes here (default: the state folder's)
        "METRICS_TOKEN": None,  # IVR_METRICS_TOKEN: /metrics on, for a scraper sending this bearer token
        # IVR_OUTBOX_WORKER: each server process retries the outbox in a thread. None: on when the settings
        # come from the environment (a server), off for a test's or the simulator's app (no stray thread).
        "OUTBOX_WORKER": None,
    }


def from_environment(app: Flask) -> None:
    """IVR_* variables (IVR_DATABASE_URL, IVR_PUBLIC_URL, ...) and Twilio's own names."""
    app.config.from_prefixed_env("IVR")
    for name in ("TWILIO_AUTH_TOKEN", "TWILIO_ACCOUNT_SID"):
        if os.environ.get(name):
            app.config[name] = os.environ[name]


# Settings that are text (None: not set). Flask reads an IVR_* variable as JSON when it
# parses as JSON, so IVR_TWILIO_AUTH_TOKEN=1 arrives as the number 1, `true` as a boolean.
TEXT_SETTINGS = ("TWILIO_AUTH_TOKEN", "TWILIO_ACCOUNT_SID", "PUBLIC_URL", "DATABASE_URL", "PSEUDONYM_KEY",
                 "LOG_FORMAT", "CHECKLISTS_DIR", "CONFIG_DIR", "STATE_DIR", "RELOAD_STAMP", "METRICS_TOKEN",
                 "OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "OIDC_ROLE_CLAIM", "OIDC_NAME_CLAIM",
                 "OIDC_ROLE_ADMIN", "OIDC_ROLE_MANAGER", "OIDC_ROLE_READ_ONLY")
BOOLEAN_SETTINGS = ("DB_AUTO_UPGRADE", "DEV_MODE", "OUTBOX_WORKER")
SECRETS = ("TWILIO_AUTH_TOKEN", "PSEUDONYM_KEY", "METRICS_TOKEN", "OIDC_CLIENT_SECRET")
JSON_KINDS = {bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "an object"}


def check_types(config: dict[str, Any]) -> None:
    """Refuse a setting of the wrong kind with its name, never its value (it may be a secret)."""
    for name in TEXT_SETTINGS:
        value = config.get(name)
        if value is not None and not isinstance(value, str | os.PathLike):
            raise ConfigError(
                f"{name} must be text, not {JSON_KINDS.get(type(value), 'a value of another kind')}: "
                f"an IVR_{name} that looks like JSON "
                f"is read as JSON, so quote it inside the value (IVR_{name}='\"...\"')"
            )
    for name in BOOLEAN_SETTINGS:
        if not isinstance(config.get(name), bool):
            raise ConfigError(f"{name} must be true or false (IVR_{name}=true or IVR_{name}=false)")
    for name in SECRETS:
        value = config.get(name)
        if isinstance(value, str) and value and not value.strip():
            raise ConfigError(f"{name} is blank (only spaces): set it to the real secret")
        if isinstance(value, str) and value != value.strip():
            # Twilio's token has no spaces: this is a copy-and-paste slip, and every signature would fail.
            raise ConfigError(f"{name} starts or ends with spaces or a line break: remove them")


def load_settings(app: Flask, test_config: dict[str, Any] | None, overrides: dict[str, Any]) -> None:
    """Settings into app.config, refusing to start when something is unsafe."""
    app.config.from_mapping(defaults(app))
    if test_config is None:
        from_environment(app)
    else:
        app.config.update(test_config)
    app.config.update(overrides)
    if app.config["OUTBOX_WORKER"] is None:
        app.config["OUTBOX_WORKER"] = test_config is None
    check_types(app.config)
    folders = app_folders(app.config, from_environment=test_config is None)
    app.config["CONFIG_DIR"], app.config["CHECKLISTS_DIR"] = str(folders.config), str(folders.checklists)
    if app.config["LOG_FORMAT"] == "json":
        use_json_logs()
    else:
        use_text_logs()
    if not app.config["TWILIO_AUTH_TOKEN"]:
        if not app.config["DEV_MODE"]:
            raise ConfigError(
                "TWILIO_AUTH_TOKEN is not set: without it no webhook can be verified. "
                "Set it, or start with `ivr serve --dev` for local development only."
            )
        log.warning("DEVELOPMENT MODE: signatures use a fixed local token; never expose this server")
        app.config["TWILIO_AUTH_TOKEN"] = DEV_TOKEN
    if not app.config["PSEUDONYM_KEY"]:
        if test_config is None and not app.config["DEV_MODE"]:
            raise ConfigError(
                "IVR_PSEUDONYM_KEY is not set: it keys the hash that keeps callers' numbers out of the "
                "audit log. Set it to a long random secret (e.g. `python3 -c 'import secrets; "
                "print(secrets.token_hex(32))'`) and keep it: changing it splits each caller's history."
            )
        app.config["PSEUDONYM_KEY"] = DEV_PSEUDONYM_KEY
    app.extensions[parts.SETTINGS] = from_config(app.config)  # the one typed, frozen reading of them all


def checked_line(app: Flask) -> Line:
    """The checklists and settings, with the same validation as `ivr check`: never a start with texts it refuses."""
    settings = parts.settings(app)
    line, problems = check_line(Path(settings.checklists_dir), Path(settings.config_dir))
    if problems or line is None:
        raise ConfigError(problems_text(problems))
    return line


def make_notifier(settings: Settings) -> TwilioNotifier | LogNotifier:
    """Twilio's REST API when an account is configured, else a log (development)."""
    sid, token = settings.twilio_account_sid, settings.twilio_auth_token
    if sid and token and token != DEV_TOKEN:
        return TwilioNotifier(sid, token)
    log.warning("no TWILIO_ACCOUNT_SID: SMS and call-backs are logged, not sent")
    # IVR_OUTBOX_FILE: development and tests read the "sent" SMS there
    return LogNotifier(outbox=settings.outbox_file)
