"""Shared fixtures: a frozen clock, signed Twilio requests, and the app on each database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse

from ivr import create_app
from ivr.notify import LogNotifier
from tests.conftest_db import database_params, make_url, reset

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


@pytest.fixture
def clock() -> FrozenClock:
    """Wednesday 25 November 2026, 10:00 in Stockholm: office hours."""
    return FrozenClock(local("2026-11-25T10:00"))


@pytest.fixture(params=database_params())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """SQLite always; PostgreSQL too when IVR_TEST_DATABASE_URL is set."""
    url = make_url(request.param, tmp_path)
    reset(url)
    yield url


def app_config(database_url: str, clock: FrozenClock, **extra: Any) -> dict[str, Any]:
    """The test app's settings."""
    return {
        "TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_URL": PUBLIC_URL, "DATABASE_URL": database_url,
        "CLOCK": clock, "NOTIFIER": LogNotifier(), **extra,
    }


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
