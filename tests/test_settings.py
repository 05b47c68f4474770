"""config/: the shipped settings load; bad values are named by file and key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from flows.line import DEFAULT_CONFIG
from flows.messages import load_messages
from flows.settings import load_settings
from flows.yamlfile import DataError
from ivr.cli import main


def test_shipped_settings_normalise_numbers_to_e164() -> None:
    settings = load_settings(DEFAULT_CONFIG)
    assert settings.it_support.number == "+46141225047"
    assert settings.default_language == "sv"
    assert settings.voices["sv"].language == "sv-SE"


def test_shipped_messages_load() -> None:
    messages = load_messages(DEFAULT_CONFIG / "messages.yaml")
    assert messages.get("voice", "menu_item", "sv", system="Viva", key=1) == "Viva 1"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        ("line.yaml", '"0141-22 50 47"', '"0141-22 50"',
         "config/line.yaml: it_support.number: '0141-22 50' is not a valid phone number"),
        ("line.yaml", "quiet_minutes: 120", "quiet_minutes: soon",
         "config/line.yaml: sms_line.quiet_minutes: must be a whole number of at least 1"),
        ("line.yaml", "on_call_by: callback", "on_call_by: pigeon",
         "config/line.yaml: sms_line.on_call_by: must be one of: callback, text_number"),
        ("line.yaml", 'it_portal_url: "https://itportal.example.se"', 'it_portal_url: "itportal"',
         "config/line.yaml: it_portal_url: must be a web address starting with https://"),
        ("line.yaml", "    name: {sv: Viva-supporten, en: Viva support}",
         "    name: {sv: Viva-supporten}",
         "config/line.yaml: contacts.viva_support.name: missing text for language 'en'"),
    ],
)
def test_bad_setting_is_named(config: Path, file: str, old: str, new: str, expected: str) -> None:
    edit(config / file, old, new)
    with pytest.raises(DataError) as caught:
        load_settings(config)
    assert expected in caught.value.problems


def test_unknown_placeholder_in_messages_is_named(config: Path) -> None:
    edit(config / "messages.yaml", "Ring IT-supporten på {it_support}", "Ring {it_suport}")
    with pytest.raises(DataError) as caught:
        load_messages(config / "messages.yaml")
    assert caught.value.problems == [
        "config/messages.yaml: voice.give_up_office.sv: unknown placeholder {it_suport}"
    ]



# --- settings from the environment, through `ivr serve` -----------------------------------------


def serve_with(env: dict[str, str | None], tmp_path: Path) -> Result:
    """`ivr serve` with these variables over a working set; each case here must refuse before serving."""
    working: dict[str, str | None] = {
        "TWILIO_AUTH_TOKEN": "a-real-looking-token", "IVR_PSEUDONYM_KEY": "a-real-looking-key",
        "IVR_DATABASE_URL": f"sqlite:///{tmp_path / 'ivr.sqlite3'}", "TWILIO_ACCOUNT_SID": None,
        "IVR_TWILIO_AUTH_TOKEN": None, "IVR_PUBLIC_URL": None, "IVR_DEV_MODE": None,
    }
    # 192.0.2.1 (TEST-NET-1) is no address of this machine: were the settings accepted, serving fails at once.
    return CliRunner().invoke(main, ["serve", "--host", "192.0.2.1", "--port", "9"], env={**working, **env})


@pytest.mark.parametrize("token", ["   ", "\t", " abc", "abc\n"])
def test_a_blank_or_padded_token_is_refused_at_start(token: str, tmp_path: Path) -> None:
    result = serve_with({"TWILIO_AUTH_TOKEN": token}, tmp_path)
    assert result.exit_code == 1
    assert "Error: TWILIO_AUTH_TOKEN " in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("variable", "value"),
    [("IVR_TWILIO_AUTH_TOKEN", "1"), ("IVR_PSEUDONYM_KEY", "12345"), ("IVR_PUBLIC_URL", "true"),
     ("IVR_DATABASE_URL", "5"), ("IVR_TWILIO_ACCOUNT_SID", "[1]")],
)
def test_a_setting_read_as_json_that_is_not_text_is_refused_clearly(
    variable: str, value: str, tmp_path: Path
) -> None:
    # IVR_TWILIO_AUTH_TOKEN=1 used to end in an AttributeError traceback ('int' has no 'encode').
    env: dict[str, str | None] = {variable: value}
    if variable == "IVR_TWILIO_AUTH_TOKEN":
        env["TWILIO_AUTH_TOKEN"] = None  # Twilio's own name would win over it
    result = serve_with(env, tmp_path)
    name = variable.removeprefix("IVR_")
    assert result.exit_code == 1, result.output
    assert f"Error: {name} must be text" in result.output
    assert isinstance(result.exception, SystemExit)  # a message, not a traceback
    assert f" {value} " not in result.output and f"'{value}'" not in result.output  # a secret is never echoed


def test_a_boolean_setting_that_is_not_a_boolean_is_refused(tmp_path: Path) -> None:
    result = serve_with({"IVR_DEV_MODE": "yes"}, tmp_path)  # not JSON, so the truthy text "yes"
    assert result.exit_code == 1
    assert "Error: DEV_MODE must be true or false" in result.output
