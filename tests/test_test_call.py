"""`ivr test-call`: a real screened call through Twilio's REST client (a fake at its HTTP boundary), the
whisper and the key through signed webhooks of the real app, and the verdict from the shared database."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from twilio.http.response import Response
from twilio.rest import Client

from ivr import create_app
from ivr.cli import main, test_call
from ivr.simulator.voice import spoken_text
from tests.conftest import PUBLIC_URL, TOKEN, FrozenClock, Twilio, app_config, local
from tests.fake_twilio_http import FakeTwilioHttp

ACCOUNT = "AC" + "0" * 32


class FakeCallsApi(FakeTwilioHttp):
    """Twilio's Calls API: creating a call makes Twilio fetch its TwiML and the person press `key`;
    fetching the call gives its final status."""

    def __init__(self, person: Callable[[str, str], None], final_status: str = "completed") -> None:
        super().__init__()
        self.person = person
        self.final_status = final_status

    def request(self, method: str, uri: str, params: Any = None, data: Any = None, headers: Any = None,
                auth: Any = None, timeout: Any = None, allow_redirects: bool = False) -> Response:
        if method == "GET":
            self.requests.append({"method": method, "path": uri.split("api.twilio.com")[-1], "data": {}})
            return Response(200, json.dumps({"sid": uri.rsplit("/", 1)[-1].removesuffix(".json"),
                                             "status": self.final_status}))
        response = super().request(method, uri, params, data, headers, auth, timeout, allow_redirects)
        sid = json.loads(response.text)["sid"]
        self.person(sid, dict(data or {})["Url"])
        return response


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    clock = FrozenClock(local("2026-11-25T22:00"))
    application = create_app(app_config(f"sqlite:///{tmp_path / 'line.sqlite3'}", clock))
    yield application
    application.extensions["ivr.store"].dispose()


def run(app: Flask, monkeypatch: pytest.MonkeyPatch, fake: FakeCallsApi, *args: str) -> Result:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setattr(test_call, "make_client", lambda sid, token: Client(sid, token, http_client=fake))
    monkeypatch.setattr(test_call, "POLL_SECONDS", 0.01)
    return CliRunner().invoke(main, ["test-call", *args, "--public-url", PUBLIC_URL,
                                     "--database", app.config["DATABASE_URL"]])


def person_pressing(app: Flask, key: str | None, heard: list[str]) -> Callable[[str, str], None]:
    """Twilio's side of the call: fetch the whisper (signed), then send the key the person presses."""
    twilio = Twilio(app.test_client())

    def answer(sid: str, url: str) -> None:
        path = url.removeprefix(PUBLIC_URL)
        root = ET.fromstring(twilio.post(path, CallSid=sid, From="+46141225000", To="+46701740610").text)
        heard.extend(spoken_text(node) for node in root.iter("Say"))
        gather = root.find("Gather")
        assert gather is not None and gather.get("numDigits") == "1"
        if key is not None:
            after = ET.fromstring(twilio.post(gather.get("action", ""), CallSid=sid, Digits=key).text)
            heard.extend(spoken_text(node) for node in after.iter("Say"))

    return answer


def test_a_person_on_the_roster_who_presses_1_is_reported(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    heard: list[str] = []
    fake = FakeCallsApi(person_pressing(app, "1", heard))
    result = run(app, monkeypatch, fake, "Anna Andersson")
    assert result.exit_code == 0, result.output
    assert "OK: Anna Andersson tryckte 1" in result.output
    call = fake.requests[0]
    assert call["path"] == f"/2010-04-01/Accounts/{ACCOUNT}/Calls.json"
    assert call["data"]["To"] == "+46701740610" and call["data"]["From"] == "+46141225000"
    assert call["data"]["Url"] == f"{PUBLIC_URL}/voice/test-call"
    assert heard == ["Det här är ett provsamtal från Felsökningslinjen. Ingen behöver hjälp nu.",
                     "Tryck 1 för att visa att samtalen når dig.", "Tack. Provsamtalet fungerade. Hej då."]


def test_by_number_a_person_who_does_not_press_1_is_reported_as_not_ok(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    heard: list[str] = []
    fake = FakeCallsApi(person_pressing(app, None, heard), final_status="completed")  # a voicemail: no key
    result = run(app, monkeypatch, fake, "070-174 06 12")
    assert result.exit_code == 1
    assert "INTE OK: Bengt Berg tryckte inte 1 (samtalets status: completed)" in result.output
    assert [request["method"] for request in fake.requests] == ["POST", "GET"]


def test_another_key_is_not_an_acceptance(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    heard: list[str] = []
    fake = FakeCallsApi(person_pressing(app, "2", heard), final_status="completed")
    result = run(app, monkeypatch, fake, "cecilia")
    assert result.exit_code == 1
    assert heard[-1] == "Samtalet kopplas inte. Hej då."


def test_a_number_not_on_the_roster_is_refused_and_nothing_is_called(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeCallsApi(lambda sid, url: None)
    result = run(app, monkeypatch, fake, "070-123 45 67")
    assert result.exit_code == 2
    assert "'070-123 45 67' is nobody on the on-call roster (config/roster.yaml)" in result.output
    assert fake.requests == []


def test_a_whisper_without_a_valid_signature_is_refused(app: Flask) -> None:
    response = app.test_client().post("/voice/test-call", data={"CallSid": "CA" + "1" * 32})
    assert response.status_code == 403
