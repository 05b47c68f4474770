"""The app of the tests that send through Twilio's real REST client to a fake, with a state folder of its own.

The state folder holds what was sent while the database was down (ivr/outbox/direct.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.conftest import FrozenClock
from tests.fake_twilio_http import FakeTwilioHttp
from tests.test_outbox import NIGHT, twilio_app


@pytest.fixture
def http() -> FakeTwilioHttp:
    return FakeTwilioHttp()


@pytest.fixture
def app(database_url: str, clock: FrozenClock, http: FakeTwilioHttp, tmp_path: Path) -> Iterator[Flask]:
    clock.set(NIGHT)
    application = twilio_app(database_url, clock, http, STATE_DIR=str(tmp_path / "state"))
    yield application
    application.extensions["ivr.store"].dispose()
