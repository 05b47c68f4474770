"""Shared fixtures: a frozen clock, signed Twilio requests, and the app on each database."""

from __future__ import annotations

import atexit
import hashlib
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse

import ivr.channels.check
from flows.line import Line
from ivr import create_app
from ivr.notify import LogNotifier
from ivr.store import Store
from tests.conftest_db import database_params, empty_at_head, make_url

TOKEN = "test-token-not-a-secret"
PUBLIC_URL = "https://ivr.test.invalid"
STOCKHOLM = ZoneInfo("Europe/Stockholm")
CALLER = "+46701740699"
LINE_NUMBER = "+46141225000"


def sms_session(app: Flask, number: str) -> str:
    """The pseudonymous session id the app keeps a sender's SMS conversation under."""
    from ivr.privacy import pseudonym

    return f"sms:{pseudonym(number, app.config['PSEUDONYM_KEY'])}"


def local(text: str) -> datetime:
    """A Stockholm wall-clock time: local('2026-11-25T22:00')."""
    return datetime.fromisoformat(text).replace(tzinfo=STOCKHOLM)


class FrozenClock:
    """A clock the test sets; never today's date."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def set(self, text: str) -> None:
        """Move to a Stockholm wall-clock time."""
        self.moment = local(text)


class Twilio:
    """Sends webhooks the way Twilio does: form POSTs signed with the auth token."""

    def __init__(self, client: FlaskClient, token: str = TOKEN, base: str = PUBLIC_URL) -> None:
        self.client = client
        self.token = token
        self.base = base

    def post(self, path: str, **params: str) -> TestResponse:
        """POST signed form parameters to a path (which may carry a query)."""
        signature = RequestValidator(self.token).compute_signature(self.base + path, params)
        return self.client.post(path, data=params, headers={"X-Twilio-Signature": signature})

    def call(self, path: str, sid: str = "CA" + "1" * 32, **params: str) -> TestResponse:
        """A voice webhook for one call."""
        return self.post(path, CallSid=sid, From=CALLER, To=LINE_NUMBER, **params)


_validate = ivr.channels.check.check_line
_validated: dict[tuple[str, str, str], tuple[Line | None, list[str]]] = {}


def _fingerprint(*folders: Path) -> str:
    """Every file under the folders, names and bytes: the line's files change, the key changes."""
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if path.is_file():
                digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def validate_once(checklists: Path, config: Path) -> tuple[Line | None, list[str]]:
    """ivr.channels.check.check_line, once per test session for the same files (the line is immutable).

    Why: every `app` fixture validated the whole line again, ~0.35 s each (bench/README.md).
    Files a test writes or changes give another key, so they are validated as they are.
    """
    key = (str(checklists), str(config), _fingerprint(checklists, config))
    if key not in _validated:
        _validated[key] = _validate(checklists, config)
    line, problems = _validated[key]
    return line, list(problems)


def _use_everywhere(original: Callable[..., Any], replacement: Callable[..., Any]) -> None:
    """Replace a function in every loaded module of this project that imported it by name."""
    for name, module in list(sys.modules.items()):
        if (name.split(".")[0] in ("ivr", "flows")) and getattr(module, original.__name__, None) is original:
            setattr(module, original.__name__, replacement)


_use_everywhere(_validate, validate_once)


@pytest.fixture(autouse=True, scope="session")
def _validated_line_once() -> Iterator[None]:
    """Modules imported after conftest (the CLI's) get the session's validation too."""
    _use_everywhere(_validate, validate_once)
    yield


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file with every migration run, made once per session; tests get a copy."""
    path = tmp_path_factory.mktemp("template") / "ivr.sqlite3"
    store = Store(f"sqlite:///{path}")
    try:
        store.upgrade()
    finally:
        store.dispose()  # the last connection closing folds the write-ahead log into the file
    return path


@pytest.fixture
def clock() -> FrozenClock:
    """Wednesday 25 November 2026, 10:00 in Stockholm: office hours."""
    return FrozenClock(local("2026-11-25T10:00"))


@pytest.fixture(params=database_params())
def database_url(request: pytest.FixtureRequest, tmp_path: Path, migrated_sqlite: Path) -> Iterator[str]:
    """An empty database at the schema's head, as the line leaves it at its first start: SQLite always (a copy
    of the session's migrated file), PostgreSQL too when IVR_TEST_DATABASE_URL is set (its tables emptied).
    Migrations themselves are tested on empty databases (tests/test_migrations.py, conftest_db.fresh_url)."""
    url = make_url(request.param, tmp_path)
    if request.param == "sqlite":
        from_template(url, migrated_sqlite)
    else:
        empty_at_head(url)
    yield url


_STATE_DIRS: list[str] = []


def state_dir() -> str:
    """A new state folder, removed when the test run ends."""
    if not _STATE_DIRS:
        atexit.register(lambda: [shutil.rmtree(path, ignore_errors=True) for path in _STATE_DIRS])
    _STATE_DIRS.append(tempfile.mkdtemp(prefix="ivr-test-state-"))
    return _STATE_DIRS[-1]


def app_config(database_url: str, clock: FrozenClock, **extra: Any) -> dict[str, Any]:
    """The test app's settings."""
    return {
        "TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_URL": PUBLIC_URL, "DATABASE_URL": database_url,
        "CLOCK": clock, "NOTIFIER": LogNotifier(),
        # Each app its own state folder: the repair alert's stamp and the direct sends not recorded yet
        # (ivr/outbox/direct.py) must not pass from one test's database to another's.
        "STATE_DIR": state_dir(), **extra,
    }


def from_template(database_url: str, template: Path) -> None:
    """A new SQLite database as a copy of the migrated template (8 migrations took ~0.1 s a test)."""
    if database_url.startswith("sqlite:///"):
        target = Path(database_url.removeprefix("sqlite:///"))
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)  # as the store makes a new file's folder
            shutil.copyfile(template, target)


@pytest.fixture
def app(database_url: str, clock: FrozenClock) -> Iterator[Flask]:
    """The app on a fresh database."""
    application = create_app(app_config(database_url, clock))
    yield application
    application.extensions["ivr.store"].dispose()


@pytest.fixture
def twilio(app: Flask) -> Twilio:
    """Signed requests to the app."""
    return Twilio(app.test_client())
