"""config/: the shipped settings load; bad values are named by file and key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from flows.line import DEFAULT_CONFIG
from flows.messages import load_messages
from flows.settings import load_settings
from flows.yamlfile import DataError


def test_shipped_settings_normalise_numbers_to_e164() -> None:
    settings = load_settings(DEFAULT_CONFIG)
    assert settings.it_support.number == "+46141225047"
    assert settings.default_language == "sv"
    assert settings.voices["sv"].language == "sv-SE"


def test_shipped_messages_load() -> None:
    messages = load_messages(DEFAULT_CONFIG / "messages.yaml")
    assert messages.get("voice", "menu_item", "sv", system="Viva", key=1) == "För Viva, tryck 1."


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
