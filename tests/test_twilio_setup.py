"""`ivr twilio configure`: the real REST client, faked at Twilio's HTTP boundary."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from click.testing import CliRunner, Result
from twilio.http.response import Response
from twilio.rest import Client

from ivr.cli import twilio_setup
from tests.fake_twilio_http import FakeTwilioHttp

ACCOUNT = "AC" + "a" * 32
TOKEN = "configure-test-token"
NUMBER_SID = "PN" + "b" * 32
NUMBER = "+46141225000"
PUBLIC = "https://ivr.kommun.example"
LIST_PATH = f"/2010-04-01/Accounts/{ACCOUNT}/IncomingPhoneNumbers.json"
NUMBER_PATH = f"/2010-04-01/Accounts/{ACCOUNT}/IncomingPhoneNumbers/{NUMBER_SID}.json"

# Twilio's field names in a resource, and the form keys of an update.
FORM_KEYS = {
    "voice_url": "VoiceUrl", "voice_method": "VoiceMethod",
    "voice_fallback_url": "VoiceFallbackUrl", "voice_fallback_method": "VoiceFallbackMethod",
    "status_callback": "StatusCallback", "status_callback_method": "StatusCallbackMethod",
    "sms_url": "SmsUrl", "sms_method": "SmsMethod",
    "sms_fallback_url": "SmsFallbackUrl", "sms_fallback_method": "SmsFallbackMethod",
    "voice_application_sid": "VoiceApplicationSid", "sms_application_sid": "SmsApplicationSid",
}
CONFIGURED = {
    "VoiceUrl": f"{PUBLIC}/voice", "VoiceMethod": "POST",
    "VoiceFallbackUrl": f"{PUBLIC}/voice/fallback", "VoiceFallbackMethod": "POST",
    "StatusCallback": f"{PUBLIC}/voice/status", "StatusCallbackMethod": "POST",
    "SmsUrl": f"{PUBLIC}/sms", "SmsMethod": "POST",
}


def number_resource(**fields: Any) -> dict[str, Any]:
    """An IncomingPhoneNumber as Twilio's JSON has it: a fresh number (Twilio's demo URLs)."""
    resource: dict[str, Any] = {
        "sid": NUMBER_SID, "account_sid": ACCOUNT, "phone_number": NUMBER,
        "friendly_name": "Felsökningslinjen", "api_version": "2010-04-01",
        "voice_url": "https://demo.twilio.com/welcome/voice/", "voice_method": "POST",
        "voice_fallback_url": "", "voice_fallback_method": "POST",
        "status_callback": "", "status_callback_method": "POST",
        "sms_url": "https://demo.twilio.com/welcome/sms/reply/", "sms_method": "POST",
        "sms_fallback_url": "", "sms_fallback_method": "POST",
        "voice_application_sid": "", "sms_application_sid": "", "trunk_sid": None,
        "voice_receive_mode": "voice", "uri": NUMBER_PATH,
    }
    resource.update(fields)
    return resource


class FakeNumbersApi(FakeTwilioHttp):
    """Answers IncomingPhoneNumbers: a list page with the account's numbers, and updates to one."""

    def __init__(self, numbers: list[dict[str, Any]] | None = None, update_status: int = 200) -> None:
        super().__init__(status=200)
        self.numbers = [number_resource()] if numbers is None else numbers
        self.update_status = update_status

    def request(self, method: str, uri: str, params: Any = None, data: Any = None, headers: Any = None,
                auth: Any = None, timeout: Any = None, allow_redirects: bool = False) -> Response:
        path = urlparse(uri).path
        self.requests.append({"method": method, "path": path, "params": dict(params or {}),
                              "data": dict(data or {}), "auth": auth})
        if method == "GET" and path == LIST_PATH:
            wanted = (params or {}).get("PhoneNumber")
            found = [n for n in self.numbers if wanted in (None, n["phone_number"])]
            return Response(200, json.dumps({
                "incoming_phone_numbers": found, "page": 0, "page_size": 50, "start": 0, "end": len(found) - 1,
                "first_page_uri": LIST_PATH, "next_page_uri": None, "previous_page_uri": None, "uri": LIST_PATH,
            }))
        resource = next((n for n in self.numbers if path == n["uri"]), None)
        if method == "POST" and resource is not None:
            if self.update_status >= 400:
                return Response(self.update_status, json.dumps(
                    {"code": 21402, "message": "Invalid Url", "status": self.update_status}))
            by_form = {form: field for field, form in FORM_KEYS.items()}
            for key, value in (data or {}).items():
                resource[by_form[key]] = value
            return Response(200, json.dumps(resource))
        return Response(404, json.dumps({"code": 20404, "message": "not found", "status": 404}))

    def methods_and_paths(self) -> list[tuple[str, str]]:
        return [(r["method"], r["path"]) for r in self.requests]


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> FakeNumbersApi:
    """The fake Twilio API, with credentials in the environment."""
    fake = FakeNumbersApi()
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.delenv("IVR_PUBLIC_URL", raising=False)
    monkeypatch.setattr(twilio_setup, "make_client", lambda sid, token: Client(sid, token, http_client=fake))
    return fake


def configure(*args: str) -> Result:
    return CliRunner().invoke(twilio_setup.twilio, ["configure", *args])


def test_configure_finds_the_number_and_sets_every_webhook(api: FakeNumbersApi) -> None:
    result = configure("--number", NUMBER, "--public-url", PUBLIC)
    assert result.exit_code == 0, result.output
    assert api.methods_and_paths() == [("GET", LIST_PATH), ("POST", NUMBER_PATH)]
    assert api.requests[0]["params"]["PhoneNumber"] == NUMBER
    assert api.requests[0]["auth"] == (ACCOUNT, TOKEN)
    # Twilio's update form: each changed URL with its method (sent even where it was POST already).
    assert api.requests[1]["data"] == CONFIGURED
    assert "Updated: 4 setting(s) changed." in result.output


def test_configure_prints_before_and_after(api: FakeNumbersApi) -> None:
    output = configure("--number", NUMBER, "--public-url", PUBLIC).output
    lines = output.splitlines()
    assert lines[0] == f"{NUMBER} ({NUMBER_SID}, Felsökningslinjen)"
    assert lines[1].split() == ["setting", "before", "after"]
    rows = {line.split("  ")[0]: line for line in lines[2:6]}
    assert rows.keys() == {"voice", "voice fallback", "call status", "sms"}
    assert "POST https://demo.twilio.com/welcome/voice/" in rows["voice"]
    assert rows["voice"].endswith(f"-> POST {PUBLIC}/voice")
    assert rows["voice fallback"].split()[2:] == ["-", "->", "POST", f"{PUBLIC}/voice/fallback"]
    assert rows["call status"].endswith(f"-> POST {PUBLIC}/voice/status")
    assert rows["sms"].endswith(f"-> POST {PUBLIC}/sms")


def test_dry_run_prints_the_plan_offline_without_credentials(api: FakeNumbersApi,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TWILIO_ACCOUNT_SID")
    monkeypatch.delenv("TWILIO_AUTH_TOKEN")
    monkeypatch.setattr(twilio_setup, "make_client", lambda sid, token: pytest.fail("a dry run made a client"))
    result = configure("--number", NUMBER, "--public-url", PUBLIC, "--dry-run")
    assert result.exit_code == 0, result.output
    assert api.requests == []
    lines = result.output.splitlines()
    assert lines[0] == f"{NUMBER}: dry run from the configuration alone; Twilio was not contacted"
    assert lines[2:6] == [
        f"voice           POST {PUBLIC}/voice",
        f"voice fallback  POST {PUBLIC}/voice/fallback",
        f"call status     POST {PUBLIC}/voice/status",
        f"sms             POST {PUBLIC}/sms",
    ]
    assert "Nothing was sent." in result.output


def test_dry_run_takes_the_number_from_the_config_and_the_url_from_the_environment(
    api: FakeNumbersApi, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from flows.line import DEFAULT_CONFIG

    config = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG, config)
    line = config / "line.yaml"
    line.write_text(line.read_text("utf-8").replace('line_number: "0141-22 50 00"', 'line_number: "0141-22 50 98"'),
                    "utf-8")
    monkeypatch.delenv("TWILIO_ACCOUNT_SID")
    monkeypatch.setenv("IVR_CONFIG_DIR", str(config))
    monkeypatch.setenv("IVR_PUBLIC_URL", PUBLIC)
    result = configure("--dry-run")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("+46141225098: dry run")
    assert f"POST {PUBLIC}/voice/fallback" in result.output
    assert api.requests == []


def test_without_a_public_url_the_command_says_where_to_give_it(api: FakeNumbersApi) -> None:
    result = configure("--number", NUMBER, "--dry-run")
    assert result.exit_code == 2
    assert "--public-url" in result.output and "IVR_PUBLIC_URL" in result.output


def test_a_second_run_changes_nothing(api: FakeNumbersApi) -> None:
    assert configure("--number", NUMBER, "--public-url", PUBLIC).exit_code == 0
    result = configure("--number", NUMBER, "--public-url", PUBLIC + "/")
    assert result.exit_code == 0, result.output
    assert api.methods_and_paths() == [("GET", LIST_PATH), ("POST", NUMBER_PATH), ("GET", LIST_PATH)]
    assert result.output.count("(unchanged)") == 4
    assert "Nothing to change" in result.output


def test_get_methods_are_switched_to_post(api: FakeNumbersApi) -> None:
    api.numbers[0].update(voice_url=f"{PUBLIC}/voice", voice_method="GET")
    configure("--number", NUMBER, "--public-url", PUBLIC)
    data = api.requests[1]["data"]
    assert (data["VoiceUrl"], data["VoiceMethod"]) == (f"{PUBLIC}/voice", "POST")


def test_attached_applications_are_cleared_because_they_override_the_urls(api: FakeNumbersApi) -> None:
    api.numbers[0].update(voice_application_sid="AP" + "c" * 32, sms_application_sid="AP" + "d" * 32)
    result = configure("--number", NUMBER, "--public-url", PUBLIC)
    assert result.exit_code == 0, result.output
    data = api.requests[1]["data"]
    assert (data["VoiceApplicationSid"], data["SmsApplicationSid"]) == ("", "")
    assert "voice application" in result.output and "cleared" in result.output


def test_sms_fallback_is_left_alone(api: FakeNumbersApi) -> None:
    api.numbers[0]["sms_fallback_url"] = "https://other.example/sms-down"
    configure("--number", NUMBER, "--public-url", PUBLIC)
    assert not any(key.startswith("SmsFallback") for key in api.requests[1]["data"])


@pytest.mark.parametrize("written", ["0141-22 50 00", "0141225000", "+46 141 22 50 00", "0046141225000"])
def test_numbers_written_the_swedish_way_are_normalised(api: FakeNumbersApi, written: str) -> None:
    result = configure("--number", written, "--public-url", PUBLIC)
    assert result.exit_code == 0, result.output
    assert api.requests[0]["params"]["PhoneNumber"] == NUMBER


def test_unknown_number_exits_1_with_a_clear_message(api: FakeNumbersApi) -> None:
    result = configure("--number", "+46141225099", "--public-url", PUBLIC)
    assert result.exit_code == 1
    assert f"+46141225099 is not a phone number of Twilio account {ACCOUNT}" in result.output
    assert api.methods_and_paths() == [("GET", LIST_PATH)]


def test_a_number_on_a_sip_trunk_is_refused(api: FakeNumbersApi) -> None:
    api.numbers[0]["trunk_sid"] = "TK" + "e" * 32
    result = configure("--number", NUMBER, "--public-url", PUBLIC)
    assert result.exit_code == 1
    assert "SIP trunk" in result.output
    assert api.methods_and_paths() == [("GET", LIST_PATH)]


def test_twilio_refusing_the_update_exits_1(api: FakeNumbersApi) -> None:
    api.update_status = 400
    result = configure("--number", NUMBER, "--public-url", PUBLIC)
    assert result.exit_code == 1
    assert "Twilio refused" in result.output and "Invalid Url" in result.output


@pytest.mark.parametrize("missing", ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"])
def test_missing_credentials_exit_1_naming_the_variable(
    api: FakeNumbersApi, monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    monkeypatch.delenv(missing)
    result = configure("--number", NUMBER, "--public-url", PUBLIC)
    assert result.exit_code == 1
    assert f"{missing} not set" in result.output
    assert api.requests == []


def test_both_credentials_missing_names_both(api: FakeNumbersApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TWILIO_ACCOUNT_SID")
    monkeypatch.delenv("TWILIO_AUTH_TOKEN")
    result = configure("--number", NUMBER, "--public-url", PUBLIC)
    assert result.exit_code == 1
    assert "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN not set" in result.output


@pytest.mark.parametrize("number", ["12345", "not a number", "+46 0000", "070-000 00 0"])
def test_invalid_numbers_are_refused(api: FakeNumbersApi, number: str) -> None:
    result = configure("--number", number, "--public-url", PUBLIC)
    assert result.exit_code == 2
    assert "--number" in result.output
    assert api.requests == []


@pytest.mark.parametrize("url", ["http://ivr.kommun.example", "ftp://ivr.kommun.example", "ivr.kommun.example",
                                 "https://", "https://ivr.kommun.example/?x=1", "https://user:pw@ivr.kommun.example"])
def test_public_url_must_be_https(api: FakeNumbersApi, url: str) -> None:
    result = configure("--number", NUMBER, "--public-url", url)
    assert result.exit_code == 2
    assert "--public-url" in result.output
    assert api.requests == []


@pytest.mark.parametrize("url", ["http://127.0.0.1:5000", "http://localhost:8000/"])
def test_loopback_http_is_allowed_with_a_warning(api: FakeNumbersApi, url: str) -> None:
    result = configure("--number", NUMBER, "--public-url", url, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "loopback" in result.output
    assert f"  POST {url.rstrip('/')}/voice\n" in result.output


def test_a_path_prefix_is_kept(api: FakeNumbersApi) -> None:
    configure("--number", NUMBER, "--public-url", PUBLIC + "/felsokning/")
    assert api.requests[1]["data"]["VoiceUrl"] == f"{PUBLIC}/felsokning/voice"


def test_warns_when_the_server_expects_another_public_url(api: FakeNumbersApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IVR_PUBLIC_URL", "https://old.kommun.example")
    result = configure("--number", NUMBER, "--public-url", PUBLIC, "--dry-run")
    assert result.exit_code == 0
    assert "IVR_PUBLIC_URL is https://old.kommun.example" in result.output


def test_the_default_client_factory_builds_a_rest_client() -> None:
    client = twilio_setup.make_client(ACCOUNT, TOKEN)
    assert isinstance(client, Client)
    assert client.account_sid == ACCOUNT
